// Dialogs and panels: the New chat dialog keeps focus inside and closes on Escape; the
// chat's details open beside the conversation on a desktop (it keeps its height, and
// "Leave chat" is in view) and as a sheet over it on a phone.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('the New chat dialog traps focus and closes on Escape', async ({ browser }) => {
  const { apps: [alice], close } = await people(browser, 'galice');
  await alice.testId('new-chat-button').click();
  const dialog = alice.testId('new-chat-dialog');
  await expect(dialog).toBeVisible();
  await expect(alice.testId('user-search')).toBeFocused();
  for (let i = 0; i < 8; i++) {
    await alice.page.keyboard.press('Tab');
    const inside = await dialog.evaluate((el) => el.contains(document.activeElement));
    const onPage = await alice.page.evaluate(() => document.activeElement !== document.body);
    // Focus stays in the dialog (or leaves the page for the browser's own UI, never the app behind it).
    expect(inside || !onPage, `Tab ${i + 1} left the dialog`).toBe(true);
  }
  // Escape closes it even from a search field with text in it (which Escape would clear).
  await alice.testId('user-search').fill('someone');
  await alice.page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(alice.testId('new-chat-button')).toBeVisible();
  await close();
});

test('details sit beside the conversation, and over it on a phone', async ({ browser }) => {
  const { apps: [alice, bob], names: [, bobName], close } = await people(browser, 'halice', 'hbob');
  await alice.createGroup('Launch team', [bobName]);
  await alice.send('hello team');
  await bob.openChat('Launch team');

  const list = bob.testId('message-list');
  const before = await list.boundingBox();
  const panel = await bob.openSettings();
  const after = await list.boundingBox();
  expect(after?.height).toBe(before?.height);
  await expect(panel.getByTestId('chat-leave')).toBeInViewport();
  await panel.getByTestId('chat-settings-close').click();
  await expect(panel).toHaveCount(0);

  await bob.page.setViewportSize({ width: 390, height: 844 });
  const sheet = await bob.openSettings();
  const box = await sheet.boundingBox();
  expect(box?.width).toBe(390);
  await expect(sheet.getByTestId('chat-leave')).toBeInViewport();
  await sheet.getByTestId('chat-settings-close').click();
  await expect(bob.message('hello team')).toBeVisible();
  await close();
});
