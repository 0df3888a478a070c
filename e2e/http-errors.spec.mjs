// http-errors.spec.mjs: bad links and hostile paths against the running
// server get clear pages and never leak a file outside the web root.
import net from 'node:net';
import { test, expect } from '@playwright/test';

const port = Number(process.env.VC_E2E_PORT ?? 18080);

// Sends one raw request, exactly as written (no URL normalisation), and
// returns the whole response text.
function rawRequest(target) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(
      `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
    sock.setTimeout(5000, () => reject(new Error('timeout')));
  });
}

test('an unknown route gets a 404 page', async ({ page }) => {
  const res = await page.goto('/no/such/page');
  expect(res.status()).toBe(404);
  await expect(page.locator('body')).toContainText(/not found/i);
  await expect(page.getByRole('link', { name: /home|start/i })).toBeVisible();
});

test('a meeting link with unsafe characters explains the rule',
  async ({ page }) => {
    const res = await page.goto('/meeting/al%3Cb%3Ece/room1');
    expect(res.status()).toBe(400);
    const body = page.locator('body');
    await expect(body).toContainText(/letters|A–Z|A-Z/);
    // The bad name is never echoed as markup.
    expect(await page.locator('b').count()).toBe(0);
  });

test('paths with .. never leave the web root', async () => {
  for (const target of ['/../../../../etc/passwd', '/js/../../CMakeLists.txt',
    '/%2e%2e/%2e%2e/etc/passwd', '/js/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd']) {
    const res = await rawRequest(target);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1]);
    expect(status, target).toBeGreaterThanOrEqual(400);
    expect(res, target).not.toContain('root:');
    expect(res, target).not.toContain('project(vc');
  }
});

test('the WASM module is served with its MIME type', async ({ request }) => {
  const res = await request.get('/js/wasm/vc_core.wasm');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('application/wasm');
});
