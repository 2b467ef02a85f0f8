// Reactions: a chip with emoji and count appears for both people; mine is highlighted and
// clicking a chip toggles my reaction.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('a reaction chip propagates and toggles', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'qalice', 'qbob');
  await alice.startDirectChat(bobName);
  await alice.send('lunch at noon?');
  await bob.openChat(aliceName);

  await bob.react('lunch at noon?', '👍');
  await expect(bob.reactionChip('lunch at noon?', '👍')).toHaveAttribute('data-mine', 'true');
  const aliceChip = alice.reactionChip('lunch at noon?', '👍');
  await expect(aliceChip).toHaveAttribute('data-mine', 'false');
  await expect(aliceChip).toContainText('1');

  await aliceChip.click();
  await expect(aliceChip).toHaveAttribute('data-mine', 'true');
  await expect(aliceChip).toContainText('2');
  await expect(bob.reactionChip('lunch at noon?', '👍')).toContainText('2');

  await bob.reactionChip('lunch at noon?', '👍').click();
  await expect(aliceChip).toContainText('1');
  await expect(bob.reactionChip('lunch at noon?', '👍')).toHaveAttribute('data-mine', 'false');

  await close();
});
