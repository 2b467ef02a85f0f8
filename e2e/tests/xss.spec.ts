// User text is rendered as text: markup in a message shows literally and never runs.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('a message with HTML renders as literal text', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const aliceName = ChatApp.uniqueName('xalice');
  const bobName = ChatApp.uniqueName('xbob');
  await alice.register(aliceName);
  await bob.register(bobName);

  await alice.startDirectChat(bobName);
  const payload = '<img src=x onerror="window.__xss=1"><b>bold</b>';
  await alice.send(payload);
  await expect(alice.message(payload)).toHaveAttribute('data-status', 'sent');

  // The receiver renders it from the socket event and from history after a reload.
  await bob.openChat(aliceName);
  await expect(bob.message(payload)).toBeVisible();
  await bob.page.reload();
  await expect(bob.message(payload)).toBeVisible();

  for (const app of [alice, bob]) {
    await expect(app.testId('message-body').filter({ hasText: payload })).toHaveText(payload);
    await expect(app.testId('message-list').locator('img')).toHaveCount(0);
    await expect(app.testId('message-list').locator('b')).toHaveCount(0);
    expect(await app.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }

  await aliceContext.close();
  await bobContext.close();
});
