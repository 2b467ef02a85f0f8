// axe-core on every screen, in light and dark: no violations of WCAG 2.1 A and AA
// (contrast included). A screen is checked as a person sees it: signed out, signed in
// with no chat, a conversation with a run, a reaction, a picture and a file, the details
// panel, the emoji picker, @mention completion, the New chat dialog, and the settings page.
import AxeBuilder from '@axe-core/playwright';
import { type Page } from '@playwright/test';

import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';
import { attachWithButton, noisePng, smallPdf } from '../pages/files';

async function expectNoViolations(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`,
  );
  expect(found, `axe on ${screen}`).toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`every screen passes axe (${scheme})`, async ({ browser }) => {
    const signedOut = await (await browser.newContext({ colorScheme: scheme })).newPage();
    await signedOut.goto('/');
    await expect(signedOut.getByTestId('auth-submit')).toBeVisible();
    await expectNoViolations(signedOut, 'sign-in');
    await signedOut.getByTestId('auth-toggle').click();
    await expect(signedOut.getByTestId('auth-display-name')).toBeVisible();
    await expectNoViolations(signedOut, 'register');
    await signedOut.context().close();

    const { apps: [alice, bob], names: [aliceName, bobName], contexts, close } = await people(browser, 'xalice', 'xbob');
    for (const context of contexts) {
      for (const page of context.pages()) await page.emulateMedia({ colorScheme: scheme });
    }
    await expectNoViolations(alice.page, 'no chat yet');

    await alice.testId('new-chat-button').click();
    await alice.testId('user-search').fill(bobName);
    await expect(alice.testId('user-result')).toHaveCount(1);
    await expectNoViolations(alice.page, 'new chat dialog');
    await alice.page.keyboard.press('Escape');

    await alice.createGroup('Design review', [bobName]);
    await alice.send('hello **team**');
    await alice.send('the mock-ups are attached');
    await attachWithButton(alice.page, noisePng('mockup.png', 600, 400), smallPdf('notes.pdf'));
    await expect(alice.testId('upload').first()).toHaveAttribute('data-state', 'ready');
    await expect(alice.testId('upload').last()).toHaveAttribute('data-state', 'ready');
    await expectNoViolations(alice.page, 'composer with files');
    await alice.send('here');
    await bob.openChat('Design review');
    await bob.react('hello team', '🎉');
    await bob.send('thanks!');
    await expect(alice.message('thanks!')).toBeVisible();
    await expect(alice.message('here').getByTestId('attachment-image').locator('img')).toHaveJSProperty('complete', true);
    await expectNoViolations(alice.page, 'conversation');

    await alice.delivered('thanks!').hover();
    await alice.messageAction('thanks!', 'message-react');
    await expect(alice.testId('reaction-picker')).toBeVisible();
    await expectNoViolations(alice.page, 'emoji picker');
    await alice.page.keyboard.press('Escape');

    await alice.testId('composer-input').pressSequentially('@xb');
    await expect(alice.testId('mention-option')).toHaveCount(1);
    await expectNoViolations(alice.page, 'mention completion');
    await alice.testId('composer-input').fill('');

    await alice.openSettings();
    await expectNoViolations(alice.page, 'chat details');

    await alice.testId('settings-link').click();
    await expect(alice.page).toHaveURL(/\/settings$/);
    await expect(alice.page.locator('h1, h2').first()).toBeVisible();
    await expectNoViolations(alice.page, 'settings');
    expect(aliceName).toBeTruthy();
    await close();
  });
}
