// meeting-restart.spec.mjs: the server restarts under a meeting. Both
// people see "Reconnecting…", the pages rejoin by themselves once the
// server is back, see each other again, and chat works again. The spec
// runs its own vc-server (not the shared one) so it can stop and start it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { joinMeeting, tileOf } from './join.mjs';

const join = (browser, baseURL, user, meeting) =>
  joinMeeting(browser, user, meeting, { baseURL, displayName: null });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = `${ROOT}build/native/server-stub/vc-server`;

// Starts vc-server on |port| (0: any); resolves {proc, port}.
function startServer(port) {
  return new Promise((resolve, reject) => {
    const proc = spawn(SERVER, ['--web-root', `${ROOT}build/web`,
      '--port', String(port), '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/localhost:(\d+)\//.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`vc-server exited ${code}`)));
  });
}

function stopServer(proc) {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', resolve);
    proc.kill('SIGTERM');
  });
}

test('a server restart: reconnecting, then back together', async ({ browser }) => {
  let server = await startServer(0);
  const base = `http://localhost:${server.port}`;
  try {
    const alice = await join(browser, base, 'alice', 'restart');
    const bob = await join(browser, base, 'bob', 'restart');
    await expect(tileOf(alice.page, 'bob')).toHaveCount(1);

    // A graceful restart: the server tells everyone to come back later.
    await stopServer(server.proc);
    await expect(alice.page.getByTestId('connection-banner')).toBeVisible();
    await expect(bob.page.getByTestId('connection-banner')).toBeVisible();
    await expect(alice.page.getByTestId('connection-detail'))
      .toHaveText('Reconnecting…');

    server = await startServer(server.port);
    // Backoff is at most 8 s plus jitter; both are back well inside 15 s.
    for (const [p, other] of [[alice.page, 'bob'], [bob.page, 'alice']]) {
      await expect(p.getByTestId('connection-banner')).toBeHidden();
      await expect(p.getByTestId('connection-detail'))
        .toHaveText('Connected over WebTransport');
      await expect(tileOf(p, other)).toHaveCount(1);
    }
    await bob.page.getByTestId('chat-input').fill('back again');
    await bob.page.keyboard.press('Enter');
    await expect(alice.page.getByTestId('chat-message'))
      .toContainText(['back again']);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await stopServer(server.proc);
  }
});
