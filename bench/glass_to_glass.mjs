// glass_to_glass.mjs: how long from a frame being painted on the sender's
// camera to it being drawn on the receiver's screen, for our client (the
// meeting page, C core in WASM, WebCodecs, the server in between) and for
// Chromium's own WebRTC (two RTCPeerConnections) between the same two
// browser contexts on loopback, in one run (issue 9; docs/BENCHMARKS.md).
// Ours runs twice: over WebTransport and over WebSocket.
//
//   node bench/glass_to_glass.mjs [seconds] [profiles]  (after scripts/build.sh)
//
// The camera is 1280x720, what real webcams deliver and the page asks
// for; VC_G2G_CAMERA=640x360 paints a smaller one.
//
// Then, for each netem profile named (default: jitter,loss2,burst10,
// spikes,capacity; "" for none), ours over WebTransport and WebRTC run
// again with their UDP through vc-netem-proxy (docs/TESTING.md "Network
// impairment"). Ours: the sender's page is pointed at the proxy's port
// instead of the server's (the receiver's leg stays clean). WebRTC: the answerer's candidates are replaced by one for
// the proxy, which relays to the answerer's own host candidate; the offer
// goes without candidates, so the answerer learns the offerer's address
// from the checks that come through the proxy. Both directions of both
// calls cross the proxy once.
//
// The "camera" is a canvas that paints the current time (ms, as 32 black
// or white blocks) on every animation frame; getUserMedia is replaced by
// its captureStream. The receiver reads the blocks back from what it
// draws: ours from the tile's canvas in requestAnimationFrame, WebRTC's
// from the <video> in requestVideoFrameCallback. Both pages share one
// clock (performance.timeOrigin + performance.now()). The microphone
// clicks every 500 ms; the receiver's output is tapped where it meets the
// loudspeaker and each click's start is timed: mouth to ear. A benchmark:
// it prints figures and never fails on them.
import { spawn } from 'node:child_process';
import { chromium } from '@playwright/test';
import { startProxy, routeWebTransport } from '../e2e/netem-proxy.mjs';

const seconds = Number(process.argv[2] ?? 15);
const profiles = (process.argv[3] ?? 'jitter,loss2,burst10,spikes,capacity')
  .split(',').filter(Boolean);
const port = 18190;
const [camW, camH] = (process.env.VC_G2G_CAMERA ?? '1280x720').split('x')
  .map(Number);
const base = `http://localhost:${port}`;
const top = new URL('..', import.meta.url).pathname;

// Runs in every page before its scripts: the time-coded camera, and a
// reader for the same code.
function timecode({ W, H }) {
  // 32 blocks in 4 rows of 8, scaled with the camera (20 px at 640x360).
  const B = Math.round(20 * W / 640);
  const M = 2 * B; // margin
  window.vcClock = () => performance.timeOrigin + performance.now();
  window.vcPaintCode = (ctx) => {
    const t = Math.floor(window.vcClock()) >>> 0;
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, W, H);
    for (let i = 0; i < 32; i++) {
      ctx.fillStyle = (t >>> i) & 1 ? '#ffffff' : '#000000';
      ctx.fillRect(M + (i % 8) * B * 2, M + Math.floor(i / 8) * B * 2, B, B);
    }
  };
  // Reads the code from a picture of any size (a receiver may get the
  // camera scaled down): positions scale with the canvas.
  window.vcReadCode = (ctx) => {
    const k = ctx.canvas.width / W;
    let t = 0;
    for (let i = 0; i < 32; i++) {
      const x = Math.floor(k * (M + (i % 8) * B * 2 + B / 2));
      const y = Math.floor(k * (M + Math.floor(i / 8) * B * 2 + B / 2));
      const v = ctx.getImageData(x, y, 1, 1).data[0];
      if (v > 128) t |= 1 << i;
    }
    return t >>> 0;
  };
  window.vcCamera = () => {
    const c = document.createElement('canvas');
    c.width = W;
    c.height = H;
    const ctx = c.getContext('2d');
    const paint = () => {
      window.vcPaintCode(ctx);
      requestAnimationFrame(paint);
    };
    paint();
    return c.captureStream(30);
  };
  window.vcGathered = (pc) => new Promise((ok) => {
    if (pc.iceGatheringState === 'complete') ok();
    pc.onicegatheringstatechange = () =>
      pc.iceGatheringState === 'complete' && ok();
  });
  // The microphone: a 20 ms burst of 1 kHz every 500 ms, scheduled on
  // the audio clock; vcClicks holds when each was made (the rendering
  // clock mapped to the page clock when it is scheduled).
  window.vcClicks = [];
  window.vcMic = () => {
    const ctx = new AudioContext({ sampleRate: 48000 });
    const dest = ctx.createMediaStreamDestination();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 1000;
    gain.gain.value = 0;
    osc.connect(gain).connect(dest);
    osc.start();
    let next = 0;
    const plan = () => {
      const now = window.vcClock(), t = ctx.currentTime;
      if (next < t + 0.1) next = t + 0.2;
      while (next < t + 1.0) {
        gain.gain.setValueAtTime(0.8, next);
        gain.gain.setValueAtTime(0, next + 0.02);
        window.vcClicks.push(now + (next - t) * 1000);
        next += 0.5;
      }
    };
    setInterval(plan, 100);
    return dest.stream;
  };
  // The ear: whatever a page plays is tapped where it meets the
  // loudspeaker. Each 256-sample block is summed up as [when it plays
  // (page clock), its loudest sample, the offset of its first sample
  // over 0.3 or -1]; onsets() finds the bursts in that afterwards.
  window.vcBlocks = [];
  window.vcTap = (node) => {
    const ctx = node.context;
    const sp = ctx.createScriptProcessor(256, 1, 1);
    sp.vcTapped = true;
    sp.onaudioprocess = (e) => {
      const x = e.inputBuffer.getChannelData(0);
      const at = window.vcClock() + (e.playbackTime - ctx.currentTime) * 1000;
      let max = 0, first = -1;
      for (let i = 0; i < x.length; i++) {
        const a = Math.abs(x[i]);
        if (a > max) max = a;
        if (first < 0 && a > 0.3) first = i;
      }
      if (window.vcBlocks.length < 100_000) {
        window.vcBlocks.push([at + first * 1000 / ctx.sampleRate, max, first]);
      }
    };
    node.connect(sp);
    sp.connect(ctx.destination);
  };
  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function (dst, ...rest) {
    const r = connect.call(this, dst, ...rest);
    if (dst instanceof AudioDestinationNode && !this.vcTapped) {
      this.vcTapped = true;
      window.vcTap(this);
    }
    return r;
  };
  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = async () => new MediaStream([
      ...window.vcCamera().getTracks(), ...window.vcMic().getTracks()]);
  }
}

// A burst starts where a block has a sample over 0.3 after at least 50 ms
// of blocks without one over 0.1 (codec tails and comfort noise stay well
// under a tenth of full scale): its page-clock time.
function onsets(blocks) {
  const out = [];
  let quiet = 0;
  for (const [at, max, first] of blocks) {
    if (first >= 0 && quiet >= 10) out.push(at);
    quiet = max < 0.1 ? quiet + 1 : 0;
  }
  return out;
}

// Mouth to ear: each onset heard, less the latest click made before it.
function earLatencies(clicks, onsets) {
  const out = [];
  for (const o of onsets) {
    const before = clicks.filter((c) => c <= o);
    if (before.length) out.push(o - before[before.length - 1]);
  }
  return out.map((v) => Math.round(v)).filter((v) => v < 500);
}

function stats(list) {
  const s = [...list].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95) };
}

// proxy: vc-netem-proxy in front of the server's UDP port, or null.
async function ours(browser, transport, proxy = null) {
  const meeting = `g2g-${transport}-${Date.now()}`;
  const pages = [];
  for (const user of ['alice', 'bob']) {
    const ctx = await browser.newContext();
    await ctx.addInitScript(timecode, { W: camW, H: camH });
    // Only the sender's connection crosses the proxy: one impaired path
    // each way between the two people, as for WebRTC.
    if (proxy && user === 'alice') await routeWebTransport(ctx, proxy);
    const page = await ctx.newPage();
    await page.goto(`${base}/meeting/${user}/${meeting}?transport=${transport}`);
    await page.getByTestId('join-button').waitFor();
    await page.waitForFunction(() =>
      !document.getElementById('join-button').disabled);
    await page.getByTestId('join-button').click();
    pages.push(page);
  }
  const bob = pages[1];
  await bob.waitForSelector(
    '[data-testid="tile"][data-user="alice"] canvas', { timeout: 20_000 });
  // Pinned, alice's tile is tall enough for her whole camera: the same
  // picture size WebRTC sends (simulcast would give a grid cell half).
  await bob.locator('[data-testid="tile"][data-user="alice"] ' +
    '[data-testid="pin"]').click();
  // Her whole camera, or what her CPU adaptation leaves of it (WebRTC
  // steps down too): at least half its width.
  await bob.waitForFunction((w) => document.querySelector(
    '[data-testid="tile"][data-user="alice"] canvas')?.width >= w / 2, camW);
  await bob.waitForTimeout(2000); // past the first keyframes
  const samples = await bob.evaluate((ms) => new Promise((done) => {
    const out = [];
    let last = -1;
    const end = window.vcClock() + ms;
    const look = () => {
      const c = document.querySelector(
        '[data-testid="tile"][data-user="alice"] canvas');
      const now = window.vcClock();
      if (c && c.width) {
        const code = window.vcReadCode(c.getContext('2d',
          { willReadFrequently: true }));
        if (code !== last) {
          last = code;
          out.push(((Math.floor(now) >>> 0) - code + 2 ** 32) % 2 ** 32);
        }
      }
      if (now < end) requestAnimationFrame(look);
      else done(out);
    };
    requestAnimationFrame(look);
  }), seconds * 1000);
  const ear = earLatencies(await pages[0].evaluate(() => window.vcClicks),
    onsets(await bob.evaluate(() => window.vcBlocks)));
  // What bob's stats overlay says about alice's audio at the end.
  await bob.getByTestId('stats-button').click();
  await bob.waitForTimeout(700);
  const overlay = await bob.locator('[data-testid="stats-row"]').first()
    .textContent();
  for (const p of pages) await p.context().close();
  return { video: samples.filter((v) => v < 5000), ear, overlay };
}

const stripCandidates = (d) => ({ type: d.type, sdp: d.sdp.split('\r\n')
  .filter((l) => !l.startsWith('a=candidate')).join('\r\n') });

// The answer's own IPv4 UDP host candidate, "HOST:PORT".
function hostCandidate(d) {
  for (const l of d.sdp.split('\r\n')) {
    const f = l.split(' ');
    if (l.startsWith('a=candidate') && f[2].toLowerCase() === 'udp' &&
        f[7] === 'host' && /^\d+\.\d+\.\d+\.\d+$/.test(f[4])) {
      return `${f[4]}:${f[5]}`;
    }
  }
  throw new Error('WebRTC: the answer has no IPv4 UDP host candidate');
}

// The answer with its candidates replaced by one for 127.0.0.1:|port|.
function viaProxy(d, port) {
  const lines = stripCandidates(d).sdp.split('\r\n');
  const out = [];
  for (const l of lines) {
    out.push(l);
    if (l.startsWith('m=')) {
      out.push(`a=candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host`);
    }
  }
  return { type: d.type, sdp: out.join('\r\n') };
}

// profile: a netem profile to put between the two, or null.
async function webrtc(browser, profile = null) {
  let proxy = null;
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript(timecode, { W: camW, H: camH });
    const page = await ctx.newPage();
    await page.goto(`${base}/`);
    pages.push(page);
  }
  const [tx, rx] = pages;
  const offer = await tx.evaluate(async () => {
    const pc = window.pc = new RTCPeerConnection();
    const stream = new MediaStream([...window.vcCamera().getTracks(),
      ...window.vcMic().getTracks()]);
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    await pc.setLocalDescription(await pc.createOffer());
    await window.vcGathered(pc);
    return pc.localDescription.toJSON();
  });
  const answer = await rx.evaluate(async (o) => {
    const pc = window.pc = new RTCPeerConnection();
    pc.ontrack = (e) => {
      if (e.track.kind === 'audio') {
        // Chromium feeds Web Audio from a remote track only while a media
        // element plays it too; the element is muted, the tap hears it.
        const a = new Audio();
        a.muted = true;
        a.srcObject = new MediaStream([e.track]);
        a.play();
        const ctx = new AudioContext({ sampleRate: 48000 });
        const src = ctx.createMediaStreamSource(new MediaStream([e.track]));
        window.vcTap(src);
        return;
      }
      const v = document.createElement('video');
      v.muted = true;
      v.autoplay = true;
      v.playsInline = true;
      v.srcObject = e.streams[0];
      document.body.append(v);
      window.vcVideo = v;
    };
    await pc.setRemoteDescription(o);
    await pc.setLocalDescription(await pc.createAnswer());
    await window.vcGathered(pc);
    return pc.localDescription.toJSON();
  }, profile ? stripCandidates(offer) : offer);
  let remote = answer;
  if (profile) {
    proxy = await startProxy(hostCandidate(answer), { profile });
    remote = viaProxy(answer, proxy.port);
  }
  await tx.evaluate((a) => window.pc.setRemoteDescription(a), remote);
  await rx.waitForFunction(() => window.vcVideo?.videoWidth > 0,
    null, { timeout: 20_000 });
  await rx.waitForTimeout(2000);
  const samples = await rx.evaluate((ms) => new Promise((done) => {
    const v = window.vcVideo;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    const out = [];
    const end = window.vcClock() + ms;
    const look = () => {
      const now = window.vcClock();
      ctx.drawImage(v, 0, 0, c.width, c.height);
      const code = window.vcReadCode(ctx);
      out.push(((Math.floor(now) >>> 0) - code + 2 ** 32) % 2 ** 32);
      if (now < end) v.requestVideoFrameCallback(look);
      else done(out);
    };
    v.requestVideoFrameCallback(look);
  }), seconds * 1000);
  const ear = earLatencies(await tx.evaluate(() => window.vcClicks),
    onsets(await rx.evaluate(() => window.vcBlocks)));
  for (const p of pages) await p.context().close();
  const through = proxy ? await proxy.stats() : null;
  await proxy?.stop();
  return { video: samples.filter((v) => v < 5000), ear, through };
}

const server = spawn(`${top}build/native/server-stub/vc-server`,
  ['--web-root', `${top}build/web`, '--port', String(port),
    '--log-level', 'warn'], { stdio: 'inherit' });
try {
  await new Promise((r) => setTimeout(r, 500));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking', '--disable-component-update'],
  });
  // A fixed order, so that runs compare with each other.
  const ws = await ours(browser, 'websocket');
  const wt = await ours(browser, 'webtransport');
  const r = await webrtc(browser);
  const impaired = [];
  const wtPort = (await (await fetch(`${base}/webtransport.json`)).json()).port;
  for (const profile of profiles) {
    const proxy = await startProxy(wtPort, { profile });
    const o = await ours(browser, 'webtransport', proxy);
    o.through = await proxy.stats();
    await proxy.stop();
    impaired.push([profile, o, await webrtc(browser, profile)]);
  }
  await browser.close();
  const show = (what, unit, key) => {
    const w = stats(r[key]);
    console.log(`${what}, clean loopback, ${camW}x${camH} camera, ` +
      `${seconds} s each, ms:`);
    for (const [name, o] of [['ours, WebTransport', wt], ['ours, WebSocket', ws]]) {
      const a = stats(o[key]);
      console.log(`  ${name.padEnd(19)} p50 ${a.p50} p95 ${a.p95} ` +
        `(${a.n} ${unit}); / WebRTC: p50 ${(a.p50 / w.p50).toFixed(2)}x, ` +
        `p95 ${(a.p95 / w.p95).toFixed(2)}x`);
    }
    console.log(`  WebRTC             p50 ${w.p50} p95 ${w.p95} (${w.n} ${unit}; ` +
      `RTCPeerConnection, same contexts)`);
  };
  show('glass-to-glass (video)', 'frames', 'video');
  show('mouth-to-ear (audio)', 'clicks', 'ear');
  for (const [name, o] of [['WebTransport', wt], ['WebSocket', ws]]) {
    console.log(`  ${name} receiver's overlay: ${
      o.overlay.replace(/ · video.*/, '')}`);
  }
  if (impaired.length) {
    console.log(`Impaired (vc-netem-proxy on the sender's path, both ` +
      `directions; ours over WebTransport), ${seconds} s each, ms, ` +
      `p50/p95 (frames or clicks):`);
    console.log('  profile   video: ours        WebRTC        ratio p50 ' +
      '| audio: ours       WebRTC        ratio p50 | lost by proxy: ours, WebRTC');
    const cell = (a) => `${a.p50}/${a.p95} (${a.n})`.padEnd(14);
    const ratio = (a, w) => `${(a.p50 / w.p50).toFixed(2)}x`.padEnd(9);
    const lost = (t) => t ? `${t.up_lost + t.down_lost + t.held_full}/` +
      `${t.up_in + t.down_in}` : '-';
    for (const [profile, o, w] of impaired) {
      const [ov, wv, oa, wa] = [stats(o.video), stats(w.video),
        stats(o.ear), stats(w.ear)];
      console.log(`  ${profile.padEnd(9)} ${cell(ov)}     ${cell(wv)}${
        ratio(ov, wv)} |        ${cell(oa)}    ${cell(wa)}${ratio(oa, wa)} | ${
        lost(o.through)}, ${lost(w.through)}`);
    }
    for (const [profile, o] of impaired) {
      console.log(`  ${profile} receiver's overlay: ${
        o.overlay.replace(/ · video.*/, '')}`);
    }
  }
} finally {
  server.kill('SIGTERM');
}
