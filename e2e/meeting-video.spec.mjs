// meeting-video.spec.mjs: two people see each other. Chromium's fake
// camera goes through MediaStreamTrackProcessor and WebCodecs (VP8) in
// alice's page, the core (sealed), the server (forwarded on bob's
// subscription), the core in bob's page (frame buffer: order, keyframe
// gating) and WebCodecs again onto a canvas in alice's tile. Turning the
// camera off shows her avatar instead; a shared screen gets a tile.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf, TRANSPORTS } from './join.mjs';

const join = (browser, user, meeting, transport = 'webtransport') =>
  joinMeeting(browser, user, meeting, { stats: true, transport });

const SCREENS = new URL('../build/e2e/screens/', import.meta.url).pathname;

// Every VP8 keyframe starts (after its 3-byte frame tag) with the start
// code 9d 01 2a and its width and height: for Chromium's 1280x720 fake
// camera, these 7 bytes (seen in every keyframe with E2EE off). Sealed
// frames never show them on the wire.
const VP8_KEYFRAME_1280x720 = Buffer.from([0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0,
  0x02]);

const shown = async (page) => Number(await page
  .locator('[data-testid="stats-row"]').first()
  .getAttribute('data-frames-decoded'));

for (const transport of TRANSPORTS) {
  test('two people see each other; camera off shows the avatar; screen share' +
    ` (${transport})`, async ({ browser }) => {
      const meeting = `video-${transport}-${Date.now()}`;
      const alice = await join(browser, 'alice', meeting, transport);
      const bob = await join(browser, 'bob', meeting, transport);

      // bob decodes alice's camera and shows it in her tile, and the other
      // way round; frames keep coming.
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      await expect(tileOf(alice.page, 'bob').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      const before = await shown(bob.page);
      await expect.poll(() => shown(bob.page), { timeout: 10_000 })
        .toBeGreaterThan(before + 30);

      // The canvas has a picture: not all one colour.
      const varied = await tileOf(bob.page, 'alice').getByTestId('remote-video')
        .evaluate((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
          let min = 255, max = 0;
          for (let i = 0; i < d.data.length; i += 4 * 97) {
            min = Math.min(min, d.data[i]);
            max = Math.max(max, d.data[i]);
          }
          return max - min;
        });
      expect(varied).toBeGreaterThan(20);
      await bob.page.screenshot({ path: SCREENS + 'call-video-stats.png' });

      // No byte copied by JS more than the APIs force (docs/VIDEO.md
      // "Copies"): out, video twice (encoder into the core, sealed frame
      // out to the transport) and audio once; in, once into the core and
      // video once more into its EncodedVideoChunk. Video is most of the
      // bytes, so a third copy of each frame would show as 2.5 or more.
      const copies = async (page, way) => Number(await page
        .getByTestId('stats-transport').getAttribute(`data-copies-${way}`));
      for (const page of [alice.page, bob.page]) {
        expect(await copies(page, 'out')).toBeGreaterThan(1.5);
        expect(await copies(page, 'out')).toBeLessThanOrEqual(2);
        expect(await copies(page, 'in')).toBeGreaterThan(1.5);
        expect(await copies(page, 'in')).toBeLessThanOrEqual(2);
      }

      // Camera off: bob sees alice's avatar; on again: her video.
      await alice.page.getByTestId('camera-button').click();
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toHaveCount(0);
      await expect(tileOf(bob.page, 'alice')).toContainText('A');
      await alice.page.getByTestId('camera-button').click();
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toBeVisible();
      const again = await shown(bob.page);
      await expect.poll(() => shown(bob.page), { timeout: 10_000 })
        .toBeGreaterThan(again + 10);

      // alice shares her screen: it appears as a tile of its own on bob's
      // screen, with a picture; when she stops, the tile goes.
      await alice.page.getByTestId('screen-button').click();
      await expect(alice.page.getByTestId('screen-button'))
        .toHaveText('Stop sharing');
      const screen = bob.page.locator(
        '[data-testid="screen-tile"][data-user="alice"]');
      await expect(screen).toContainText('alice\'s screen');
      await expect(screen.getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      await bob.page.screenshot({ path: SCREENS + 'call-screen-share.png' });
      await alice.page.getByTestId('screen-button').click();
      await expect(screen).toHaveCount(0);

      // Video crossed the wire (megabytes of it), sealed: no keyframe's
      // plaintext header appears in any frame, either way.
      // (Playwright sees WebSocket frames only.)
      if (transport === 'websocket') {
        const bytes = [...alice.wire, ...bob.wire]
          .reduce((n, f) => n + f.length, 0);
        expect(bytes).toBeGreaterThan(200_000);
        expect([...alice.wire, ...bob.wire]
          .some((f) => f.includes(VP8_KEYFRAME_1280x720))).toBe(false);
      }

      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
      await alice.context.close();
      await bob.context.close();
    });
}

test('a connection that drops shows as poor, then good again',
  async ({ browser }) => {
    // Over WebSocket: Playwright's offline mode cuts TCP, not QUIC.
    const meeting = `quality-${Date.now()}`;
    const alice = await join(browser, 'alice', meeting, 'websocket');
    const bob = await join(browser, 'bob', meeting, 'websocket');
    const badge = tileOf(alice.page, 'bob').getByTestId('quality');
    await expect(badge).toHaveAttribute('data-quality', /good|fair/,
      { timeout: 15_000 });
    // bob's network goes: his picture stops reaching alice.
    await bob.context.setOffline(true);
    await expect(badge).toHaveAttribute('data-quality', 'poor',
      { timeout: 10_000 });
    // Back within the grace period: he resumes and the bars recover.
    await bob.context.setOffline(false);
    await expect(badge).toHaveAttribute('data-quality', /good|fair/,
      { timeout: 20_000 });
    await alice.context.close();
    await bob.context.close();
  });
