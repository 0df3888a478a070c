// https.spec.mjs: vc-server with a host's own certificate (--cert/--key),
// as on a real machine: the page comes over HTTPS and WebSocket over WSS
// on the same port, and WebTransport uses the same certificate, with no
// hash to pin (/webtransport.json lists none). The spec makes a test
// certificate authority and a certificate signed by it with openssl, and
// its own Chromium trusts the authority through an NSS database (how a
// Linux machine trusts a local root): the HTTPS page load checks the
// chain for real. Chromium does not accept locally trusted roots for
// QUIC, so for WebTransport this browser runs with
// --webtransport-developer-mode, which skips that check.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect, chromium } from '@playwright/test';
import { joinMeeting, tileOf } from './join.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = `${ROOT}build/native/server-stub/vc-server`;
const DIR = `${ROOT}build/e2e/tls`;

// A test certificate authority and a P-256 certificate for localhost
// signed by it, and an NSS database (where Chromium on Linux looks for
// locally trusted roots) that trusts the authority. Returns the HOME
// under which Chromium finds that database.
function makeCertificates() {
  mkdirSync(DIR, { recursive: true });
  const home = `${DIR}/home`;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(`${home}/.pki/nssdb`, { recursive: true });
  writeFileSync(`${DIR}/leaf.ext`, 'subjectAltName=DNS:localhost,' +
    'IP:127.0.0.1,IP:::1\nbasicConstraints=critical,CA:FALSE\n' +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', `${DIR}/ca.key`,
    '-out', `${DIR}/ca.pem`, '-days', '2', '-subj', '/CN=vc e2e test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign']);
  run('openssl', ['req', ...ec, '-keyout', `${DIR}/key.pem`,
    '-out', `${DIR}/leaf.csr`, '-subj', '/CN=localhost']);
  run('openssl', ['x509', '-req', '-in', `${DIR}/leaf.csr`, '-CA',
    `${DIR}/ca.pem`, '-CAkey', `${DIR}/ca.key`, '-CAcreateserial',
    '-days', '2', '-extfile', `${DIR}/leaf.ext`, '-out', `${DIR}/cert.pem`]);
  run('certutil', ['-N', '-d', `sql:${home}/.pki/nssdb`, '--empty-password']);
  run('certutil', ['-A', '-d', `sql:${home}/.pki/nssdb`, '-t', 'C,,',
    '-n', 'vc-e2e-ca', '-i', `${DIR}/ca.pem`]);
  return home;
}

function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(SERVER, ['--web-root', `${ROOT}build/web`,
      '--port', '0', '--cert', `${DIR}/cert.pem`, '--key', `${DIR}/key.pem`,
      '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on https:\/\/localhost:(\d+)\//.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`vc-server exited ${code}`)));
  });
}

test('a host certificate: HTTPS, WSS and WebTransport on it', async () => {
  const home = makeCertificates();
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    env: { ...process.env, HOME: home },
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--webtransport-developer-mode',
      '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const baseURL = `https://localhost:${server.port}`;
    const alice = await joinMeeting(browser, 'alice', 'tls', {
      baseURL, transport: 'auto' }); // WebTransport
    const bob = await joinMeeting(browser, 'bob', 'tls', {
      baseURL, transport: 'websocket' }); // WSS
    expect(alice.page.url()).toMatch(/^https:/);
    const published = await alice.page.evaluate(async () =>
      (await fetch('/webtransport.json')).json());
    expect(published.hashes).toEqual([]);
    await expect(tileOf(alice.page, 'bob')).toHaveCount(1);
    await expect(tileOf(bob.page, 'alice')).toHaveCount(1);
    await bob.page.getByTestId('chat-input').fill('over wss');
    await bob.page.keyboard.press('Enter');
    await expect(alice.page.getByTestId('chat-message'))
      .toContainText(['over wss']);
    await alice.page.getByTestId('chat-input').fill('over quic');
    await alice.page.keyboard.press('Enter');
    await expect(bob.page.getByTestId('chat-message'))
      .toContainText(['over wss', 'over quic']);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  } finally {
    await browser.close();
    server.proc.removeAllListeners('exit');
    server.proc.kill('SIGTERM');
  }
});
