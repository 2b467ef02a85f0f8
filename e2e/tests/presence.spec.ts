// Presence: a dot shows whether the other person is online; they go offline (after the
// server's grace window) once their last tab is gone.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('a presence dot turns online, then offline when the other leaves', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], contexts, close } = await people(browser, 'palice', 'pbob');
  await alice.startDirectChat(bobName);
  await alice.send('hi');
  await expect(bob.chatItem(aliceName)).toBeVisible();
  // No reload: starting a chat introduces the two people's presence to each other.
  const dot = alice.chatItem(bobName).getByTestId('presence-dot');
  await expect(dot).toHaveAttribute('data-online', 'true');
  await expect(alice.testId('chat-header').getByTestId('presence-dot')).toHaveAttribute('data-online', 'true');
  await expect(alice.testId('chat-header')).toContainText('online');

  // Bob sees Alice too, once the chat reaches him.
  await expect(bob.chatItem(aliceName).getByTestId('presence-dot')).toHaveAttribute('data-online', 'true');

  await contexts[1].close();
  await expect(dot).toHaveAttribute('data-online', 'false', { timeout: 20_000 });
  await expect(alice.testId('chat-header')).toContainText('last seen');

  await close();
});
