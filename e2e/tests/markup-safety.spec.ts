// Markup from people is text: a display name, a chat title and a message carrying HTML
// render literally and never run; Markdown in a message renders (server-sanitised).
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

const PAYLOAD = '<img src=x onerror="window.__xss=1">';

test('XSS payloads render as text and Markdown renders as HTML', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());
  const aliceName = ChatApp.uniqueName('malice');
  const bobName = ChatApp.uniqueName('mbob');
  await alice.register(aliceName, undefined, `Alice ${PAYLOAD}`);
  await bob.register(bobName);

  const title = `Team <script>window.__xss=2</script>${PAYLOAD}`;
  await alice.createGroup(title, [bobName]);
  await alice.send(`hi ${PAYLOAD}`);
  await alice.send('this is **bold** and `code`');
  await expect(alice.delivered('this is bold and code')).toHaveAttribute('data-status', 'sent');

  await bob.openChat(title);
  for (const app of [alice, bob]) {
    await expect(app.testId('chat-header').locator('h2')).toHaveText(title);
    await expect(app.chatItem(title)).toBeVisible();
    await expect(app.delivered(`hi ${PAYLOAD}`)).toBeVisible();
    const bold = app.delivered('this is bold').locator('[data-testid="message-body"] strong');
    await expect(bold).toHaveText('bold');
    await expect(app.delivered('this is bold').locator('[data-testid="message-body"] code')).toHaveText('code');
    await expect(app.page.locator('img')).toHaveCount(0);
    await expect(app.page.locator('main script, aside script')).toHaveCount(0);
  }
  await expect(bob.messages().first().locator('.sender')).toHaveText(`Alice ${PAYLOAD}`);
  await bob.testId('chat-settings-button').click();
  await expect(bob.testId('member-row').filter({ hasText: `Alice ${PAYLOAD}` })).toBeVisible();

  await bob.page.reload();
  await expect(bob.delivered(`hi ${PAYLOAD}`)).toBeVisible();
  for (const app of [alice, bob]) {
    expect(await app.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }

  await aliceContext.close();
  await bobContext.close();
});
