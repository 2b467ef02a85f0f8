// Browser tests against the real stack: `confab-stack` starts a throwaway PostgreSQL and
// Redis plus the backend serving the built SPA from ../dist (build it first with trunk),
// and a real OpenID provider (crates/test-support/oidc) to sign in with.
import path from 'node:path';

import { defineConfig } from '@playwright/test';

const PORT = 8091;
const OIDC_PORT = 8092;
/** The provider's id in confab, and its client there. */
const OIDC = { id: 'testidp', label: 'Test IdP', clientId: 'confab-e2e', secret: 'confab-e2e-secret' };

function definedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
const BASE_URL = `http://127.0.0.1:${PORT}`;
const OIDC_ISSUER = `http://127.0.0.1:${OIDC_PORT}`;
const OIDC_CALLBACK = `${BASE_URL}/api/auth/oidc/${OIDC.id}/callback`;

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
  webServer: [
    {
      command: `node provider.mjs --port ${OIDC_PORT} --client ${OIDC.clientId}:${OIDC.secret}:${OIDC_CALLBACK}`,
      cwd: path.join(__dirname, '../crates/test-support/oidc'),
      url: `${OIDC_ISSUER}/.well-known/openid-configuration`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `cargo run --quiet -p confab-test-support --bin confab-stack -- --port ${PORT} --dist ../dist`,
      cwd: __dirname,
      url: `${BASE_URL}/api/health`,
      // `just e2e` builds confab-stack first; a bare `npx playwright test` may compile it here.
      timeout: 600_000,
      reuseExistingServer: false,
      // The backend logs to stdout; keep the test output readable unless asked.
      // Every spec registers its users from 127.0.0.1: the per-address registration limit is
      // lifted; the other limits keep their defaults (rate_limit.spec.ts meets the send limit).
      // OIDC_*: the provider started above.
      env: {
        ...definedEnv(),
        RUST_LOG: process.env.RUST_LOG ?? 'error',
        RATE_REGISTRATIONS_PER_IP: '0',
        OIDC_PROVIDERS: OIDC.id,
        OIDC_TESTIDP_ISSUER: OIDC_ISSUER,
        OIDC_TESTIDP_CLIENT_ID: OIDC.clientId,
        OIDC_TESTIDP_CLIENT_SECRET: OIDC.secret,
        OIDC_TESTIDP_LABEL: OIDC.label,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
