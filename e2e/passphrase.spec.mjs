// passphrase.spec.mjs: a meeting passphrase in the link's fragment. Two
// people who share it chat; a third with another passphrase is named as
// unverifiable on their screens and cannot read them, nor they it.
import { test, expect } from '@playwright/test';
import { joinMeeting } from './join.mjs';

const join = (browser, user, meeting, passphrase) =>
  joinMeeting(browser, user, meeting, { passphrase });

test('only those with the passphrase read each other', async ({ browser }) => {
  const meeting = `pass-${Date.now()}`;
  const alice = await join(browser, 'alice', meeting, 'blue whale 42');
  const bob = await join(browser, 'bob', meeting, 'blue whale 42');
  const mallory = await join(browser, 'mallory', meeting, 'guess');

  await expect(alice.page.getByTestId('app-error'))
    .toContainText('Cannot verify mallory');
  await expect(mallory.page.getByTestId('app-error'))
    .toContainText('Cannot verify alice');

  await alice.page.getByTestId('chat-input').fill('for bob only');
  await alice.page.keyboard.press('Enter');
  await expect(bob.page.getByTestId('chat-message'))
    .toContainText(['for bob only']);
  await expect(mallory.page.getByTestId('chat-message'))
    .toContainText(['could not be decrypted']);
  await expect(mallory.page.getByTestId('chat-log'))
    .not.toContainText('for bob only');

  for (const p of [alice, bob, mallory]) await p.context.close();
});

// The same, typed on the pre-join screen instead of carried by the link.
test('a passphrase typed before joining works the same', async ({ browser }) => {
  const meeting = `typed-${Date.now()}`;
  const typed = async (user, passphrase) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`/meeting/${user}/${meeting}`);
    await expect(page.getByTestId('join-button')).toBeEnabled();
    await page.getByTestId('passphrase').fill(passphrase);
    await page.getByTestId('join-button').click();
    await expect(page.getByTestId('connection-detail'))
      .toHaveText('Connected over WebTransport');
    // Kept in the fragment only: never in what goes to the server.
    expect(page.url()).toContain('#passphrase=');
    return { context, page };
  };
  const alice = await typed('alice', 'red fox 7');
  const bob = await typed('bob', 'red fox 7');
  const eve = await typed('eve', 'wrong');
  await expect(alice.page.getByTestId('app-error'))
    .toContainText('Cannot verify eve');
  await alice.page.getByTestId('chat-input').fill('typed secret');
  await alice.page.keyboard.press('Enter');
  await expect(bob.page.getByTestId('chat-message'))
    .toContainText(['typed secret']);
  await expect(eve.page.getByTestId('chat-log')).not.toContainText('typed');
  for (const p of [alice, bob, eve]) await p.context.close();
});
