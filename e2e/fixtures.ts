// Every spec imports `test` and `expect` from here. The fixture below fails a test on any
// Content-Security-Policy violation in any page of any browser context the test opens, so
// the whole suite proves the app works under its policy (see the README's Security section).
import { type Browser, type BrowserContext, expect, test as base } from '@playwright/test';

export { expect };

declare global {
  interface Window {
    __confabCspViolation?: (report: string) => Promise<void>;
  }
}

/** Reports every `securitypolicyviolation` of the context's pages into `violations`. */
async function watchViolations(context: BrowserContext, violations: string[]): Promise<void> {
  await context.exposeBinding('__confabCspViolation', ({ page }, report: string) => {
    violations.push(`${page.url()}: ${report}`);
  });
  // Runs before any script of every document, so nothing the page does escapes it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const blocked = e.blockedURI || 'inline';
      void window.__confabCspViolation?.(
        `${e.effectiveDirective} blocked ${blocked} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
}

export const test = base.extend<{ cspViolations: string[] }>({
  // The specs open their own contexts (`browser.newContext()`), so the watch goes there.
  cspViolations: [
    async ({ browser }: { browser: Browser }, use) => {
      const violations: string[] = [];
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const context = await newContext(options);
        await watchViolations(context, violations);
        return context;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
