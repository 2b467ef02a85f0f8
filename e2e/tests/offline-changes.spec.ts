// Promise 4 with edits: while one person is offline the other sends, edits and deletes;
// back online, the app shows exactly the current state without a reload.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('new, edited and deleted messages all arrive after going back online', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], contexts, close } = await people(browser, 'oalice', 'obob');
  await alice.startDirectChat(bobName);
  await alice.send('original text');
  await alice.send('soon gone');
  await expect(alice.message('soon gone')).toHaveAttribute('data-status', 'sent');
  await bob.openChat(aliceName);
  await expect(bob.messages()).toHaveCount(2);

  await contexts[1].setOffline(true);
  await expect(bob.testId('connection-status')).not.toHaveAttribute('data-state', 'online');

  for (const text of ['new one', 'new two', 'new three']) {
    await alice.send(text);
    await expect(alice.message(text)).toHaveAttribute('data-status', 'sent');
  }
  await alice.editMessage('original text', 'corrected text');
  await alice.deleteMessage('soon gone');
  await alice.react('new two', '🎉');
  await expect(alice.reactionChip('new two', '🎉')).toContainText('1');

  await contexts[1].setOffline(false);
  await bob.expectOnline();
  await expect(bob.messages()).toHaveCount(5);
  await expect(bob.delivered('corrected text').getByTestId('message-edited')).toBeVisible();
  await expect(bob.testId('message-deleted')).toHaveCount(1);
  await expect(bob.reactionChip('new two', '🎉')).toContainText('1');
  const bodies = await bob.messages().evaluateAll((rows) =>
    rows.map((row) => row.querySelector('[data-testid="message-body"], [data-testid="message-deleted"]')?.textContent?.trim()),
  );
  expect(bodies).toEqual(['corrected text', 'Message deleted', 'new one', 'new two', 'new three']);
  const seqs = await bob.messages().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-seq')));
  expect(seqs).toEqual(['1', '2', '3', '4', '5']);
  await expect(bob.page.getByText('original text')).toHaveCount(0);
  await expect(bob.page.getByText('soon gone')).toHaveCount(0);

  await close();
});
