// tab-close.spec.mjs: a person whose tab goes away disappears from the
// others' screens. Closed normally, the page says goodbye on pagehide and
// the tile goes at once. Crashed (nothing said), the server notices the
// silence or the dead connection and lets the resume grace run out:
// within 5 s of silence plus 10 s of grace. A tab whose goodbye on the
// connection is lost still leaves at once, by its HTTP beacon.
import { test, expect } from '@playwright/test';
import { joinMeeting, metric, tileOf, TRANSPORTS } from './join.mjs';


for (const transport of TRANSPORTS) {
  test(`a tab that goes away leaves the meeting (${transport})`,
    async ({ browser }) => {
      const meeting = `gone-${transport}-${Date.now()}`;
      const alice = await joinMeeting(browser, 'alice', meeting, { transport });
      const bob = await joinMeeting(browser, 'bob', meeting, { transport });
      const carol = await joinMeeting(browser, 'carol', meeting,
        { transport });
      await expect(alice.page.getByTestId('people-count')).toHaveText('(3)');

      // bob closes his tab: gone at once.
      await bob.context.close();
      await expect(tileOf(alice.page, 'bob')).toHaveCount(0,
        { timeout: 2000 });

      // carol's tab crashes: gone once the server gives up on her.
      const cdp = await carol.context.newCDPSession(carol.page);
      cdp.send('Page.crash').catch(() => {}); // never answers: it crashed
      await expect(tileOf(alice.page, 'carol')).toHaveCount(0,
        { timeout: 25_000 });
      await expect(alice.page.getByTestId('people-count')).toHaveText('(1)');
      expect(alice.errors).toEqual([]);
      await carol.context.close();
      await alice.context.close();
    });
}

// A closing tab whose goodbye on the meeting connection is lost: its
// HTTP beacon (POST /leave with the session's resume token) still takes
// it out at once. The WebSocket is routed through Playwright so that
// nothing bob's page sends after "cut" reaches the server. Only the tab
// closes, as when a person closes it: closing the whole browser context
// would also end its network context, and with it the beacon in flight.
test('a closing tab whose Leave is lost leaves by its beacon', async ({
  browser,
}) => {
  const meeting = `beacon-${Date.now()}`;
  let cut = false;
  const alice = await joinMeeting(browser, 'alice', meeting,
    { transport: 'websocket' });
  const bob = await joinMeeting(browser, 'bob', meeting, {
    transport: 'websocket',
    prepare: (context) => context.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => { if (!cut) server.send(m); });
      server.onMessage((m) => ws.send(m));
    }),
  });
  await expect(tileOf(alice.page, 'bob')).toHaveCount(1);
  const before = await metric(alice.page, 'vc_leave_beacons_total');
  cut = true; // bob's Leave will not arrive
  await bob.page.close();
  await expect(tileOf(alice.page, 'bob')).toHaveCount(0, { timeout: 2000 });
  expect(await metric(alice.page, 'vc_leave_beacons_total')).toBe(before + 1);
  expect(alice.errors).toEqual([]);
  await bob.context.close();
  await alice.context.close();
});
