// tab-close.spec.mjs: a person whose tab goes away disappears from the
// others' screens. Closed normally, the page says goodbye on pagehide and
// the tile goes at once. Crashed (nothing said), the server notices the
// silence or the dead connection and lets the resume grace run out:
// within 5 s of silence plus 10 s of grace.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf, TRANSPORTS } from './join.mjs';

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
