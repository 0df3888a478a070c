// six-people.spec.mjs: a meeting of six over WebTransport on one 2-core
// machine. Everyone sees six tiles and the same roster; the first person
// keeps their camera on and the others see her video decoded; a chat
// message reaches all five others exactly once; one leaves and the rest
// see five. The others turn their cameras off once in, so the machine
// runs one encoder and five decoders, not thirty.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf } from './join.mjs';

test('six people in one meeting', async ({ browser }) => {
  test.setTimeout(120_000);
  const meeting = `six-${Date.now()}`;
  const names = ['ana', 'ben', 'cleo', 'dev', 'eli', 'fay'];
  const people = [];
  for (const user of names) {
    const p = await joinMeeting(browser, user, meeting);
    if (people.length > 0) await p.page.getByTestId('camera-button').click();
    people.push(p);
  }
  for (const { page } of people) {
    await expect(page.getByTestId('people-count')).toHaveText('(6)');
    await expect(page.getByTestId('tile')).toHaveCount(6);
  }

  // ana's camera reaches the last to join.
  const fay = people[5].page;
  await expect(tileOf(fay, 'ana').getByTestId('remote-video'))
    .toBeVisible({ timeout: 20_000 });

  // fay's chat reaches everyone else once.
  await fay.getByTestId('chat-input').fill('hello all six');
  await fay.keyboard.press('Enter');
  for (const { page } of people.slice(0, 5)) {
    await expect(page.getByTestId('chat-message')
      .filter({ hasText: 'hello all six' })).toHaveCount(1);
  }

  // eli leaves: five remain everywhere.
  await people[4].page.getByTestId('leave-button').click();
  for (const p of [...people.slice(0, 4), people[5]]) {
    await expect(p.page.getByTestId('people-count')).toHaveText('(5)');
  }
  for (const p of people) {
    expect(p.errors).toEqual([]);
    await p.context.close();
  }
});
