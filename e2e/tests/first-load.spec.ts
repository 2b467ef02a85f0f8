// The first visit: the app's files arrive precompressed (brotli when the browser offers
// it, else gzip), the hashed ones cacheable for good, the page revalidated, and the tab
// has a real icon rather than the app's HTML.
import type { Response } from '@playwright/test';

import { expect, test } from '../fixtures';

test('the app loads from precompressed, cacheable files and has an icon', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const responses: Response[] = [];
  page.on('response', (response) => responses.push(response));

  await page.goto('/');
  await expect(page.getByTestId('auth-submit')).toBeVisible();

  const byPath = (test: (path: string) => boolean): Response => {
    const found = responses.find((response) => test(new URL(response.url()).pathname));
    expect(found, 'a response for the app file').toBeDefined();
    return found as Response;
  };
  const document = byPath((path) => path === '/');
  expect((await document.allHeaders())['cache-control']).toBe('no-cache');

  for (const file of [
    byPath((path) => path.endsWith('_bg.wasm')),
    byPath((path) => path.endsWith('.js')),
    byPath((path) => path.endsWith('.css')),
  ]) {
    const offered = (await file.request().allHeaders())['accept-encoding'] ?? '';
    const headers = await file.allHeaders();
    expect(headers['content-encoding'], file.url()).toBe(offered.includes('br') ? 'br' : 'gzip');
    expect(headers['cache-control'], file.url()).toBe('public, max-age=31536000, immutable');
    expect(headers.vary, file.url()).toBe('accept-encoding');
  }

  const icon = await page.locator('link[rel=icon]').getAttribute('href');
  expect(icon).toMatch(/^\/favicon-[0-9a-f]+\.svg$/);
  const svg = await context.request.get(icon as string);
  expect(svg.headers()['content-type']).toBe('image/svg+xml');
  expect(await svg.text()).toContain('<svg');
  const ico = await context.request.get('/favicon.ico');
  expect(ico.headers()['content-type']).toBe('image/x-icon');
  expect([...(await ico.body()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);

  await context.close();
});
