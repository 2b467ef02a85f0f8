// Every spec imports `test` and `expect` from here. The fixture below fails a test on any
// Content-Security-Policy violation, and on any uncaught error or console error (a Rust
// panic lands in both), in any page of any browser context the test opens: the whole suite
// proves the app works under its policy and never panics (see the README's Tests section).
import { type Browser, type BrowserContext, type ConsoleMessage, expect, type Page, test as base } from '@playwright/test';

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

/** Console errors that are the browser reporting, not the app failing: an API answering
 *  4xx (asserted by the specs themselves), a socket refused while offline, and a blocked
 *  script (the violation watch above reports those). */
const BROWSER_REPORTS = [
  /^Failed to load resource: /,
  /^WebSocket connection to '.*' failed/,
  /violates the following Content Security Policy directive/,
];

/** The loader of split-off modules (frontend/split.py) logs a download that failed: a
 *  network report too (the app says so on screen, see split.spec.ts). */
function isSplitLoaderNetworkReport(message: ConsoleMessage): boolean {
  return message.location().url.endsWith('/__wasm_split.js') && message.text().startsWith('TypeError: Failed to fetch');
}

/** Records the context's uncaught errors and console errors (pages opened later too). */
function watchErrors(context: BrowserContext, errors: string[]): void {
  const watch = (page: Page): void => {
    page.on('pageerror', (error) => errors.push(`${page.url()}: uncaught ${error.name}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (BROWSER_REPORTS.some((report) => report.test(text)) || isSplitLoaderNetworkReport(message)) return;
      errors.push(`${page.url()}: console: ${text}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
}

export const test = base.extend<{ cspViolations: string[] }>({
  // The specs open their own contexts (`browser.newContext()`), so the watch goes there.
  cspViolations: [
    async ({ browser }: { browser: Browser }, use) => {
      const violations: string[] = [];
      const errors: string[] = [];
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const context = await newContext(options);
        await watchViolations(context, violations);
        watchErrors(context, errors);
        return context;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
      expect(errors, 'uncaught errors and console errors (a panic shows here)').toEqual([]);
    },
    { auto: true },
  ],
});
