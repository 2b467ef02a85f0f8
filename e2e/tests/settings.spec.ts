// The settings page: a new display name reaches the other person live; a password change
// ends my other sessions (that browser is signed out) and the new password signs in; one
// session can be signed out from another; this browser's notification level is kept; a
// muted chat is listed and unmuted from there.
import { expect, test } from '../fixtures';
import { ChatApp, people } from '../pages/chat-app';

test('display name, password, sessions, notifications and muted chats', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'talice', 'tbob');
  await alice.startDirectChat(bobName);
  await alice.send('hello from settings');
  await expect(bob.chatItem(aliceName)).toBeVisible();

  // A second and a third browser of Alice's.
  const laptop = new ChatApp(await (await browser.newContext()).newPage());
  await laptop.login(aliceName);
  const phone = new ChatApp(await (await browser.newContext()).newPage());
  await phone.login(aliceName);

  await alice.testId('settings-link').click();
  await expect(alice.page).toHaveURL(/\/settings$/);

  // Display name: Bob's chat list follows without a reload.
  await expect(alice.testId('profile-username')).toHaveText(`@${aliceName}`);
  await alice.testId('display-name').fill('Alice Liddell');
  await alice.testId('display-name-save').click();
  await expect(alice.testId('profile-status')).toHaveText('Saved: others now see you as Alice Liddell.');
  await expect(alice.testId('me-name')).toHaveText('Alice Liddell');
  await expect(bob.chatItem('Alice Liddell')).toBeVisible();
  // A name the server would refuse is refused here, with its reason.
  await alice.testId('display-name').fill('   ');
  await alice.testId('display-name-save').click();
  await expect(alice.testId('profile-status')).toContainText('Display name must be');

  // Sessions: three, this one marked; the phone is signed out from here.
  const sessions = alice.testId('session');
  await expect(sessions).toHaveCount(3);
  await expect(sessions.filter({ hasText: 'This browser' })).toHaveCount(1);
  await sessions.filter({ hasNotText: 'This browser' }).first().getByTestId('revoke-session').click();
  await expect(alice.testId('sessions-status')).toHaveText('Signed out.');
  await expect(sessions).toHaveCount(2);

  // Password: a wrong current one is refused; the right one ends the other sessions.
  await alice.testId('current-password').fill('not my password');
  await alice.testId('new-password').fill('a much better passphrase');
  await alice.testId('set-password').click();
  await expect(alice.testId('password-status')).toHaveText(/wrong/i);
  await alice.testId('current-password').fill('correct horse battery');
  await alice.testId('set-password').click();
  await expect(alice.testId('password-status')).toHaveText('Password changed. Your other sessions were signed out.');
  await expect(sessions).toHaveCount(1);
  await expect(alice.testId('revoke-other-sessions')).toBeDisabled();
  // Both other browsers are back at the sign-in form; the new password opens it.
  await expect(phone.testId('auth-submit')).toBeVisible();
  await expect(laptop.testId('auth-submit')).toBeVisible();
  await laptop.login(aliceName, 'a much better passphrase');
  await expect(laptop.testId('me-name')).toHaveText('Alice Liddell');

  // Notifications: the level is this browser's, kept across a reload.
  await alice.testId('notification-level-important').check();
  await expect(alice.testId('notifications-status')).toHaveText('Saved: Direct messages and mentions of me.');
  await alice.page.reload();
  await expect(alice.testId('notification-level-important')).toBeChecked();
  await expect(alice.testId('notification-permission')).not.toBeEmpty();

  // Muted chats: muted in the chat's details, listed here, unmuted from here.
  await expect(alice.testId('no-muted-chats')).toBeVisible();
  await alice.openChat(bobName);
  await alice.openSettings();
  await alice.testId('chat-mute').check();
  await expect(alice.chatItem(bobName).getByTestId('chat-muted')).toBeVisible();
  await alice.testId('settings-link').click();
  await expect(alice.testId('muted-chat')).toHaveText(new RegExp(bobName));
  await alice.testId('unmute-chat').click();
  await expect(alice.testId('notifications-status')).toHaveText(`${bobName} is no longer muted.`);
  await expect(alice.testId('no-muted-chats')).toBeVisible();
  await expect(alice.chatItem(bobName).getByTestId('chat-muted')).toHaveCount(0);

  await laptop.page.context().close();
  await phone.page.context().close();
  await close();
});

test('on a phone, settings take the screen and ‹ goes back to the chats', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const app = new ChatApp(await context.newPage());
  await app.register(ChatApp.uniqueName('tphone'));
  await app.testId('settings-link').click();
  await expect(app.testId('display-name')).toBeVisible();
  await expect(app.testId('new-chat-button')).toBeHidden();
  await app.page.getByRole('link', { name: 'Back to chats' }).click();
  await expect(app.testId('new-chat-button')).toBeVisible();
  await expect(app.testId('display-name')).toHaveCount(0);
  await context.close();
});
