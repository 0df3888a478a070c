// meeting-page.spec.mjs: a person opens /meeting/alice/room1 and sees who
// and where they are, their camera, and a meeting engine (the C core in
// WebAssembly) that really encodes and decodes the protocol envelope.
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';

// The version the page must show comes from the top-level CMakeLists.txt.
const cmake = readFileSync(new URL('../CMakeLists.txt', import.meta.url),
  'utf8');
const VERSION = /project\(vc VERSION (\d+\.\d+\.\d+)/.exec(cmake)[1];

// tests/vectors/envelope_v1.h: bytes worked out by hand from the protobuf
// rules; the WASM core must produce exactly these.
const GOLDEN_ROUTE = {
  senderSession: 7, kind: 3, layer: 2, keyframe: true, sequence: 300,
  audioLevel: 30, timestampUs: 1000000,
};
const GOLDEN_BYTES = [
  0x08, 0x01, 0x12, 0x11, 0x08, 0x07, 0x10, 0x03, 0x18, 0x02, 0x20, 0x01,
  0x28, 0xac, 0x02, 0x30, 0x1e, 0x38, 0xc0, 0x84, 0x3d, 0x7a, 0x02, 0x68,
  0x69,
];

test('shows the user, the meeting, the camera and a working core',
  async ({ page }) => {
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('/meeting/alice/room1');

    await expect(page.getByTestId('user-name')).toHaveText('alice');
    await expect(page.getByTestId('meeting-id')).toHaveText('room1');
    await expect(page.getByTestId('core-version')).toHaveText(VERSION);
    await expect(page.getByTestId('core-status'))
      .toHaveAttribute('data-state', 'ok');
    await expect(page.getByTestId('core-status'))
      .toContainText('envelope round trip ok');
    await expect(page.getByTestId('app-error')).toBeHidden();

    // The fake camera's frames reach the preview.
    await expect.poll(() => page.getByTestId('camera-preview')
      .evaluate((v) => v.videoWidth)).toBeGreaterThan(0);
    await expect(page.getByTestId('device-summary'))
      .toContainText('Microphone:');
    expect(pageErrors).toEqual([]);
  });

test('the WASM core writes and reads the exact wire bytes', async ({ page }) => {
  await page.goto('/meeting/alice/room1');
  const result = await page.evaluate(async ({ route, golden }) => {
    const { loadCore } = await import('/js/core.js');
    const core = await loadCore();
    const bytes = core.encodeEnvelope(route, new TextEncoder().encode('hi'));
    const back = core.decodeEnvelope(new Uint8Array(golden));
    let truncated = null;
    try {
      core.decodeEnvelope(new Uint8Array(golden.slice(0, 5)));
    } catch (e) {
      truncated = e.message;
    }
    return {
      bytes: Array.from(bytes),
      route: back.route,
      payload: new TextDecoder().decode(back.payload),
      truncated,
    };
  }, { route: GOLDEN_ROUTE, golden: GOLDEN_BYTES });

  expect(result.bytes).toEqual(GOLDEN_BYTES);
  expect(result.route).toEqual(GOLDEN_ROUTE);
  expect(result.payload).toBe('hi');
  expect(result.truncated).toBe('could not decode an envelope: ' +
    'malformed message');
});

test('a core that cannot load is a sentence, not a blank page',
  async ({ page }) => {
    await page.route('**/js/wasm/vc_core.wasm', (r) => r.abort());
    await page.goto('/meeting/alice/room1');
    await expect(page.getByTestId('core-status'))
      .toHaveAttribute('data-state', 'error');
    await expect(page.getByTestId('app-error'))
      .toContainText('The meeting engine failed to start');
    // The rest of the page still works.
    await expect(page.getByTestId('user-name')).toHaveText('alice');
  });

test('a browser without WebCodecs is told what to use', async ({ page }) => {
  await page.addInitScript(() => {
    delete window.VideoEncoder;
    delete window.VideoDecoder;
  });
  await page.goto('/meeting/alice/room1');
  await expect(page.getByTestId('app-error')).toContainText(
    "This browser can't join video calls: it has no WebCodecs");
  await expect(page.getByTestId('app-error')).toContainText('Chrome or Edge');
});

test('the start page leads to the meeting link', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Your name').fill('bob');
  await page.getByLabel('Meeting').fill('bad name!');
  await page.getByRole('button', { name: 'Go to meeting' }).click();
  await expect(page.getByRole('alert')).toContainText('can only use');
  await page.getByLabel('Meeting').fill('room1');
  await page.getByRole('button', { name: 'Go to meeting' }).click();
  await expect(page).toHaveURL(/\/meeting\/bob\/room1$/);
  await expect(page.getByTestId('user-name')).toHaveText('bob');
});
