// File sharing (issue 8): the browser uploads straight to storage with a progress bar,
// the message is pending until its files are in, and the other person sees thumbnails and
// file chips live. The stack stores files on local disk, as `just dev` does; `just e2e-s3`
// runs this file again with the files in an S3-compatible server.
import { type Page, type Route } from '@playwright/test';

import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';
import { attachWithButton, dropOnConversation, noisePng, smallPdf, throttleUploads } from '../pages/files';

test('an image uploads with a progress bar and the other person opens it full size', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'falice', 'fbob');
  await alice.startDirectChat(bobName);
  await alice.send('photo coming');
  await bob.openChat(aliceName);
  await expect(bob.message('photo coming')).toBeVisible();

  // About 3 MB at 1 MB/s: the upload takes seconds, long enough to watch.
  const photo = noisePng('view.png', 1200, 900);
  await throttleUploads(alice.page, 1_000_000);
  await attachWithButton(alice.page, photo);
  const upload = alice.testId('composer-files').getByTestId('upload');
  await expect(upload).toContainText('view.png');
  const progress = upload.getByTestId('upload-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute('max', String(photo.buffer.length));
  await expect.poll(async () => Number(await progress.getAttribute('value'))).toBeGreaterThan(0);

  // Sent while the file is still uploading: the message waits, pending, with its progress.
  await alice.send('the view from the office');
  const pending = alice.messages().filter({ hasText: 'the view from the office' });
  await expect(pending).toHaveAttribute('data-status', 'pending');
  await expect(pending.getByTestId('upload-progress')).toBeVisible();
  await expect(alice.testId('composer-files')).toBeHidden();
  await throttleUploads(alice.page, 0);

  const sent = alice.message('the view from the office');
  await expect(sent).toHaveAttribute('data-status', 'sent');
  await expect(sent.getByTestId('attachment-image')).toBeVisible();

  // Bob sees it live: the thumbnail (at most 400 px) loads, a click shows the original.
  const received = bob.message('the view from the office');
  const thumbnail = received.getByTestId('attachment-image').locator('img');
  await expect(thumbnail).toHaveAttribute('alt', 'view.png');
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(400);
  await received.getByTestId('attachment-image').click();
  const lightbox = bob.testId('lightbox');
  await expect(lightbox).toBeVisible();
  const full = bob.testId('lightbox-image');
  await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1200);
  await expect(full).toHaveJSProperty('naturalHeight', 900);
  await bob.page.keyboard.press('Escape');
  await expect(lightbox).toBeHidden();

  await close();
});

test('a PDF dropped on the chat goes as a chip without text and downloads', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'dalice', 'dbob');
  await alice.startDirectChat(bobName);
  await alice.send('minutes follow');
  await bob.openChat(aliceName);

  const pdf = smallPdf('minutes.pdf');
  await dropOnConversation(alice.page, pdf);
  await expect(alice.testId('composer-files').getByTestId('upload')).toHaveAttribute('data-state', 'ready');
  await alice.testId('composer-send').click();

  const chip = bob.testId('attachment-file');
  await expect(chip).toContainText('minutes.pdf');
  await expect(chip).toContainText(`${pdf.buffer.length} B`);
  await expect(bob.chatItem(aliceName)).toContainText('📎 minutes.pdf');
  const download = bob.page.waitForEvent('download');
  await chip.click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('minutes.pdf');
  const path = await file.path();
  const { readFile } = await import('node:fs/promises');
  expect(await readFile(path)).toEqual(pdf.buffer);

  await close();
});

test('an image pasted from the clipboard is attached', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'palice', 'pbob');
  await alice.startDirectChat(bobName);
  await bob.openChat(aliceName);

  // The clipboard as a screenshot tool leaves it: one PNG image.
  const shot = noisePng('image.png', 320, 200);
  await alice.testId('composer-input').focus();
  await alice.page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    const input = document.querySelector('[data-testid="composer-input"]');
    input?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, shot.buffer.toString('base64'));
  await expect(alice.testId('composer-files').getByTestId('upload')).toHaveAttribute('data-state', 'ready');
  await alice.send('pasted');

  const thumbnail = bob.message('pasted').getByTestId('attachment-image').locator('img');
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);

  await close();
});

/** Storage refuses uploads (the `PUT` of the bytes, wherever the store is) until the returned
 *  function is called; `held` delays each refusal until that promise settles. */
async function breakUploads(page: Page, held?: Promise<void>): Promise<() => Promise<void>> {
  const handler = async (route: Route): Promise<void> => {
    if (route.request().method() !== 'PUT') return route.fallback();
    await held;
    await route.abort('connectionreset');
  };
  await page.route('**/*', handler);
  return () => page.unroute('**/*', handler);
}

test('a failed upload says why, and a retry sends it', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'ralice', 'rbob');
  await alice.startDirectChat(bobName);
  await bob.openChat(aliceName);

  // Too big for the server's limit: refused at once, with the limit, nothing to retry.
  const limits = await (await alice.page.request.get('/api/limits')).json();
  const huge = { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(limits.upload_bytes_max + 1) };
  await attachWithButton(alice.page, huge);
  const refused = alice.testId('upload').filter({ hasText: 'huge.bin' });
  await expect(refused).toHaveAttribute('data-state', 'refused');
  await expect(refused.getByTestId('upload-error')).toContainText('Too big');
  await expect(refused.getByTestId('upload-retry')).toHaveCount(0);
  await alice.send('with the big one');
  await expect(alice.testId('composer-error')).toContainText('huge.bin');
  await refused.getByTestId('upload-cancel').click();
  await expect(alice.testId('composer-files')).toBeHidden();

  // The storage cannot be reached: the file says why and the composer won't send it;
  // its Retry uploads it again.
  let repair = await breakUploads(alice.page);
  await attachWithButton(alice.page, noisePng('chart.png', 800, 600));
  const waiting = alice.testId('composer-files').getByTestId('upload');
  await expect(waiting).toHaveAttribute('data-state', 'failed');
  await expect(waiting.getByTestId('upload-error')).toContainText('connection was lost');
  await alice.send('the chart');
  await expect(alice.testId('composer-error')).toContainText('chart.png');
  await repair();
  await waiting.getByTestId('upload-retry').click();
  await expect(waiting).toHaveAttribute('data-state', 'ready');
  await alice.testId('composer-send').click();
  await expect(bob.message('the chart').getByTestId('attachment-image')).toBeVisible();

  // It fails after the message was sent: the pending message fails naming the file, and
  // its Retry uploads again and sends (once).
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  repair = await breakUploads(alice.page, held);
  await attachWithButton(alice.page, noisePng('table.png', 600, 400));
  await alice.send('the table');
  const row = alice.messages().filter({ hasText: 'the table' });
  await expect(row).toHaveAttribute('data-status', 'pending');
  release();
  await expect(row).toHaveAttribute('data-status', 'failed');
  await expect(row.getByTestId('upload')).toHaveAttribute('data-state', 'failed');
  await expect(row).toContainText('Not sent: table.png');
  await repair();
  await row.getByTestId('message-retry').click();

  await expect(bob.message('the table').getByTestId('attachment-image')).toBeVisible();
  await expect(alice.message('the table')).toHaveAttribute('data-status', 'sent');
  await expect(alice.messages().filter({ hasText: 'the table' })).toHaveCount(1);

  await close();
});
