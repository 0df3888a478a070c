// meeting-call.spec.mjs: two people in one meeting, each in their own
// browser context, over the real server's WebSocket path and the C core in
// WebAssembly: they see each other, chat, see mute and raised hands, and
// one leaving removes their tile from the other's screen within a second.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf, TRANSPORTS } from './join.mjs';

// Screenshots for people to look at, kept with the other e2e output.
// Display names as people type them: "Alice Example".
const join = (browser, user, meeting, transport) => joinMeeting(browser,
  user, meeting, { transport,
    displayName: `${user[0].toUpperCase()}${user.slice(1)} Example` });

const SCREENS = new URL('../build/e2e/screens/', import.meta.url).pathname;

for (const transport of TRANSPORTS) {
  test(`two people meet: roster, chat, mute, hand, leave (${transport})`,
    async ({ browser }) => {
    const meeting = `call-${transport}-${Date.now()}`;
    const alice = await join(browser, 'alice', meeting, transport);
    const bob = await join(browser, 'bob', meeting, transport);

    // Each sees the other's tile with their display name, and the host mark
    // on alice, who came first.
    await expect(tileOf(alice.page, 'bob')).toContainText('Bob Example');
    await expect(tileOf(bob.page, 'alice')).toContainText('Alice Example');
    await expect(tileOf(bob.page, 'alice')).toContainText('host');
    await expect(alice.page.getByTestId('people-count')).toHaveText('(2)');
    await alice.page.screenshot({ path: SCREENS + 'call-two.png' });

    // Chat, both ways, exactly once.
    await alice.page.getByTestId('chat-input').fill('hello bob');
    await alice.page.getByTestId('chat-send').click();
    await expect(bob.page.getByTestId('chat-message'))
      .toContainText(['hello bob']);
    await bob.page.getByTestId('chat-input').fill('hi alice 👋');
    await bob.page.keyboard.press('Enter');
    await expect(alice.page.getByTestId('chat-message'))
      .toContainText(['hello bob', 'hi alice 👋']);
    await expect(bob.page.getByTestId('chat-message')).toHaveCount(2);

    // Chat is sealed in the page: the words never cross the wire, though
    // the frames are there to see (display names travel in the clear).
    await expect(alice.page.getByTestId('e2ee-badge')).toBeVisible();
    const seen = (needle) => [...alice.wire, ...bob.wire]
      .some((frame) => frame.includes(needle));
    if (transport === 'websocket') { // Playwright sees WebSocket frames only
      expect(seen('Bob Example')).toBe(true);
      expect(seen('hello bob')).toBe(false);
      expect(seen('hi alice')).toBe(false);
    }

    // Both screens show the same safety code, made of everyone's keys.
    await expect(alice.page.getByTestId('safety-code'))
      .toHaveText(/^\d{5} \d{5} \d{5} \d{5}$/);
    expect(await bob.page.getByTestId('safety-code').textContent())
      .toBe(await alice.page.getByTestId('safety-code').textContent());

    // Mute and a raised hand show on the other side.
    await alice.page.getByTestId('mic-button').click();
    await expect(tileOf(bob.page, 'alice').getByTestId('muted')).toBeVisible();
    await bob.page.getByTestId('hand-button').click();
    await expect(tileOf(alice.page, 'bob').getByTestId('hand')).toBeVisible();

    // bob pins alice: her tile comes first, across the whole row; unpinned,
    // it goes back into the grid.
    const aliceTile = tileOf(bob.page, 'alice');
    await aliceTile.hover();
    await aliceTile.getByTestId('pin').click();
    await expect(tileOf(bob.page, 'alice')).toHaveAttribute('data-pinned',
      'true');
    await expect(bob.page.getByTestId('tile').first())
      .toHaveAttribute('data-user', 'alice');
    // Once laid out (the grid is rebuilt on the next frame): the pinned
    // tile is the big one.
    await expect.poll(async () => {
      const widths = await bob.page.getByTestId('tile').evaluateAll(
        (ts) => ts.map((t) => t.getBoundingClientRect().width));
      return widths[1] > 0 ? widths[0] / widths[1] : 0;
    }).toBeGreaterThan(1.5);
    await tileOf(bob.page, 'alice').getByTestId('pin').click();
    await expect(tileOf(bob.page, 'alice')).toHaveAttribute('data-pinned',
      'false');

    // alice leaves: her tile goes from bob's screen within a second, and bob
    // becomes the host.
    await alice.page.getByTestId('leave-button').click();
    await expect(alice.page.getByTestId('ended-banner'))
      .toHaveText('You left the meeting.');
    await expect(tileOf(bob.page, 'alice')).toHaveCount(0, { timeout: 1000 });
    await expect(bob.page.getByTestId('people-count')).toHaveText('(1)');
    await expect(bob.page.getByTestId('people')).toContainText('host');

    await bob.page.screenshot({ path: SCREENS + 'call-after-leave.png' });
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });
}
