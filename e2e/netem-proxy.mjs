// netem-proxy.mjs: starts vc-netem-proxy (tests/netem/netem_proxy.c) in
// front of a UDP port and drives it: change the path's profile, black the
// link out, read its counters. Shared by the impairment spec and
// bench/glass_to_glass.mjs. The proxy dies with this process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROXY = `${ROOT}build/native/tests/netem/vc-netem-proxy`;

// Resolves { port, command(line), stats(), stop() } once it listens on
// one port of both 127.0.0.1 and ::1 (whichever "localhost" is) and
// relays to |to|: a port of 127.0.0.1, or "HOST:PORT".
export function startProxy(to, { profile = 'none' } = {}) {
  return new Promise((resolve, reject) => {
    const target = typeof to === 'number' ? `127.0.0.1:${to}` : to;
    const proc = spawn(PROXY, ['--listen', '127.0.0.1:0', '--listen',
      '[::1]:0', '--to', target, '--profile', profile],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    const waiting = []; // resolvers of commands, in order
    let buffered = '';
    let port = 0;
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (!port) reject(new Error(`vc-netem-proxy exited ${code}`));
    });
    proc.stdout.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^netem proxy on udp (.*):(\d+)$/.exec(line);
        if (m) {
          port = Number(m[2]);
          if (m[1].startsWith('[')) resolve(proxy); // the second, last
        } else {
          waiting.shift()?.(line);
        }
      }
    });
    const command = (line) => new Promise((done) => {
      waiting.push(done);
      proc.stdin.write(`${line}\n`);
    }).then((answer) => {
      if (answer.startsWith('error')) throw new Error(answer);
      return answer;
    });
    const proxy = {
      get port() { return port; },
      command,
      // The counters as numbers: { up_in, up_out, up_lost, ... }.
      async stats() {
        const words = (await command('stats')).split(' ').slice(1);
        const out = {};
        for (let i = 0; i + 1 < words.length; i += 2) {
          out[words[i]] = Number.isNaN(Number(words[i + 1])) ?
            words[i + 1] : Number(words[i + 1]);
        }
        return out;
      },
      stop() {
        return new Promise((done) => {
          if (proc.exitCode !== null) return done();
          proc.removeAllListeners('exit');
          proc.on('exit', done);
          proc.kill('SIGTERM');
        });
      },
    };
  });
}

// Makes every page of |context| reach WebTransport through |proxy|: the
// server's /webtransport.json is passed on with the proxy's port instead
// of the server's (same certificate hashes: QUIC does not care which
// address it went through).
export function routeWebTransport(context, proxy) {
  return context.route('**/webtransport.json', async (route) => {
    const response = await route.fetch();
    const info = await response.json();
    await route.fulfill({ response, json: { ...info, port: proxy.port } });
  });
}

// Runs fn(proxy) with a proxy in front of the server's WebTransport port
// (learnt from /webtransport.json through Playwright's |request|), and
// stops the proxy however fn ends. Returns what fn returns.
export async function withProxy(request, fn, options = {}) {
  const info = await (await request.get('/webtransport.json')).json();
  const proxy = await startProxy(info.port, options);
  try {
    return await fn(proxy);
  } finally {
    await proxy.stop();
  }
}
