// simulcast.spec.mjs: each receiver gets the size of alice's camera its
// tile shows, and alice encodes only the sizes someone gets. Her camera
// (Chromium's fake, 1280x720) is sent as layers of 320, 640 and 1280
// pixels wide (web/js/video/video-send.js); the server forwards one per
// receiver and asks her for the set (server-stub/room_layers.c).
//
//   alice alone:            she encodes nothing;
//   bob pins her:           he asks for the top layer (a tall tile);
//   carol, a phone-sized    she asks for the bottom one; alice encodes
//   window:                 exactly those two, each gets 1280 and 320;
//   bob unpins:             his tile is smaller: the middle layer, at its
//                           keyframe; alice stops the top one.
import { test, expect } from '@playwright/test';
import { joinMeeting, metric, tileOf, TRANSPORTS } from './join.mjs';

const CAMERA_WIDTH = 1280;
const widthOf = (layer) => CAMERA_WIDTH >> (2 - layer);
// What |layer| of her camera may be as wide as: her machine, shared by
// three pages, may have stepped the camera down to 67 % or 50 % of its
// size (docs/VIDEO.md "CPU adaptation"; even sizes, as the encoder's).
const even = (n) => Math.max(2, 2 * Math.round(n / 2));
const layerIs = (layer) => new RegExp(`^${layer}/(${[1, 0.67, 0.5]
  .map((k) => even(widthOf(layer) * k)).join('|')})$`);

// What |page| receives of the sender with session |id|: the layer its
// frame buffer is on and the width of the last picture decoded.
const received = (page, id) => page.evaluate((sid) => {
  const row = document.querySelector(
    `[data-testid="stats-row"][data-session="${sid}"]`);
  return row ? `${row.dataset.videoLayer}/${row.dataset.frameWidth}` : '';
}, id);

const sendLayers = (page) => page.getByTestId('stats-transport')
  .getAttribute('data-send-layers');

const wanted = async (page, user) => Number(await tileOf(page, user)
  .getAttribute('data-layer-wanted'));

for (const transport of TRANSPORTS) {
  test(`each receiver gets the layer its tile shows (${transport})`,
    async ({ browser, request }) => {
      const meeting = `simulcast-${transport}-${Date.now()}`;
      const switchesBefore = await metric(request,
        'vc_simulcast_layer_switches_total');
      const setsBefore = await metric(request, 'vc_simulcast_layer_sets_total');
      const alice = await joinMeeting(browser, 'alice', meeting,
        { stats: true, transport });
      // Nobody watches: no layer is encoded.
      await expect.poll(() => sendLayers(alice.page)).toBe('');

      const bob = await joinMeeting(browser, 'bob', meeting,
        { stats: true, transport });
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      await tileOf(bob.page, 'alice').getByTestId('pin').click();
      await expect.poll(() => wanted(bob.page, 'alice')).toBe(2);
      const aliceId = await tileOf(bob.page, 'alice')
        .getAttribute('data-session');
      await expect.poll(() => received(bob.page, aliceId),
        { timeout: 10_000 }).toMatch(layerIs(2));
      await expect.poll(() => sendLayers(alice.page)).toBe('2');

      const carol = await joinMeeting(browser, 'carol', meeting,
        { stats: true, transport, viewport: { width: 360, height: 640 } });
      await expect.poll(() => wanted(carol.page, 'alice')).toBe(0);
      await expect.poll(() => received(carol.page, aliceId),
        { timeout: 10_000 }).toMatch(layerIs(0));
      await expect.poll(() => sendLayers(alice.page)).toBe('0,2');
      expect(await received(bob.page, aliceId)).toMatch(layerIs(2));

      // bob unpins: alice's tile shrinks to a grid cell of three.
      await tileOf(bob.page, 'alice').getByTestId('pin').click();
      await expect.poll(() => wanted(bob.page, 'alice')).toBe(1);
      await expect.poll(() => received(bob.page, aliceId),
        { timeout: 10_000 }).toMatch(layerIs(1));
      await expect.poll(() => sendLayers(alice.page)).toBe('0,1');
      // Pictures keep coming on the new layer.
      const shown = () => bob.page.evaluate((sid) => Number(document
        .querySelector(`[data-testid="stats-row"][data-session="${sid}"]`)
        ?.dataset.framesDecoded ?? 0), aliceId);
      const before = await shown();
      await expect.poll(shown, { timeout: 10_000 })
        .toBeGreaterThan(before + 30);

      // The server counted it: at least bob to 2, carol to 0, bob to 1
      // (carol's and bob's cameras are switched too), and alice asked for
      // {2}, {0,2}, {0,1,2} while bob switched, then {0,1}.
      expect(await metric(request, 'vc_simulcast_layer_switches_total') -
        switchesBefore).toBeGreaterThanOrEqual(3);
      expect(await metric(request, 'vc_simulcast_layer_sets_total') -
        setsBefore).toBeGreaterThanOrEqual(4);

      for (const p of [alice, bob, carol]) {
        expect(p.errors).toEqual([]);
        await p.context.close();
      }
    });
}
