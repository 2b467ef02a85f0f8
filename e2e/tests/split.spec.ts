// The release build is split (frontend/split.py, frontend/src/split.rs): a first visit
// downloads the main module only; each split-off screen (settings, New chat, a chat's
// details, the emoji picker, search results) comes from its own module, cacheable for good,
// when it opens or in the background after sign-in. A module that cannot be downloaded
// leaves a notice with a Retry that works once the network is back: never a panic.
import AxeBuilder from '@axe-core/playwright';
import type { Response } from '@playwright/test';

import { expect, test } from '../fixtures';
import { ChatApp } from '../pages/chat-app';

/** The split-off modules: `/app-HASH/split_NAME.wasm` and the chunks they share. */
const SPLIT = /^\/app-[0-9a-f]{16}\/(split_\w+|chunk_\d+)\.wasm$/;

test('screens a first visit does not show come from their own modules', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const split: Response[] = [];
  page.on('response', (response) => {
    if (SPLIT.test(new URL(response.url()).pathname)) split.push(response);
  });
  const app = new ChatApp(page);

  await app.goto('/');
  await expect(app.testId('auth-submit')).toBeVisible();
  expect(split.map((r) => r.url()), 'the sign-in page needs no split-off module').toEqual([]);

  await app.register(ChatApp.uniqueName('split'));
  await app.testId('settings-link').click();
  await expect(app.testId('profile-username')).toBeVisible();
  await expect.poll(() => split.map((r) => new URL(r.url()).pathname.split('/')[2])).toContain('split_settings_view.wasm');
  for (const response of split) {
    expect(response.status(), response.url()).toBe(200);
    const headers = await response.allHeaders();
    expect(headers['cache-control'], response.url()).toBe('public, max-age=31536000, immutable');
    expect(headers['content-type'], response.url()).toBe('application/wasm');
  }

  // A screen built from its module behaves as it did in one piece: the dialog opens
  // modal with the search field focused, and Escape closes it.
  await app.testId('new-chat-button').click();
  await expect(app.testId('new-chat-dialog')).toBeVisible();
  await expect(app.testId('user-search')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(app.testId('new-chat-dialog')).toBeHidden();
  await context.close();
});

test('a module that cannot be downloaded leaves a notice with a Retry that works once the network is back', async ({ browser }) => {
  const context = await browser.newContext();
  let offline = true;
  await context.route(
    (url) => SPLIT.test(url.pathname),
    (route) => (offline ? route.abort('internetdisconnected') : route.continue()),
  );
  const app = new ChatApp(await context.newPage());
  await app.register(ChatApp.uniqueName('splitfail'));

  await app.testId('settings-link').click();
  const failed = app.testId('deferred-failed');
  await expect(failed).toContainText("Couldn't load");
  await expect(app.testId('profile-username')).toBeHidden();
  for (const scheme of ['light', 'dark'] as const) {
    await app.page.emulateMedia({ colorScheme: scheme });
    const axe = await new AxeBuilder({ page: app.page }).include('[data-testid="deferred-failed"]').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`), `the notice in ${scheme}`).toEqual([]);
  }

  offline = false;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(app.testId('profile-username')).toBeVisible();
  await expect(failed).toBeHidden();
  await context.close();
});
