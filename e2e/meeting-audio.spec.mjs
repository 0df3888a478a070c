// meeting-audio.spec.mjs: two people hear each other. Chromium's fake
// microphone beeps; alice's beeps go through the C core in her page (Opus,
// sealed), the server, and the core in bob's page (opened, jitter buffer,
// mix) to bob's loudspeaker, where the playout worklet measures them.
// Muting stops them; switching microphones keeps them coming; the stats
// overlay shows the jitter buffer at work.
import { test, expect } from '@playwright/test';
import { joinMeeting, metric, TRANSPORTS } from './join.mjs';

const join = (browser, user, meeting, transport) =>
  joinMeeting(browser, user, meeting, { stats: true, transport });

// The loudest sample bob's loudspeaker played in the last half second.
const peakOf = async (page) => Number(await page.getByTestId('stats-transport')
  .getAttribute('data-peak'));

for (const transport of TRANSPORTS) {
  test(`two people hear each other; mute silences (${transport})`,
    async ({ browser }) => {
    const meeting = `audio-${transport}-${Date.now()}`;
    const alice = await join(browser, 'alice', meeting, transport);
    const datagramsBefore = await metric(alice.page,
      'vc_wt_datagrams_in_total');
    const bob = await join(browser, 'bob', meeting, transport);

    // bob's core receives alice's audio: packets arrive, little concealed.
    const row = bob.page.locator('[data-testid="stats-row"]').first();
    await expect.poll(async () => Number(await row.getAttribute('data-packets')),
      { timeout: 15_000 }).toBeGreaterThan(100);
    // The first seconds may glitch while the machine is busy starting
    // browsers (two cores); after that, under 5 % of any three seconds is
    // concealed (the share since the start of the call would carry the
    // start's glitches for long).
    const counts = async () => ({
      samples: Number(await row.getAttribute('data-samples')),
      concealed: Number(await row.getAttribute('data-concealed-samples')),
    });
    await expect.poll(async () => {
      const a = await counts();
      await bob.page.waitForTimeout(3000);
      const b = await counts();
      const played = b.samples - a.samples + b.concealed - a.concealed;
      return played > 0 ? 100 * (b.concealed - a.concealed) / played : 100;
    }, { timeout: 20_000, intervals: [0] }).toBeLessThan(5);

    // ...and plays it: the beeps reach bob's output (a peak above -30 dBFS
    // within a few seconds; silence would be 0).
    await expect.poll(() => peakOf(bob.page), { timeout: 10_000,
      intervals: [100] }).toBeGreaterThan(0.03);
    // It works both ways.
    await expect.poll(() => peakOf(alice.page), { timeout: 10_000,
      intervals: [100] }).toBeGreaterThan(0.03);

    // alice mutes: within two seconds bob hears nothing of her (comfort
    // noise at most), for a good while.
    await alice.page.getByTestId('mic-button').click();
    await bob.page.waitForTimeout(2000);
    for (let i = 0; i < 6; i++) {
      expect(await peakOf(bob.page)).toBeLessThan(0.01);
      await bob.page.waitForTimeout(250);
    }
    // Unmuted, she is back.
    await alice.page.getByTestId('mic-button').click();
    await expect.poll(() => peakOf(bob.page), { timeout: 10_000,
      intervals: [100] }).toBeGreaterThan(0.03);

    // alice picks another microphone in the call: bob still hears her.
    const mics = alice.page.getByTestId('mic-select');
    const options = await mics.locator('option').evaluateAll(
      (os) => os.map((o) => o.value));
    expect(options.length).toBeGreaterThan(1); // Chromium's fake inputs
    const now = await mics.inputValue();
    await mics.selectOption(options.find((v) => v !== now));
    await bob.page.waitForTimeout(1000);
    await expect.poll(() => peakOf(bob.page), { timeout: 10_000,
      intervals: [100] }).toBeGreaterThan(0.03);

    // Over WebTransport the sound travels as datagrams (50 a second each
    // way), never behind a lost packet on the stream.
    const datagrams = await metric(alice.page, 'vc_wt_datagrams_in_total') -
      datagramsBefore;
    if (transport === 'webtransport') expect(datagrams).toBeGreaterThan(500);
    else expect(datagrams).toBe(0);

    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });
}
