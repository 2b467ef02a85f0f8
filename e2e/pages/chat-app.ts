// Page object for the confab SPA: every locator goes through the data-testid contract.
import { type Browser, type BrowserContext, expect, type Locator, type Page } from '@playwright/test';

export class ChatApp {
  constructor(readonly page: Page) {}

  /** A username that is unique per run and valid (a-z, 0-9, _; at most 32 chars). */
  static uniqueName(base: string): string {
    const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    return `${base}_${suffix}`.slice(0, 32);
  }

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async goto(path = '/'): Promise<void> {
    await this.page.goto(path);
  }

  async register(username: string, password = 'correct horse battery', displayName?: string): Promise<void> {
    await this.goto('/');
    await expect(this.testId('auth-submit')).toBeVisible();
    // The form opens in sign-in mode; switch once to register.
    if (!(await this.testId('auth-display-name').isVisible())) {
      await this.testId('auth-toggle').click();
    }
    await this.testId('auth-username').fill(username);
    await this.testId('auth-display-name').fill(displayName ?? username);
    await this.testId('auth-password').fill(password);
    await this.testId('auth-submit').click();
    await expect(this.testId('me-name')).toHaveText(displayName ?? username);
  }

  async login(username: string, password = 'correct horse battery'): Promise<void> {
    await this.goto('/');
    await this.testId('auth-username').fill(username);
    await this.testId('auth-password').fill(password);
    await this.testId('auth-submit').click();
    await expect(this.testId('logout-button')).toBeVisible();
  }

  async expectOnline(): Promise<void> {
    await expect(this.testId('connection-status')).toHaveAttribute('data-state', 'online');
  }

  /** Opens the New chat dialog, picks `username` and starts a direct chat with them. */
  async startDirectChat(username: string): Promise<void> {
    await this.testId('new-chat-button').click();
    const dialog = this.testId('new-chat-dialog');
    await expect(dialog).toBeVisible();
    await this.testId('user-search').fill(username);
    await this.testId('user-result').filter({ hasText: username }).click();
    await this.testId('create-chat-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.page).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
  }

  chatItem(name: string): Locator {
    return this.testId('chat-item').filter({ hasText: name });
  }

  async openChat(name: string): Promise<void> {
    await this.chatItem(name).click();
    await expect(this.testId('chat-header')).toContainText(name);
  }

  async send(text: string): Promise<void> {
    await this.testId('composer-input').fill(text);
    await this.testId('composer-input').press('Enter');
  }

  messages(): Locator {
    return this.testId('message');
  }

  message(text: string): Locator {
    return this.messages().filter({ has: this.page.getByTestId('message-body').getByText(text, { exact: true }) });
  }

  /** Types like a person, one key at a time (fires the composer's typing events). */
  async type(text: string): Promise<void> {
    await this.testId('composer-input').pressSequentially(text, { delay: 120 });
  }

  /** The row of a delivered message, found by its rendered text (Markdown included). */
  delivered(text: string): Locator {
    return this.messages().filter({ has: this.page.getByTestId('message-body').filter({ hasText: text }) });
  }

  /** A message's action button: actions show on the message under the pointer. */
  async messageAction(text: string, action: 'message-edit' | 'message-delete' | 'message-react' | 'message-reply'): Promise<void> {
    const row = this.delivered(text);
    await row.hover();
    await row.getByTestId(action).click();
  }

  async editMessage(text: string, newText: string): Promise<void> {
    await this.messageAction(text, 'message-edit');
    // While editing the row shows an editor instead of its body.
    const input = this.testId('message-edit-input');
    await input.fill(newText);
    await input.press('Enter');
    await expect(this.delivered(newText).getByTestId('message-edited')).toBeVisible();
  }

  async deleteMessage(text: string): Promise<void> {
    const row = this.delivered(text);
    await this.messageAction(text, 'message-delete');
    await row.getByTestId('message-delete-confirm').click();
    await expect(this.delivered(text)).toHaveCount(0);
  }

  async react(text: string, emoji: string): Promise<void> {
    const row = this.delivered(text);
    await this.messageAction(text, 'message-react');
    await row.locator(`[data-testid="reaction-option"][data-emoji="${emoji}"]`).first().click();
  }

  reactionChip(text: string, emoji: string): Locator {
    return this.delivered(text).locator(`[data-testid="reaction-chip"][data-emoji="${emoji}"]`);
  }

  /** Creates a group with `usernames` (each picked in the dialog) and opens it. */
  async createGroup(title: string, usernames: string[]): Promise<void> {
    await this.testId('new-chat-button').click();
    const dialog = this.testId('new-chat-dialog');
    for (const username of usernames) {
      await this.testId('user-search').fill(username);
      await this.testId('user-result').filter({ hasText: username }).click();
    }
    await this.testId('group-title').fill(title);
    await this.testId('create-chat-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.testId('chat-header')).toContainText(title);
  }

  async openSettings(): Promise<Locator> {
    await this.testId('chat-settings-button').click();
    const panel = this.testId('chat-settings');
    await expect(panel).toBeVisible();
    return panel;
  }
}

/** People in their own browser contexts, registered and online. */
export async function people(browser: Browser, ...bases: string[]): Promise<{
  apps: ChatApp[];
  names: string[];
  contexts: BrowserContext[];
  close: () => Promise<void>;
}> {
  const contexts: BrowserContext[] = [];
  const apps: ChatApp[] = [];
  const names: string[] = [];
  for (const base of bases) {
    const context = await browser.newContext();
    const app = new ChatApp(await context.newPage());
    const name = ChatApp.uniqueName(base);
    await app.register(name);
    await app.expectOnline();
    contexts.push(context);
    apps.push(app);
    names.push(name);
  }
  return {
    apps,
    names,
    contexts,
    close: async () => {
      for (const context of contexts) await context.close();
    },
  };
}
