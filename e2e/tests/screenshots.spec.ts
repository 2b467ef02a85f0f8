// The README's screenshots (docs/screenshots/*.png), taken from the real app: three people
// in a group with a run of messages, Markdown, a reply, a mention and reactions, seen on a
// desktop in light and dark, on a phone, and the settings page. Run by `just screenshots`
// (SCREENSHOTS=1); skipped otherwise, so the suite leaves the working tree alone. Each shot
// waits for what it shows, so a broken screen fails here instead of landing in the docs.
import path from 'node:path';

import { type Browser, type BrowserContextOptions } from '@playwright/test';
import { expect, test } from '../fixtures';
import { ChatApp } from '../pages/chat-app';

const OUT = path.join(__dirname, '../../docs/screenshots');

test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 (just screenshots) to retake the README screenshots');

async function person(browser: Browser, base: string, displayName: string, options: BrowserContextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const app = new ChatApp(await context.newPage());
  const username = ChatApp.uniqueName(base);
  await app.register(username, 'correct horse battery', displayName);
  await app.expectOnline();
  return { app, username, context };
}

test('README screenshots', async ({ browser }) => {
  const ada = await person(browser, 'ada', 'Ada Lovelace');
  const grace = await person(browser, 'grace', 'Grace Hopper');
  const alan = await person(browser, 'alan', 'Alan Turing');

  await ada.app.createGroup('Launch team', [grace.username, alan.username]);
  await ada.app.send('Morning all! The **release candidate** is up on staging.');
  await ada.app.send('Changelog draft is in `docs/changelog.md`, comments welcome.');
  await grace.app.openChat('Launch team');
  await grace.app.send(`@${ada.username} nice! I'll run the migration checks this morning.`);
  await alan.app.openChat('Launch team');
  await alan.app.messageAction('is up on staging', 'message-reply');
  await alan.app.send('Load test is green: p99 under 40 ms at 2k msg/s 🎉');
  await grace.app.react('Load test is green', '🎉');
  await ada.app.react('Load test is green', '🎉');
  await ada.app.send('Then we ship on Friday. Plan:\n\n1. freeze at noon\n2. tag `v1.0`\n3. announce');
  await expect(grace.app.delivered('freeze at noon')).toBeVisible();
  await expect(ada.app.reactionChip('Load test is green', '🎉')).toContainText('2');
  await ada.app.startDirectChat(grace.username);
  await ada.app.send('Coffee after the standup?');
  await grace.app.chatItem('Coffee after the standup?').click();
  await expect(grace.app.testId('chat-header')).toContainText('Ada Lovelace');
  await grace.app.send('Sure, 10:30?');
  await expect(ada.app.delivered('Sure, 10:30?')).toBeVisible();
  await ada.app.testId('notifications-dismiss').click();
  await ada.app.openChat('Launch team');
  await expect(ada.app.delivered('announce')).toBeVisible();
  await ada.app.page.mouse.move(0, 0);

  await ada.app.page.screenshot({ path: path.join(OUT, 'chat-light.png') });
  await ada.app.page.emulateMedia({ colorScheme: 'dark' });
  await ada.app.page.screenshot({ path: path.join(OUT, 'chat-dark.png') });
  await ada.app.page.emulateMedia({ colorScheme: 'light' });

  // Grace on a phone: the conversation full screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const gracePhone = new ChatApp(await phone.newPage());
  await gracePhone.login(grace.username);
  await gracePhone.openChat('Launch team');
  await expect(gracePhone.delivered('announce')).toBeVisible();
  await gracePhone.page.screenshot({ path: path.join(OUT, 'phone.png') });

  // Settings.
  await ada.app.testId('settings-link').click();
  await expect(ada.app.testId('session')).toHaveCount(1);
  await ada.app.page.screenshot({ path: path.join(OUT, 'settings.png') });

  for (const context of [ada.context, grace.context, alan.context, phone]) await context.close();
});
