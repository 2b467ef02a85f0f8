// The composer checks a message with the server's rules before sending anything.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('a blank message is refused with a visible error', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const bobName = ChatApp.uniqueName('vbob');
  await bob.register(bobName);
  await alice.register(ChatApp.uniqueName('valice'));
  await alice.startDirectChat(bobName);

  await alice.testId('composer-input').fill('   ');
  await alice.testId('composer-send').click();
  await expect(alice.testId('composer-error')).toBeVisible();
  await expect(alice.testId('composer-error')).toContainText('empty');
  await expect(alice.messages()).toHaveCount(0);

  // Shift+Enter adds a line; Enter sends both lines as one message.
  await alice.testId('composer-input').fill('first line');
  await alice.testId('composer-input').press('Shift+Enter');
  await alice.testId('composer-input').pressSequentially('second line');
  await expect(alice.testId('composer-error')).toBeHidden();
  await alice.testId('composer-input').press('Enter');
  await expect(alice.messages()).toHaveCount(1);
  await expect(alice.testId('message-body')).toHaveText('first line\nsecond line');
  await expect(alice.messages().first()).toHaveAttribute('data-status', 'sent');

  await aliceContext.close();
  await bobContext.close();
});
