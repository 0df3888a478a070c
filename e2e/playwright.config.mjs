// Playwright runs the e2e specs against the real server (started here from
// the native build) in Debian's Chromium with fake camera and microphone.
// It never downloads a browser. Run through scripts/test.sh.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.VC_E2E_PORT ?? 18080);

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.mjs',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1, // two cores: one Chromium at a time keeps timings sane
  retries: 0,
  outputDir: '../build/e2e/test-results',
  reporter: [['list'], ['json', { outputFile: '../build/e2e/results.json' }]],
  use: {
    baseURL: `http://localhost:${port}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        // Our machines have no Internet: stop Chromium trying.
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `build/native/server-stub/vc-server --web-root build/web ` +
      `--port ${port} --log-level warn`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 15_000,
  },
});
