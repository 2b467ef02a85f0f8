// Promise 4 and the optimistic send, seen from the browser: a send while offline fails
// with a Retry button; after the network returns the app reconnects, fetches what it
// missed, and sends the failed message again by itself (same client_id): delivered
// exactly once.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('offline, missed messages and retry', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const aliceName = ChatApp.uniqueName('ralice');
  const bobName = ChatApp.uniqueName('rbob');
  await alice.register(aliceName);
  await bob.register(bobName);
  await alice.startDirectChat(bobName);
  await alice.send('before');
  await expect(alice.message('before')).toHaveAttribute('data-status', 'sent');
  await bob.openChat(aliceName);
  await expect(bob.message('before')).toBeVisible();

  await aliceContext.setOffline(true);
  await expect(alice.testId('connection-status')).not.toHaveAttribute('data-state', 'online');
  await alice.send('sent while offline');
  const offline = alice.message('sent while offline');
  await expect(offline).toHaveAttribute('data-status', 'failed', { timeout: 15_000 });
  await expect(offline.getByTestId('message-retry')).toBeVisible();

  await bob.send('missed 1');
  await bob.send('missed 2');
  await expect(bob.message('missed 2')).toHaveAttribute('data-status', 'sent');

  await aliceContext.setOffline(false);
  await alice.expectOnline();
  await expect(alice.message('missed 1')).toBeVisible();
  await expect(alice.message('missed 2')).toBeVisible();

  // No click: the reconnect sends it again.
  await expect(offline).toHaveAttribute('data-status', 'sent');
  await expect(bob.message('sent while offline')).toBeVisible();
  await expect(alice.messages()).toHaveCount(4);
  await expect(bob.messages()).toHaveCount(4);
  const seqs = await alice.messages().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-seq')));
  expect(seqs).toEqual(['1', '2', '3', '4']);

  await aliceContext.close();
  await bobContext.close();
});
