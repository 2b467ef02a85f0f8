// The app's own router (frontend/src/route.rs): links to its pages and the back and
// forward buttons change the screen in place, never loading the page again; a link opened
// with a modifier key is the browser's; `/login` once signed in is replaced by `/`; a path
// that names no screen says so.
import { expect, test } from '../fixtures';
import { people } from '../pages/chat-app';

test('links, back and forward move between screens without loading the page', async ({ browser }) => {
  const { apps: [alice], names: [, bobName], contexts: [aliceContext], close } = await people(
    browser,
    'nalice',
    'nbob',
  );
  const { page } = alice;
  await alice.startDirectChat(bobName);
  const chatUrl = page.url();
  // Gone if the document is ever loaded again.
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));

  await alice.testId('settings-link').click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(chatUrl);
  await expect(alice.testId('chat-header')).toContainText(bobName);
  await page.goForward();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to chats' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'No chat open' })).toBeVisible();
  await alice.openChat(bobName);
  await expect(page).toHaveURL(chatUrl);
  expect(await page.evaluate(() => 'sameDocument' in window), 'the page was never loaded again').toBe(true);

  // With Ctrl (⌘ on a Mac) the browser opens the link in a new tab; this one stays.
  const opened = aliceContext.waitForEvent('page');
  await alice.testId('settings-link').click({ modifiers: ['ControlOrMeta'] });
  await expect(await opened).toHaveURL(/\/settings$/);
  await expect(page).toHaveURL(chatUrl);

  // Signed in, `/login` becomes `/` in place, so Back does not return to it.
  await alice.goto('/login');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'No chat open' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(chatUrl);

  await alice.goto('/nowhere');
  await expect(page.getByText('Page not found.')).toBeVisible();
  await alice.goto('/chats/not-a-chat-id');
  await expect(page.getByRole('heading', { name: 'No such chat' })).toBeVisible();
  await expect(alice.testId('me-name')).toBeVisible();
  await close();
});
