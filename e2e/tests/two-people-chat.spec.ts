// Two people, two browsers: a direct chat started in the dialog, messages both ways,
// delivered live without reloads, and the sender's copy confirmed by the server.
import { expect, test } from '../fixtures';

import { ChatApp } from '../pages/chat-app';

test('alice and bob chat in real time', async ({ browser }) => {
  const aliceName = ChatApp.uniqueName('alice');
  const bobName = ChatApp.uniqueName('bob');
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = new ChatApp(await aliceContext.newPage());
  const bob = new ChatApp(await bobContext.newPage());

  await alice.register(aliceName);
  await bob.register(bobName);
  await alice.expectOnline();
  await bob.expectOnline();

  await alice.startDirectChat(bobName);
  await expect(alice.testId('chat-header')).toContainText(bobName);

  const hello = `Hi Bob! (${Date.now()})`;
  await alice.send(hello);
  const sent = alice.message(hello);
  await expect(sent).toHaveCount(1);
  await expect(sent).toHaveAttribute('data-status', 'sent');
  await expect(sent).toHaveAttribute('data-seq', /^\d+$/);
  await expect(alice.testId('composer-input')).toHaveValue('');

  // Bob never reloads: the chat and the message arrive over his socket.
  await expect(bob.chatItem(aliceName)).toBeVisible();
  await expect(bob.chatItem(aliceName)).toContainText(hello);
  await bob.openChat(aliceName);
  await expect(bob.message(hello)).toHaveAttribute('data-status', 'sent');

  const reply = `Hello Alice! (${Date.now()})`;
  await bob.send(reply);
  await expect(bob.message(reply)).toHaveAttribute('data-status', 'sent');
  await expect(alice.message(reply)).toBeVisible();
  await expect(alice.messages()).toHaveCount(2);
  await expect(alice.messages().last()).toContainText(reply);

  await aliceContext.close();
  await bobContext.close();
});
