// Sign in with an identity provider: the button on the login page, the provider's own
// login and consent pages (a real OpenID provider, started by playwright.config.ts), and
// back in confab with an ordinary session that chats live with someone else.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('a new person signs in with the provider and chats', async ({ browser }) => {
  const bobName = ChatApp.uniqueName('bob');
  const carolLogin = ChatApp.uniqueName('carol');
  const carolContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const carol = new ChatApp(await carolContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  await bob.register(bobName);

  await carol.goto('/');
  await carol.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  // The provider's pages: any login name and password, then consent.
  await carol.page.locator('input[name="login"]').fill(carolLogin);
  await carol.page.locator('input[name="password"]').fill('anything at all');
  await carol.page.getByRole('button', { name: 'Sign-in' }).click();
  await carol.page.getByRole('button', { name: 'Continue' }).click();

  // Back in confab, signed in as a new account named after the provider's claims.
  await expect(carol.testId('me-name')).toHaveText(`${carolLogin} (test provider)`);
  await carol.expectOnline();
  await carol.startDirectChat(bobName);
  const hello = `Hi Bob, I came through the provider (${Date.now()})`;
  await carol.send(hello);
  await expect(carol.message(hello)).toHaveAttribute('data-status', 'sent');
  await expect(bob.chatItem(carolLogin)).toContainText(hello);

  // Settings list the identity, and offer a first password.
  await carol.testId('settings-link').click();
  await expect(carol.testId('identity')).toHaveCount(1);
  await expect(carol.testId('identity')).toContainText('Test IdP');
  await expect(carol.testId('set-password')).toBeVisible();

  await carolContext.close();
  await bobContext.close();
});

test('cancelling at the provider comes back to the login page with a reason', async ({ browser }) => {
  const context = await browser.newContext();
  const app = new ChatApp(await context.newPage());

  await app.goto('/');
  await app.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await app.page.getByRole('link', { name: '[ Cancel ]' }).click();

  await expect(app.testId('auth-error')).toHaveText('Sign-in was cancelled at the provider.');
  await expect(app.page).not.toHaveURL(/error=/);
  await expect(app.testId('auth-submit')).toBeVisible();
  await context.close();
});
