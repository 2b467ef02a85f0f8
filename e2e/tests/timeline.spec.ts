// The timeline reads like a conversation: a day separator, one name and avatar per run of
// one person's messages, a "New" divider where my unread messages start (the chat opens
// there), "Jump to latest (N new)" when scrolled up, and message actions on the message
// under the pointer or the keyboard, with a searchable emoji picker.
import { type Page } from '@playwright/test';

import { expect, test } from '../fixtures';

import { ChatApp, people } from '../pages/chat-app';

/** Sends `count` messages through the REST API as the page's user (fast, and real). */
async function sendMany(app: ChatApp, prefix: string, count: number): Promise<void> {
  const chatId = app.page.url().split('/chats/')[1];
  const origin = new URL(app.page.url()).origin;
  for (let i = 1; i <= count; i++) {
    const response = await app.page.request.post(`/api/chats/${chatId}/messages`, {
      data: { client_id: crypto.randomUUID(), body: `${prefix} ${i}` },
      headers: { Origin: origin },
    });
    expect(response.status(), await response.text()).toBe(201);
  }
}

async function inView(page: Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).evaluate((el) => {
    const list = el.closest('[data-testid="message-list"]');
    if (!list) return false;
    const a = el.getBoundingClientRect();
    const b = list.getBoundingClientRect();
    return a.top >= b.top && a.bottom <= b.bottom;
  });
}

test('runs, days, the unread divider and jump to latest', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'talice', 'tbob');
  await alice.startDirectChat(bobName);
  for (const text of ['one', 'two', 'three']) await alice.send(text);
  await bob.openChat(aliceName);
  await expect(bob.message('three')).toBeVisible();

  // One run: name and avatar once; one day separator.
  await expect(bob.testId('day-separator')).toHaveCount(1);
  await expect(bob.testId('day-separator')).toHaveText('Today');
  await expect(bob.message('one')).not.toHaveClass(/grouped/);
  await expect(bob.message('two')).toHaveClass(/grouped/);
  await expect(bob.message('three')).toHaveClass(/grouped/);
  await expect(bob.testId('avatar')).toHaveCount(1);

  // Read (the chat list's count clears), Bob leaves; 20 messages later (under the send rate limit) he opens the chat at the first unread one.
  await expect(bob.chatItem(aliceName).getByTestId('chat-unread')).toHaveCount(0);
  await bob.goto('/');
  await expect(bob.chatItem(aliceName)).toBeVisible();
  await sendMany(alice, 'later', 20);
  await expect(bob.chatItem(aliceName).getByTestId('chat-unread')).toHaveText('20');
  await bob.openChat(aliceName);
  await expect(bob.testId('unread-divider')).toHaveCount(1);
  await expect.poll(() => inView(bob.page, 'unread-divider')).toBe(true);
  const firstUnread = bob.page.locator('[data-testid="unread-divider"] + .message-row [data-testid="message"]');
  await expect(firstUnread.getByTestId('message-body')).toHaveText('later 1');
  const jump = bob.testId('jump-to-latest');
  await expect(jump).toHaveText('Jump to latest (20 new) ↓');

  // More arrive while he reads up there: the count follows; the jump goes to the bottom.
  await alice.send('latest');
  await expect(jump).toHaveText('Jump to latest (21 new) ↓');
  await jump.click();
  await expect(jump).toBeHidden();
  await expect.poll(() => bob.message('latest').evaluate((el) => {
    const list = el.closest('[data-testid="message-list"]')!.getBoundingClientRect();
    return el.getBoundingClientRect().bottom <= list.bottom + 1;
  })).toBe(true);
  // Reading to the bottom clears the unread count.
  await expect(bob.chatItem(aliceName).getByTestId('chat-unread')).toHaveCount(0);

  await close();
});

test('message actions appear on hover and by keyboard, with a searchable emoji picker', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'kalice', 'kbob');
  await alice.startDirectChat(bobName);
  await alice.send('first');
  await alice.send('party time');
  await bob.openChat(aliceName);
  await expect(bob.message('party time')).toBeVisible();

  // Hidden (and out of the Tab order) until the pointer or focus is on the message.
  const actions = bob.message('first').getByTestId('message-actions');
  await expect(actions).toBeHidden();
  await bob.message('first').hover();
  await expect(actions).toBeVisible();

  // Keyboard only: into the list, up to the newest message, Tab to React, search, pick.
  await bob.testId('message-list').focus();
  await bob.page.keyboard.press('ArrowUp');
  await expect(bob.message('party time')).toBeFocused();
  await bob.page.keyboard.press('ArrowUp');
  await expect(bob.message('first')).toBeFocused();
  await bob.page.keyboard.press('ArrowDown');
  await expect(bob.message('party time')).toBeFocused();
  await bob.page.keyboard.press('Tab');
  const react = bob.message('party time').getByTestId('message-react');
  await expect(react).toBeFocused();
  await bob.page.keyboard.press('Enter');
  const search = bob.testId('emoji-search');
  await expect(search).toBeFocused();
  await bob.page.keyboard.press('Escape');
  await expect(bob.testId('reaction-picker')).toHaveCount(0);
  await expect(react).toBeFocused();

  await bob.page.keyboard.press('Enter');
  await bob.page.keyboard.type('confetti');
  const options = bob.testId('reaction-picker').locator('.emoji-grid [data-testid="reaction-option"]');
  await expect(options.first()).toHaveAttribute('data-emoji', '🎊');
  await options.first().click();
  await expect(alice.reactionChip('party time', '🎊')).toContainText('1');

  await close();
});
