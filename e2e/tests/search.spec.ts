// Message search: Bob finds a message Alice sent long ago (beyond the first page of
// history), sees the match highlighted and what she typed as text, and a click opens the
// chat at that message, in context, with newer messages loading below it.
import { type APIRequestContext } from '@playwright/test';
import { expect, test } from '../fixtures';
import { people } from '../pages/chat-app';

/** Sends each body to the chat over REST, together; every send must be stored (201). */
async function sendAll(request: APIRequestContext, chatId: string, bodies: string[]): Promise<void> {
  const responses = await Promise.all(
    bodies.map((body) =>
      request.post(`/api/chats/${chatId}/messages`, { data: { client_id: crypto.randomUUID(), body } }),
    ),
  );
  for (const response of responses) expect(response.status(), await response.text()).toBe(201);
}

test('a search finds an old message and opens the chat at it', async ({ browser }) => {
  const { apps, names, close } = await people(browser, 'alice', 'bob');
  const [alice, bob] = apps;
  await alice.startDirectChat(names[1]);
  const chatId = alice.page.url().split('/').pop() ?? '';

  // The message to find is the chat's first; 58 more follow, so the newest page of 50 does
  // not hold it. At most 30 sends each, with Alice's last one below: the default
  // RATE_MESSAGES_PER_USER.
  await sendAll(alice.page.request, chatId, ['Launch codeword: <b>pelican</b> (keep it quiet)']);
  await Promise.all([
    sendAll(alice.page.request, chatId, Array.from({ length: 28 }, (_, i) => `filler from alice ${i}`)),
    sendAll(bob.page.request, chatId, Array.from({ length: 30 }, (_, i) => `filler from bob ${i}`)),
  ]);

  await bob.testId('search-input').fill('pelican');
  await bob.testId('search-input').press('Enter');
  const result = bob.testId('search-result');
  await expect(result).toHaveCount(1);
  await expect(result).toContainText(names[0]);
  const snippet = result.getByTestId('search-snippet');
  // The match is highlighted; the tags Alice typed are shown as text, never as markup.
  await expect(snippet.locator('mark')).toHaveText('pelican');
  await expect(snippet).toHaveText('Launch codeword: <b>pelican</b> (keep it quiet)');
  await expect(snippet.locator('b')).toHaveCount(0);

  await result.click();
  await expect(bob.page).toHaveURL(new RegExp(`/chats/${chatId}$`));
  const found = bob.page.locator('[data-testid="message"][data-seq="1"]');
  await expect(found).toBeInViewport();
  await expect(found).toHaveClass(/\bfocused\b/);
  await expect(found.getByTestId('message-body')).toContainText('Launch codeword: <b>pelican</b>');
  // In context: the messages after it are there, the newest ones load as Bob scrolls down.
  await expect(bob.page.locator('[data-testid="message"][data-seq="2"]')).toBeVisible();
  await expect(bob.page.locator('[data-testid="message"][data-seq="59"]')).toHaveCount(0);
  await expect(bob.testId('load-newer')).toBeVisible();
  await bob.testId('message-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }));
  await expect(bob.page.locator('[data-testid="message"][data-seq="59"]')).toHaveCount(1);
  await expect(bob.testId('load-newer')).toHaveCount(0);
  await expect(bob.messages()).toHaveCount(59);

  // Live again: a new message from Alice arrives at the end.
  await alice.send('still there?');
  await expect(bob.delivered('still there?')).toHaveAttribute('data-seq', '60');

  await close();
});

test('"In this chat only" searches the open chat alone', async ({ browser }) => {
  const { apps: [alice, bob, carol], names: [, bobName, carolName], close } = await people(
    browser,
    'salice',
    'sbob',
    'scarol',
  );
  const word = `quokka${Date.now().toString(36)}`;
  await alice.startDirectChat(carolName);
  await alice.send(`the ${word} with Carol`);
  await alice.startDirectChat(bobName);
  await alice.send(`the ${word} with Bob`);

  // Everywhere: both chats' messages.
  await alice.testId('search-input').fill(word);
  await alice.testId('search-input').press('Enter');
  await expect(alice.testId('search-result')).toHaveCount(2);

  // In the open chat (Bob's) only: his, and the summary names the chat.
  await alice.testId('search-this-chat').check();
  await alice.testId('search-input').press('Enter');
  await expect(alice.testId('search-result')).toHaveCount(1);
  await expect(alice.testId('search-result')).toContainText(`the ${word} with Bob`);
  await expect(alice.testId('search-results')).toContainText(`1 message in ${bobName} matches`);
  expect(bob).toBeTruthy();
  expect(carol).toBeTruthy();
  await close();
});
