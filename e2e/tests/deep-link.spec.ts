// Routes are real URLs: reloading an open chat shows it again, history included, and
// logging out returns to the sign-in form.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('reloading a chat URL reopens it with its history', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const bobName = ChatApp.uniqueName('dbob');
  await bob.register(bobName);
  await alice.register(ChatApp.uniqueName('dalice'));
  await alice.startDirectChat(bobName);
  await alice.send('still here after a reload');
  await expect(alice.message('still here after a reload')).toHaveAttribute('data-status', 'sent');

  const url = alice.page.url();
  await alice.page.reload();
  await expect(alice.page).toHaveURL(url);
  await expect(alice.testId('chat-header')).toContainText(bobName);
  await expect(alice.message('still here after a reload')).toHaveAttribute('data-seq', '1');
  await expect(alice.chatItem(bobName)).toHaveAttribute('aria-current', 'page');

  await alice.testId('logout-button').click();
  await expect(alice.testId('auth-submit')).toBeVisible();
  await alice.page.reload();
  await expect(alice.testId('auth-submit')).toBeVisible();

  await aliceContext.close();
  await bobContext.close();
});
