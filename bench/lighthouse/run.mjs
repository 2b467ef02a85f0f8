// Lighthouse scores of confab (`just lighthouse`): the login page and a signed-in chat
// view, each with Lighthouse's mobile (default) and desktop settings, and mobile with its
// throttling applied for real; the median of LIGHTHOUSE_RUNS (3) runs of each. Starts its own
// throwaway stack (confab-stack: PostgreSQL, Redis, the backend serving ../../dist) on a
// free port, makes two people and a chat over the API, hands Alice's session cookie to
// Debian's Chromium, and audits. Prints one line per page and setting (kept in
// bench/results/lighthouse-<date>.txt) and writes the full reports to target/lighthouse/.
//
// Scores are figures, not tests: they depend on this machine's speed (Lighthouse's
// performance score simulates a slow phone from what it measures here).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import puppeteer from 'puppeteer-core';

import { freePort, seed, startStack } from './stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
/** Lighthouse's mobile and desktop settings as they come (a slow phone simulated from a
 *  trace taken at full speed), and mobile again with the same slow network and CPU
 *  really applied while the page loads (`devtools`), which measures what such a phone
 *  paints first instead of estimating it from a load that had no time to paint. */
const RUNS = Number(process.env.LIGHTHOUSE_RUNS ?? 3);
const SETTINGS = [
  ['mobile', undefined, 'simulate'],
  ['desktop', desktopConfig, 'simulate'],
  ['mobile-applied', undefined, 'devtools'],
];

async function audit(port, url, config, throttlingMethod) {
  const result = await lighthouse(
    url,
    { port, output: 'html', onlyCategories: CATEGORIES, disableStorageReset: true, logLevel: 'error', throttlingMethod },
    config,
  );
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round(result.lhr.categories[c].score * 100)]));
  return { scores, html: result.report, lhr: result.lhr };
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const stack = await startStack(port);
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
let failed = false;
try {
  const { cookie, chatId } = await seed(base);
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
  const [name, value] = cookie.split('=');
  const out = path.join(root, 'target/lighthouse');
  await mkdir(out, { recursive: true });
  const pages = [
    { page: 'login', url: `${base}/`, signedIn: false },
    { page: 'chat', url: `${base}/chats/${chatId}`, signedIn: true },
  ];
  const lines = [];
  for (const { page, url, signedIn } of pages) {
    // Signed out first; the session cookie goes in for the signed-in page.
    if (signedIn) await browser.setCookie({ name, value, url: base, httpOnly: true, sameSite: 'Lax' });
    for (const [setting, config, throttling] of SETTINGS) {
      // Lighthouse's own advice: several runs, the median one (by performance) reported.
      const runs = [];
      for (let run = 0; run < RUNS; run += 1) runs.push(await audit(chrome.port, url, config, throttling));
      runs.sort((a, b) => a.scores.performance - b.scores.performance);
      const { scores, html, lhr } = runs[Math.floor(RUNS / 2)];
      await writeFile(path.join(out, `${page}-${setting}.html`), html);
      await writeFile(path.join(out, `${page}-${setting}.json`), JSON.stringify(lhr, null, 1));
      const below = Object.entries(lhr.audits)
        .filter(([, a]) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
        .map(([id]) => id);
      const range = `(performance ${runs[0].scores.performance}–${runs.at(-1).scores.performance} over ${RUNS} runs)`;
      const line = `${page.padEnd(6)} ${setting.padEnd(14)} ${CATEGORIES.map((c) => `${c} ${scores[c]}`).join('  ')} ${range}`;
      lines.push(below.length ? `${line}\n    failed audits: ${below.join(', ')}` : line);
      console.log(lines.at(-1));
      if (Object.values(scores).some((s) => s < 95)) failed = true;
    }
  }
  const summary = path.join(root, 'bench/results', `lighthouse-${new Date().toISOString().slice(0, 10)}.txt`);
  await writeFile(summary, `${lines.join('\n')}\n`);
  console.log(`reports: ${path.relative(root, out)}/`);
  await browser.disconnect();
} finally {
  await chrome.kill();
  stack.kill('SIGTERM');
}
if (failed) {
  console.log('some score is below 95');
  process.exitCode = 1;
}
