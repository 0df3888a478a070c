// video-send-cap.spec.mjs: the camera's frames wait for the encoder
// worker two at a time at most (web/js/video/video-send.js): with a
// worker that never answers, the page posts two frames and closes every
// later one instead of queueing it. Run in the page against a stand-in
// Worker, so the cap is reached for certain.
import { test, expect } from '@playwright/test';

test('frames waiting for the encoder worker are capped', async ({ page }) => {
  await page.goto('/');
  const result = await page.evaluate(async () => {
    const posted = [];
    class SilentWorker {
      postMessage(data) {
        if (data.frame) posted.push(data.frame);
      }
    }
    const RealWorker = globalThis.Worker;
    globalThis.Worker = SilentWorker;
    let sender;
    try {
      const { VideoSender } = await import('/js/video/video-send.js');
      sender = new VideoSender(() => {});
    } finally {
      globalThis.Worker = RealWorker;
    }
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const ctx = canvas.getContext('2d');
    const track = canvas.captureStream(30).getVideoTracks()[0];
    const paint = setInterval(() => {
      ctx.fillStyle = `hsl(${Math.random() * 360} 50% 50%)`;
      ctx.fillRect(0, 0, 64, 64);
    }, 20);
    sender.start(track);
    await new Promise((done) => setTimeout(done, 1500));
    clearInterval(paint);
    sender.stop();
    const open = posted.filter((f) => f.format !== null).length;
    for (const f of posted) f.close();
    return { posted: posted.length, open, dropped: sender.dropped };
  });
  expect(result.posted).toBe(2);
  expect(result.open).toBe(2); // handed over, not closed by the page
  expect(result.dropped).toBeGreaterThan(10);
});
