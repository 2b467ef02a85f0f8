// Edits and deletions reach the other person live: "(edited)" and a tombstone in place.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('an edit and a delete propagate live', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'ealice', 'ebob');
  await alice.startDirectChat(bobName);
  await alice.send('frist draft');
  await alice.send('regrettable');
  await expect(alice.message('regrettable')).toHaveAttribute('data-status', 'sent');
  await bob.openChat(aliceName);
  await expect(bob.messages()).toHaveCount(2);
  // Bob cannot edit or delete Alice's messages in a direct chat.
  await expect(bob.delivered('frist draft').getByTestId('message-edit')).toHaveCount(0);
  await expect(bob.delivered('frist draft').getByTestId('message-delete')).toHaveCount(0);

  // Escape cancels an edit.
  await alice.messageAction('frist draft', 'message-edit');
  await alice.testId('message-edit-input').press('Escape');
  await expect(alice.testId('message-edit-input')).toHaveCount(0);
  await expect(alice.delivered('frist draft')).toBeVisible();

  await alice.editMessage('frist draft', 'first draft');
  await expect(bob.delivered('first draft').getByTestId('message-edited')).toHaveText('(edited)');
  await expect(bob.delivered('frist draft')).toHaveCount(0);

  await alice.deleteMessage('regrettable');
  await expect(bob.testId('message-deleted')).toHaveText('Message deleted');
  await expect(bob.messages()).toHaveCount(2);
  await expect(bob.page.getByText('regrettable')).toHaveCount(0);

  await close();
});
