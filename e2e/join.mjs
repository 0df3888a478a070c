// join.mjs: what every two-person spec starts with: one person opens the
// meeting link in a browser context of their own, joins, and waits until
// the connection is up over the transport asked for (WebTransport unless
// told otherwise). Page errors and every WebSocket frame (both ways, as
// the server sees them) are recorded for the spec to check.
import { expect } from '@playwright/test';

// options: displayName (null keeps the page's suggestion), passphrase (put
// in the link's fragment), baseURL (another server), stats (open the
// stats overlay), transport ('webtransport' or 'websocket', forced with
// the page's ?transport= parameter; 'auto': the page chooses, as for
// people, and WebTransport is expected), prepare (called with the new
// browser context before the page opens, to route requests), viewport
// (the window's size, {width, height}; Playwright's 1280x720 otherwise),
// e2ee (false: the pre-join switch is turned off before joining).
// Returns {context, page, errors, wire (every frame), sent (this page's)}.
export const TRANSPORT_NAMES = Object.freeze({
  webtransport: 'WebTransport', websocket: 'WebSocket', auto: 'WebTransport',
});

// Both ways the page reaches the server; specs that must pass on each
// loop over these.
export const TRANSPORTS = Object.freeze(['webtransport', 'websocket']);

export async function joinMeeting(browser, user, meeting, {
  displayName = user, passphrase = '', baseURL = undefined, stats = false,
  transport = 'webtransport', prepare = null, viewport = undefined,
  e2ee = true,
} = {}) {
  const context = await browser.newContext({
    ...(baseURL ? { baseURL } : {}), ...(viewport ? { viewport } : {}),
  });
  await prepare?.(context);
  const page = await context.newPage();
  const errors = [];
  const wire = [];
  const sent = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => {
    const keep = (f) => wire.push(Buffer.from(f.payload));
    ws.on('framesent', (f) => {
      keep(f);
      sent.push(wire[wire.length - 1]);
    });
    ws.on('framereceived', keep);
  });
  const fragment = passphrase ?
    `#passphrase=${encodeURIComponent(passphrase)}` : '';
  const query = transport === 'auto' ? '' : `?transport=${transport}`;
  await page.goto(`/meeting/${user}/${meeting}${query}${fragment}`);
  await expect(page.getByTestId('join-button')).toBeEnabled();
  if (displayName !== null) {
    await page.getByTestId('display-name').fill(displayName);
  }
  if (!e2ee) await page.getByTestId('e2ee-toggle').uncheck();
  await page.getByTestId('join-button').click();
  await expect(page.getByTestId('call')).toBeVisible();
  await expect(page.getByTestId('connection-detail'))
    .toHaveText(`Connected over ${TRANSPORT_NAMES[transport]}`);
  if (stats) {
    await page.getByTestId('stats-button').click();
    await expect(page.getByTestId('stats-panel')).toBeVisible();
  }
  return { context, page, errors, wire, sent };
}

// The tile of |user| (their camera or avatar) on |page|.
export const tileOf = (page, user) =>
  page.locator(`[data-testid="tile"][data-user="${user}"]`);

// A counter of the server's /metrics, read through |source|: a page (its
// request context) or Playwright's request fixture.
export async function metric(source, name) {
  const text = await (await (source.request ?? source).get('/metrics')).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}
