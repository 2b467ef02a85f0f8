// Browser tests against the real stack: `confab-stack` starts a throwaway PostgreSQL and
// Redis plus the backend serving the built SPA from ../dist (build it first with trunk).
import { defineConfig } from '@playwright/test';

const PORT = 8091;

function definedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: BASE_URL,
    headless: true,
    trace: 'retain-on-failure',
    // Debian's Chromium, never a downloaded browser.
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `cargo run --quiet -p confab-test-support --bin confab-stack -- --port ${PORT} --dist ../dist`,
    cwd: __dirname,
    url: `${BASE_URL}/api/health`,
    // `just e2e` builds confab-stack first; a bare `npx playwright test` may compile it here.
    timeout: 600_000,
    reuseExistingServer: false,
    // The backend logs to stdout; keep the test output readable unless asked.
    // Every spec registers its users from 127.0.0.1: the per-address registration limit is
    // lifted; the other limits keep their defaults (rate_limit.spec.ts meets the send limit).
    env: { ...definedEnv(), RUST_LOG: process.env.RUST_LOG ?? 'error', RATE_REGISTRATIONS_PER_IP: '0' },
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
