// Compares the signed-in chat view's Lighthouse performance across builds of the app
// (`node bench/lighthouse/compare.mjs dist /tmp/other-dist ...`): one throwaway stack per
// build, the same chat seeded in each, then mobile (simulated) and mobile with throttling
// applied, the builds taking turns in every round (COMPARE_ROUNDS, 3), so that this
// machine's changing speed (Lighthouse's benchmark index, printed) hits them all alike.
// `just lighthouse` gives the full scores of one build; this says whether a change helped.
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

import { freePort, seed, startStack } from './stack.mjs';

const dists = process.argv.slice(2);
if (dists.length === 0) throw new Error('usage: compare.mjs DIST_DIR...');
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 3);
const stacks = [];
for (const dist of dists) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stack = await startStack(port, dist);
  stacks.push({ dist, base, stack, ...(await seed(base)) });
}
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
  // Cookies do not tell ports apart: every stack's session cookie is for 127.0.0.1, so
  // each audit sets its own stack's first (else all but one would show the sign-in page).
  // The page is opened once to check that it shows the chat signed in.
  const signIn = async ({ base, cookie, chatId }) => {
    const [name, value] = cookie.split('=');
    await browser.setCookie({ name, value, url: base, httpOnly: true, sameSite: 'Lax' });
    const page = await browser.newPage();
    await page.goto(`${base}/chats/${chatId}`);
    await page.waitForSelector('[data-testid="me-name"]', { timeout: 15_000 });
    await page.close();
  };
  console.log('round setting build performance TBT(ms) LCP(ms) benchmark-index');
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [setting, throttlingMethod] of [['mobile', 'simulate'], ['mobile-applied', 'devtools']]) {
      for (const stack of stacks) {
        const { dist, base, chatId } = stack;
        await signIn(stack);
        const { lhr } = await lighthouse(`${base}/chats/${chatId}`, {
          port: chrome.port,
          onlyCategories: ['performance'],
          disableStorageReset: true,
          logLevel: 'error',
          throttlingMethod,
        });
        const metric = (id) => Math.round(lhr.audits[id].numericValue);
        const score = Math.round(lhr.categories.performance.score * 100);
        console.log([round, setting, dist, score, metric('total-blocking-time'), metric('largest-contentful-paint'), Math.round(lhr.environment.benchmarkIndex)].join(' '));
      }
    }
  }
  await browser.disconnect();
} finally {
  await chrome.kill();
  for (const { stack } of stacks) stack.kill('SIGTERM');
}
