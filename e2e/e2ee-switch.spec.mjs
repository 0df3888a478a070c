// e2ee-switch.spec.mjs: the end-to-end encryption switch. Alice joins
// with it off: everyone sees that (the lock badge, her tile, the people
// list), still sees and hears her, and her messages arrive marked as sent
// in the clear. Bob's side stays sealed. She switches it on in the call:
// the badge turns back, and from then on nothing of hers is readable on
// the wire while her picture keeps coming.
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf, TRANSPORTS } from './join.mjs';

// The VP8 keyframe start code (9d 01 2a) and the frame size of each of
// the camera's simulcast layers (14-bit little-endian width and height):
// readable in every keyframe sent in the clear, never in a sealed one.
const KEYFRAME_HEADERS = [
  [0x00, 0x05, 0xd0, 0x02], // 1280x720
  [0x80, 0x02, 0x68, 0x01], // 640x360
  [0x40, 0x01, 0xb4, 0x00], // 320x180
].map((size) => Buffer.from([0x9d, 0x01, 0x2a, ...size]));

const readable = (frames, needle) => frames.some((f) => f.includes(needle));
const anyKeyframe = (frames) =>
  KEYFRAME_HEADERS.some((h) => readable(frames, h));

const framesShown = async (page) => Number(await page
  .locator('[data-testid="stats-row"]').first()
  .getAttribute('data-frames-decoded'));

const badge = (page) => page.getByTestId('e2ee-badge');

const SCREENS = new URL('../build/e2e/screens/', import.meta.url).pathname;

for (const transport of TRANSPORTS) {
  test(`the E2EE switch: off is shown to all, on seals again (${transport})`,
    async ({ browser }) => {
      const meeting = `e2ee-switch-${transport}-${Date.now()}`;
      const alice = await joinMeeting(browser, 'alice', meeting,
        { transport, e2ee: false });
      const bob = await joinMeeting(browser, 'bob', meeting,
        { transport, stats: true });

      // Everyone sees that alice sends in the clear.
      for (const page of [alice.page, bob.page]) {
        await expect(badge(page)).toHaveAttribute('data-encrypted', 'false');
        await expect(badge(page)).toContainText('not end-to-end encrypted');
      }
      await expect(badge(bob.page)).toHaveAttribute('title', /alice/);
      await expect(tileOf(bob.page, 'alice').getByTestId('unencrypted'))
        .toBeVisible();
      await expect(tileOf(alice.page, 'self').getByTestId('unencrypted'))
        .toBeVisible();
      await expect(tileOf(bob.page, 'self').getByTestId('unencrypted'))
        .toHaveCount(0);
      await expect(bob.page.getByTestId('people')).toContainText('not encrypted');
      await expect(alice.page.getByTestId('e2ee-switch')).not.toBeChecked();

      // Bob still sees her (her frames are taken unsealed) and hears her.
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      const before = await framesShown(bob.page);
      await expect.poll(() => framesShown(bob.page), { timeout: 10_000 })
        .toBeGreaterThan(before + 30);

      await alice.page.getByTestId('chat-input').fill('said in the clear');
      await alice.page.getByTestId('chat-send').click();
      const clearChat = bob.page.getByTestId('chat-message')
        .filter({ hasText: 'said in the clear' });
      await expect(clearChat).toHaveAttribute('data-encrypted', 'false');
      await expect(clearChat).toContainText('not encrypted');
      await bob.page.screenshot({ path: `${SCREENS}call-e2ee-off.png` });

      if (transport === 'websocket') {
        // The check can fail: her keyframes and words are readable on the
        // wire; bob's are not.
        expect(anyKeyframe(alice.sent)).toBe(true);
        expect(readable(alice.sent, Buffer.from('said in the clear')))
          .toBe(true);
        expect(bob.sent.length).toBeGreaterThan(100);
        expect(anyKeyframe(bob.sent)).toBe(false);
      }

      // She switches it on: the badge turns green for both.
      await alice.page.getByTestId('e2ee-switch').check();
      for (const page of [alice.page, bob.page]) {
        await expect(badge(page)).toHaveAttribute('data-encrypted', 'true');
        await expect(badge(page)).toContainText('end-to-end encrypted');
      }
      await expect(tileOf(bob.page, 'alice').getByTestId('unencrypted'))
        .toHaveCount(0);
      // What she sends from now on is sealed: a fresh keyframe (camera
      // off and on again starts on one) and a message.
      const from = alice.sent.length;
      await alice.page.getByTestId('camera-button').click();
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toHaveCount(0);
      await alice.page.getByTestId('camera-button').click();
      await expect(tileOf(bob.page, 'alice').getByTestId('remote-video'))
        .toBeVisible({ timeout: 15_000 });
      const again = await framesShown(bob.page);
      await expect.poll(() => framesShown(bob.page), { timeout: 10_000 })
        .toBeGreaterThan(again + 30);
      await alice.page.getByTestId('chat-input').fill('sealed once more');
      await alice.page.getByTestId('chat-send').click();
      const sealedChat = bob.page.getByTestId('chat-message')
        .filter({ hasText: 'sealed once more' });
      await expect(sealedChat).toHaveAttribute('data-encrypted', 'true');
      if (transport === 'websocket') {
        const later = alice.sent.slice(from);
        expect(later.length).toBeGreaterThan(100);
        expect(anyKeyframe(later)).toBe(false);
        expect(readable(later, Buffer.from('sealed once more'))).toBe(false);
      }

      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
      await alice.context.close();
      await bob.context.close();
    });
}
