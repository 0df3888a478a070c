// cpu-load.spec.mjs: a loaded machine steps the camera down. alice sends
// her 1280x720 camera; then her page starts a busy-loop Worker per core,
// as another heavy tab would. Her encoders take longer than the frame
// interval, the core's CPU adaptation (src/rate/cpu_adaptation.c) steps
// the camera down, and her stats overlay says so; bob keeps receiving.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf } from './join.mjs';

const cpuLevel = async (page) => Number(await page
  .getByTestId('stats-transport').getAttribute('data-cpu-level'));

test('a loaded machine steps the camera down and says so',
  async ({ browser }) => {
    test.setTimeout(120_000);
    const meeting = `cpu-${Date.now()}`;
    const alice = await joinMeeting(browser, 'alice', meeting,
      { stats: true });
    const bob = await joinMeeting(browser, 'bob', meeting, { stats: true });
    await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
      .toBeVisible({ timeout: 15_000 });
    // Encode times are reported: the overlay shows a usage figure, and
    // with only the two pages running the camera goes at full size.
    await expect.poll(async () => Number(await alice.page
      .getByTestId('stats-transport').getAttribute('data-cpu-usage')),
    { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => cpuLevel(alice.page), { timeout: 40_000 })
      .toBe(0);

    // Every core busy (twice over: the machine is shared with bob's page).
    await alice.page.evaluate(() => {
      const src = 'for (;;) {}';
      const url = URL.createObjectURL(new Blob([src]));
      const n = 2 * (navigator.hardwareConcurrency || 2);
      window.busyWorkers = Array.from({ length: n }, () => new Worker(url));
    });
    await expect.poll(() => cpuLevel(alice.page), { timeout: 60_000 })
      .toBeGreaterThan(0);
    await expect(alice.page.getByTestId('stats-transport'))
      .toContainText('camera stepped down');
    // bob still gets pictures from her.
    const shown = async () => Number(await bob.page
      .locator('[data-testid="stats-row"]').first()
      .getAttribute('data-frames-decoded'));
    const before = await shown();
    await expect.poll(shown, { timeout: 20_000 }).toBeGreaterThan(before + 10);

    await alice.page.evaluate(() => {
      for (const w of window.busyWorkers) w.terminate();
    });
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });
