// screens.spec.mjs: the screens people judge the product by, saved for a
// human to look at (build/e2e/screens/): the pre-join screen, a grid of
// four, and the chat panel in use. Each also checks what must be on it.
import { test, expect } from '@playwright/test';

const SCREENS = new URL('../build/e2e/screens/', import.meta.url).pathname;

async function open(browser, user, meeting) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  await page.goto(`/meeting/${user}/${meeting}`);
  await expect(page.getByTestId('join-button')).toBeEnabled();
  return { context, page };
}

test('pre-join, a grid of four, and chat look like a product', async ({ browser }) => {
  const meeting = `screens-${Date.now()}`;
  const names = ['ana', 'ben', 'cleo', 'dev'];
  const people = [];
  for (const user of names) people.push(await open(browser, user, meeting));

  const first = people[0].page;
  await expect.poll(() => first.getByTestId('camera-preview')
    .evaluate((v) => v.videoWidth)).toBeGreaterThan(0);
  await first.screenshot({ path: `${SCREENS}prejoin.png` });

  for (const { page } of people) {
    await page.getByTestId('join-button').click();
    await expect(page.getByTestId('connection-detail'))
      .toHaveText('Connected over WebTransport');
  }
  await expect(first.locator('[data-testid="tile"]')).toHaveCount(4);
  await expect(first.getByTestId('people-count')).toHaveText('(4)');
  await people[1].page.getByTestId('mic-button').click();
  await people[2].page.getByTestId('hand-button').click();
  for (const [i, text] of [[1, 'Morning all'], [2, 'Can everyone see the doc?'],
    [0, 'Yes, sharing it in a minute'], [3, 'Joining from the train, on mute']]) {
    await people[i].page.getByTestId('chat-input').fill(text);
    await people[i].page.keyboard.press('Enter');
  }
  await expect(first.getByTestId('chat-message')).toHaveCount(4);
  await expect(first.locator('[data-testid="tile"][data-user="ben"]')
    .getByTestId('muted')).toBeVisible();
  await expect(first.locator('[data-testid="tile"][data-user="cleo"]')
    .getByTestId('hand')).toBeVisible();
  await first.screenshot({ path: `${SCREENS}grid-of-four.png` });
  await first.locator('aside').screenshot({ path: `${SCREENS}chat-panel.png` });

  for (const { context } of people) await context.close();
});
