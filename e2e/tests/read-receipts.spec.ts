// Read receipts and unread counts: a message shows as unread for the receiver (badge and
// tab title) until they open the chat; then the sender sees "Seen by …".
import { expect, test } from '../fixtures';

import { ChatApp, people } from '../pages/chat-app';

test('a read receipt shows after the other opens the chat', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'salice', 'sbob');
  await alice.startDirectChat(bobName);
  await alice.send('did you read this?');
  await expect(alice.message('did you read this?')).toHaveAttribute('data-status', 'sent');
  await alice.send('and this?');
  await expect(alice.message('and this?')).toHaveAttribute('data-status', 'sent');
  await expect(alice.testId('seen-by')).toHaveCount(0);

  const badge = bob.chatItem(aliceName).getByTestId('chat-unread');
  await expect(badge).toHaveText('2');
  await expect(bob.page).toHaveTitle('(2) confab');

  await bob.openChat(aliceName);
  await expect(badge).toHaveCount(0);
  await expect(bob.page).toHaveTitle('confab');
  // Under my latest message only.
  await expect(alice.testId('seen-by')).toHaveCount(1);
  await expect(alice.message('and this?').getByTestId('seen-by')).toHaveText(`Seen by ${bobName}`);

  // A second tab of Bob's clears its badge when the first one reads.
  const bobTab = new ChatApp(await bob.page.context().newPage());
  await bobTab.goto('/');
  await expect(bobTab.chatItem(aliceName)).toBeVisible();
  await bob.page.goto('/');
  await alice.send('third');
  await expect(bobTab.chatItem(aliceName).getByTestId('chat-unread')).toHaveText('1');
  await bob.openChat(aliceName);
  await expect(bobTab.chatItem(aliceName).getByTestId('chat-unread')).toHaveCount(0);

  await close();
});
