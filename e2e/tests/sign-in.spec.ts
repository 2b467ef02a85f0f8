// Signing in: a wrong password says so in words a person understands, and the right one
// gets in.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('a wrong password says "wrong username or password"', async ({ browser }) => {
  const context = await browser.newContext();
  const app = new ChatApp(await context.newPage());
  const name = ChatApp.uniqueName('signin');
  await app.register(name);
  await app.testId('logout-button').click();
  await expect(app.testId('auth-submit')).toBeVisible();

  await app.testId('auth-username').fill(name);
  await app.testId('auth-password').fill('not my password at all');
  await app.testId('auth-submit').click();
  await expect(app.testId('auth-error')).toHaveText(/wrong username or password/i);

  await app.login(name);
  await expect(app.testId('me-name')).toHaveText(name);
  await context.close();
});
