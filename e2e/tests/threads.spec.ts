// Conversation structure: changes to a group are told in its history (both people see
// "… renamed …"), a reply quotes what it answers, an @mention is highlighted and counted
// apart in the chat list, and a muted chat says so.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('system lines, replies, mentions and mute', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'yalice', 'ybob');
  await alice.createGroup('Launch', [bobName]);
  await alice.send('shall we ship on Friday?');
  await bob.openChat('Launch');

  // A rename is a line in the history, for everyone.
  await alice.openSettings();
  await alice.testId('rename-input').fill('Launch week');
  await alice.testId('rename-submit').click();
  await expect(bob.testId('system-message').filter({ hasText: 'renamed the group to' })).toContainText('Launch week');
  await expect(alice.testId('system-message').filter({ hasText: 'renamed' })).toBeVisible();
  await alice.testId('chat-settings-close').click();

  // Bob replies: Alice sees the quote of her message above his answer.
  await bob.messageAction('shall we ship on Friday?', 'message-reply');
  await expect(bob.testId('composer-reply')).toContainText('shall we ship on Friday?');
  await bob.send('Friday works');
  const reply = alice.message('Friday works');
  await expect(reply.getByTestId('reply-quote')).toContainText('shall we ship on Friday?');
  await expect(bob.testId('composer-reply')).toHaveCount(0);

  // A mention of Alice while she is elsewhere: highlighted, and counted apart.
  await alice.goto('/');
  await expect(alice.chatItem('Launch week')).toBeVisible();
  await bob.send(`@${aliceName} can you check the notes?`);
  await expect(alice.chatItem('Launch week').getByTestId('chat-mentions')).toHaveText('@1');
  await alice.openChat('Launch week');
  await expect(alice.page.locator('.mention').filter({ hasText: `@${aliceName}` })).toBeVisible();
  await expect(alice.chatItem('Launch week').getByTestId('chat-mentions')).toHaveCount(0);

  // Mute: the chat list says so.
  await bob.openSettings();
  await bob.testId('chat-mute').check();
  await expect(bob.chatItem('Launch week').getByTestId('chat-muted')).toBeVisible();
  await close();
});

test('@ completes the names of the chat\'s members, by keyboard or pointer', async ({ browser }) => {
  const { apps: [alice, bob], names: [, bobName, beaName], close } = await people(browser, 'malice', 'mbob', 'mbea');
  await alice.createGroup('Standup', [bobName, beaName]);
  const input = alice.testId('composer-input');
  const options = alice.testId('mention-option');

  // "@mb" matches both; Alice herself is never offered.
  await input.pressSequentially('thanks @mb');
  await expect(alice.testId('mention-options')).toBeVisible();
  await expect(options).toHaveCount(2);
  await expect(input).toHaveAttribute('aria-controls', 'mention-options');
  // One more letter narrows it; ↓ wraps, Enter picks instead of sending.
  await input.pressSequentially('o');
  await expect(options).toHaveCount(1);
  await expect(options.first()).toContainText(`@${bobName}`);
  await expect(options.first()).toHaveAttribute('aria-selected', 'true');
  await expect(input).toHaveAttribute('aria-activedescendant', 'mention-option-0');
  await input.press('ArrowDown');
  await input.press('Enter');
  await expect(input).toHaveValue(`thanks @${bobName} `);
  await expect(alice.testId('mention-options')).toHaveCount(0);
  await expect(input).not.toHaveAttribute('aria-activedescendant');

  // Escape dismisses the list and leaves the text; a click picks.
  await input.pressSequentially('and @mbe');
  await expect(options).toHaveCount(1);
  await input.press('Escape');
  await expect(alice.testId('mention-options')).toHaveCount(0);
  await expect(input).toHaveValue(`thanks @${bobName} and @mbe`);
  await input.pressSequentially('a');
  await options.filter({ hasText: beaName }).click();
  await expect(input).toHaveValue(`thanks @${bobName} and @${beaName} `);

  // Sent: Bob sees himself mentioned.
  await input.press('Enter');
  await bob.openChat('Standup');
  await expect(bob.page.locator('.mention').filter({ hasText: `@${bobName}` })).toBeVisible();
  await close();
});
