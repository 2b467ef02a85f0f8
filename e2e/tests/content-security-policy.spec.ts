// The app runs under its Content-Security-Policy (every spec's fixture fails on a
// violation); here: the policy is served, and an injected inline script is refused and
// reported, which is what the fixture listens for.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('the app works under its policy, which refuses injected inline scripts', async ({
  browser,
  cspViolations,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto('/');
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("'wasm-unsafe-eval'");
  expect(policy).not.toContain('unsafe-inline');

  const app = new ChatApp(page);
  await app.register(ChatApp.uniqueName('csp'));
  await app.expectOnline();

  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true;';
    document.body.append(script);
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran, 'an injected inline script must not run').toBe(false);
  await expect.poll(() => cspViolations.length).toBe(1);
  expect(cspViolations[0]).toContain('script-src');
  cspViolations.length = 0; // this one was provoked on purpose
  await context.close();
});
