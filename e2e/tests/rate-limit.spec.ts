// Past the send limit (RATE_MESSAGES_PER_USER, 30 per 10 s by default) the server refuses
// a message; the UI says so on that message, plainly, and offers a retry.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('a message past the send limit says it was rate limited', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const bobName = ChatApp.uniqueName('rbob');
  await bob.register(bobName);
  const aliceName = ChatApp.uniqueName('ralice');
  await alice.register(aliceName);
  await alice.startDirectChat(bobName);

  const input = alice.testId('composer-input');
  for (let i = 1; i <= 31; i++) {
    await input.fill(`burst ${i}`);
    await input.press('Enter');
  }
  const last = alice.message('burst 31');
  await expect(last).toHaveAttribute('data-status', 'failed');
  await expect(last.locator('.message-failed')).toContainText(/too many messages; try again in \d+ s/);
  await expect(last.getByTestId('message-retry')).toBeVisible();
  // The 30 before it went through; bob sees exactly those.
  await expect(alice.page.locator('[data-testid="message"][data-status="sent"]')).toHaveCount(30);
  await bob.openChat(aliceName);
  await expect(bob.message('burst 30')).toBeVisible();
  await expect(bob.messages()).toHaveCount(30);

  await aliceContext.close();
  await bobContext.close();
});
