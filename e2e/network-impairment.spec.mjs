// network-impairment.spec.mjs: a call over WebTransport on a bad network.
// Both pages reach the server's UDP port through vc-netem-proxy (the
// kernels here have no netem), which loses and delays packets as the
// profiles of tests/netem say, or drops everything. The call carries on
// through 2 % loss, comes back by itself after a two-second outage, and
// when UDP stays dead both pages see "Reconnecting…" and resume over
// WebSocket without a reload.
import { test, expect } from '@playwright/test';
import { joinMeeting, metric, tileOf } from './join.mjs';
import { withProxy, routeWebTransport } from './netem-proxy.mjs';

// What bob's stats overlay says about alice: frames drawn, audio packets
// received, audio samples received and concealed.
async function fromAlice(bob) {
  const row = bob.page.locator('[data-testid="stats-row"]').first();
  return {
    frames: Number(await row.getAttribute('data-frames-decoded')),
    packets: Number(await row.getAttribute('data-packets')),
    samples: Number(await row.getAttribute('data-samples')),
    concealed: Number(await row.getAttribute('data-concealed-samples')),
  };
}

// Join options for a page whose WebTransport goes through |proxy|.
const viaProxy = (proxy) => ({
  transport: 'auto', stats: true,
  prepare: (context) => routeWebTransport(context, proxy),
});

// Percent of the audio played between two readings that was concealed.
const concealedPct = (a, b) => 100 * (b.concealed - a.concealed) /
  Math.max(1, b.samples - a.samples + b.concealed - a.concealed);

test('a call through loss, a short outage and dead UDP', async ({
  browser, request,
}) => {
  test.setTimeout(120_000);
  await withProxy(request, async (proxy) => {
    const meeting = `impaired-${Date.now()}`;
    const join = (user) => joinMeeting(browser, user, meeting,
      viaProxy(proxy));
    const alice = await join('alice');
    const bob = await join('bob');
    await expect(tileOf(bob.page, 'alice')).toHaveCount(1);
    await expect.poll(async () => (await fromAlice(bob)).frames,
      { timeout: 15_000 }).toBeGreaterThan(10);
    expect((await proxy.stats()).up_in).toBeGreaterThan(100);

    // 2 % of packets lost each way, 20 ms late: sound and pictures go on.
    await proxy.command('profile loss2');
    let before = await fromAlice(bob);
    await bob.page.waitForTimeout(6000);
    let after = await fromAlice(bob);
    expect(after.frames - before.frames).toBeGreaterThan(30);
    expect(after.packets - before.packets).toBeGreaterThan(200);
    // About 4 % of packets are lost end to end; in-band FEC repairs many.
    expect(concealedPct(before, after)).toBeLessThan(15);
    const lossy = await proxy.stats();
    expect(lossy.up_lost + lossy.down_lost).toBeGreaterThan(10);

    // Two seconds of nothing, then the path is clean again. QUIC's probe
    // timer has backed off by then, so the stall lasts 1 to 3 s longer;
    // if the silence passes the 5 s liveness limit the page reconnects
    // (over WebTransport again). Either way media flows again within 10 s.
    await proxy.command('blackout');
    await bob.page.waitForTimeout(2000);
    await proxy.command('profile none');
    before = await fromAlice(bob);
    await expect.poll(async () => (await fromAlice(bob)).frames - before.frames,
      { timeout: 10_000 }).toBeGreaterThan(20);
    for (const p of [alice.page, bob.page]) {
      await expect(p.getByTestId('connection-detail'))
        .toHaveText('Connected over WebTransport');
    }

    // UDP dies for good: both notice the silence ("Reconnecting…" stays up
    // through the attempts), try WebTransport again, give up on it after
    // 4 s and come back over WebSocket, in the same meeting.
    await proxy.command('blackout');
    for (const p of [alice.page, bob.page]) {
      await expect(p.getByTestId('connection-banner'))
        .toBeVisible({ timeout: 10_000 });
    }
    for (const [p, other] of [[alice.page, 'bob'], [bob.page, 'alice']]) {
      await expect(p.getByTestId('connection-detail'))
        .toHaveText('Connected over WebSocket', { timeout: 25_000 });
      await expect(tileOf(p, other)).toHaveCount(1);
    }
    before = await fromAlice(bob);
    await expect.poll(async () => (await fromAlice(bob)).frames - before.frames,
      { timeout: 10_000 }).toBeGreaterThan(20);
    await bob.page.getByTestId('chat-input').fill('still here');
    await bob.page.keyboard.press('Enter');
    await expect(alice.page.getByTestId('chat-message'))
      .toContainText(['still here']);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });
});

// The server's congestion signals with simulcast: bob's downlink narrows
// to 250 kbps (the proxy on his connection only). The server's queue
// towards him grows, and it moves him alone to a smaller layer of
// alice's camera, one step per congested second, while carol keeps the
// largest; alice encodes both. Once bob's path is wide again he climbs
// back a layer at a time (docs/SERVER.md "Congestion signals").
test('a narrow downlink moves that receiver alone to a smaller layer', async ({
  browser, request,
}) => {
  test.setTimeout(120_000);
  await withProxy(request, async (proxy) => {
    const meeting = `narrow-${Date.now()}`;
    const alice = await joinMeeting(browser, 'alice', meeting,
      { transport: 'webtransport', stats: true });
    const bob = await joinMeeting(browser, 'bob', meeting, viaProxy(proxy));
    const carol = await joinMeeting(browser, 'carol', meeting,
      { transport: 'webtransport', stats: true });
    // Both pin alice: a tile that wants her largest layer.
    for (const p of [bob, carol]) {
      await expect(tileOf(p.page, 'alice').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      await tileOf(p.page, 'alice').getByTestId('pin').click();
    }
    const aliceId = await tileOf(bob.page, 'alice')
      .getAttribute('data-session');
    const layerAt = (p) => p.page.evaluate((sid) => Number(document
      .querySelector(`[data-testid="stats-row"][data-session="${sid}"]`)
      ?.dataset.videoLayer ?? -1), aliceId);
    const sendLayers = () => alice.page.getByTestId('stats-transport')
      .getAttribute('data-send-layers');
    await expect.poll(() => layerAt(bob), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => layerAt(carol), { timeout: 15_000 }).toBe(2);
    await expect.poll(sendLayers, { timeout: 15_000 }).toBe('2');
    const lowered = await metric(request,
      'vc_simulcast_layer_caps_lowered_total');

    await proxy.command('rate 250');
    await expect.poll(() => layerAt(bob), { timeout: 15_000 })
      .toBeLessThan(2);
    expect(await metric(request, 'vc_simulcast_layer_caps_lowered_total'))
      .toBeGreaterThan(lowered);
    // carol's picture is not bob's problem.
    expect(await layerAt(carol)).toBe(2);
    expect((await sendLayers()).split(',')).toContain('2');
    // bob still sees alice move, on the smaller layer.
    const shown = async (p) => p.page.evaluate((sid) => Number(document
      .querySelector(`[data-testid="stats-row"][data-session="${sid}"]`)
      ?.dataset.framesDecoded ?? 0), aliceId);
    let before = await shown(bob);
    await expect.poll(() => shown(bob), { timeout: 10_000 })
      .toBeGreaterThan(before + 20);

    await proxy.command('profile none');
    // A layer back after each 4 s without congestion.
    await expect.poll(() => layerAt(bob), { timeout: 40_000 }).toBe(2);
    await expect.poll(sendLayers, { timeout: 15_000 }).toBe('2');
    before = await shown(bob);
    await expect.poll(() => shown(bob), { timeout: 10_000 })
      .toBeGreaterThan(before + 20);
    for (const p of [alice, bob, carol]) {
      expect(p.errors).toEqual([]);
      await p.context.close();
    }
  });
});
