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
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import puppeteer from 'puppeteer-core';

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

/** A port nobody listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts confab-stack and resolves once it says it is ready. */
function startStack(port) {
  const stack = spawn(
    'cargo',
    ['run', '--quiet', '-p', 'confab-test-support', '--bin', 'confab-stack', '--', '--port', String(port), '--dist', 'dist'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    stack.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('confab-stack ready on')) resolve(stack);
    });
    stack.on('exit', (code) => reject(new Error(`confab-stack exited (${code}) before it was ready`)));
  });
}

/** Calls the API as the holder of `cookie`; returns the JSON body and any new cookie. */
async function call(base, method, route, body, cookie) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  const setCookie = response.headers.get('set-cookie');
  const text = await response.text();
  return { json: text ? JSON.parse(text) : null, cookie: setCookie?.split(';')[0] };
}

/** Alice and Bob with a direct chat of a dozen messages (some Markdown, a mention). */
async function seed(base) {
  const suffix = Date.now().toString(36);
  const register = (username, display_name) =>
    call(base, 'POST', '/api/auth/register', { username, display_name, password: 'correct horse battery' });
  const alice = await register(`alice_${suffix}`, 'Alice Liddell');
  const bob = await register(`bob_${suffix}`, 'Bob Builder');
  const chat = (
    await call(base, 'POST', '/api/chats', { kind: 'direct', user_id: bob.json.user.id }, alice.cookie)
  ).json;
  const lines = [
    [alice, 'Morning! Did the **release notes** go out?'],
    [bob, 'Not yet, waiting on the changelog.'],
    [alice, `@bob_${suffix} can you paste the link here when it's up?`],
    [bob, 'Sure: `docs/changelog.md`, then the blog post.'],
    [alice, 'Thanks 🙏'],
  ];
  for (let round = 0; round < 2; round += 1) {
    for (const [who, body] of lines) {
      await call(base, 'POST', `/api/chats/${chat.id}/messages`, { client_id: crypto.randomUUID(), body }, who.cookie);
    }
  }
  return { cookie: alice.cookie, chatId: chat.id };
}

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
