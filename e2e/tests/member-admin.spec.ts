// Member administration: the owner adds someone (the chat appears for them live),
// renames the group (others see it), closes it (read-only for members) and removes a
// member after confirming (the chat leaves their list, and the open chat says why).
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('the owner adds, renames, closes and removes', async ({ browser }) => {
  const {
    apps: [alice, bob, carol],
    names: [, bobName, carolName],
    close,
  } = await people(browser, 'aalice', 'abob', 'acarol');
  await alice.createGroup('Planning', [bobName]);
  await alice.send('welcome');
  await bob.openChat('Planning');

  // Add Carol: she sees the chat appear without reloading.
  const panel = await alice.openSettings();
  await expect(panel.getByTestId('member-row')).toHaveCount(2);
  await alice.testId('add-member-search').fill(carolName);
  await alice.testId('add-member-result').filter({ hasText: carolName }).click();
  await expect(panel.getByTestId('member-row')).toHaveCount(3);
  await expect(carol.chatItem('Planning')).toBeVisible();
  // Only the owner administers.
  const bobPanel = await bob.openSettings();
  await expect(bobPanel.getByTestId('member-row')).toHaveCount(3);
  await expect(bobPanel.getByTestId('rename-input')).toHaveCount(0);
  await expect(bobPanel.getByTestId('member-remove')).toHaveCount(0);
  await expect(bobPanel.getByTestId('chat-leave')).toBeVisible();

  // Rename: everyone sees the new title.
  await alice.testId('rename-input').fill('Planning 2026');
  await alice.testId('rename-submit').click();
  await expect(alice.testId('chat-header').locator('h2')).toHaveText('Planning 2026');
  await expect(bob.testId('chat-header').locator('h2')).toHaveText('Planning 2026');
  await expect(carol.chatItem('Planning 2026')).toBeVisible();

  // Close: the member's composer is disabled and a banner explains why.
  await alice.testId('chat-close').click();
  await expect(bob.testId('chat-closed-banner')).toBeVisible();
  await expect(bob.testId('composer-input')).toBeDisabled();
  await expect(alice.testId('chat-reopen')).toBeVisible();
  // The owner cannot leave while others remain: a clear error.
  await alice.testId('chat-leave').click();
  await expect(alice.testId('settings-error')).toBeVisible();

  // Remove Carol while she reads the chat: "Remove" asks first; then the chat leaves her
  // list and her open chat says why (no panic: the fixture fails on console errors).
  await carol.openChat('Planning 2026');
  const carolRow = alice.page.locator(`[data-testid="member-row"]`).filter({ hasText: carolName });
  await carolRow.getByTestId('member-remove').click();
  await expect(panel.getByTestId('member-row')).toHaveCount(3);
  await alice.testId('member-remove-confirm').click();
  await expect(panel.getByTestId('member-row')).toHaveCount(2);
  await expect(carol.chatItem('Planning 2026')).toHaveCount(0);
  await expect(carol.testId('removed-notice')).toContainText('You were removed from Planning 2026');
  await expect(bobPanel.getByTestId('member-row')).toHaveCount(2);

  // Reopen: Bob can write again.
  await alice.testId('chat-reopen').click();
  await expect(bob.testId('chat-closed-banner')).toHaveCount(0);
  await expect(bob.testId('composer-input')).toBeEnabled();

  await close();
});
