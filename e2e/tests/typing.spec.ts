// Typing indicators: the other person sees "… is typing…" while I type, and it goes away
// when my message arrives.
import { expect, test } from '../fixtures';

import { people } from '../pages/chat-app';

test('the other person sees a typing indicator', async ({ browser }) => {
  const { apps: [alice, bob], names: [aliceName, bobName], close } = await people(browser, 'talice', 'tbob');
  await alice.startDirectChat(bobName);
  await alice.send('hello');
  await bob.openChat(aliceName);
  await expect(bob.testId('typing-indicator')).toHaveCount(0);

  await alice.type('I am writing something');
  await expect(bob.testId('typing-indicator')).toHaveText(`${aliceName} is typing…`);
  // The typist never sees themselves typing.
  await expect(alice.testId('typing-indicator')).toHaveCount(0);

  await alice.testId('composer-input').press('Enter');
  await expect(bob.message('I am writing something')).toBeVisible();
  await expect(bob.testId('typing-indicator')).toHaveCount(0);

  await close();
});
