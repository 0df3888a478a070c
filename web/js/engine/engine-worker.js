// engine/engine-worker.js: the meeting engine, off the page's main thread.
// The WASM core and the transport (WebTransport or WebSocket) run here
// together, so a busy page (layout, painting, a long task) delays neither
// what arrives nor what is sent. The audio worklets talk to this thread
// directly over MessagePorts: the microphone's frames come straight in,
// and the loudspeaker's 10 ms pulls are answered from here on the audio
// clock, never through the main thread. The page gets events, decodable
// video frames and a stats snapshot as messages (messages.js lists them).

import { loadCore, checkEnvelopeRoundTrip } from '../core.js';
import { MeetingSession } from '../meeting/session.js';
import {
  accept, videoChunkFits, ToEngine, FromCapture, FromPlayout, AUDIO_CHUNK,
} from './messages.js';

const STATS_EVERY_MS = 250;
// The frame buffers' timers (render times, keyframe requests) are not in
// the meeting's timer yet: look at them this often.
const VIDEO_POLL_MS = 10;
// A microphone frame this much later than its time is dropped, not
// encoded: late sound is no use to anyone, and encoding a backlog would
// keep the engine behind (a machine too loaded to keep up then sheds
// audio work instead of missing heartbeats).
const CAPTURE_LATE_MS = 200;
// Chunks pulled ahead of what the loudspeaker has played: 20 ms on a
// machine that runs this thread on time, up to 60 ms on one that does not
// (PlayoutFeed).
const PLAYOUT_AHEAD_MIN = 2;
const PLAYOUT_AHEAD_MAX = 6;
// A step back down after this long without the loudspeaker running dry.
const PLAYOUT_CALM_MS = 10_000;
// The loudspeaker's gaps count as load only after the start's turmoil.
const WARM_UP_MS = 5000;

let core = null;
let session = null;
let cpu = null; // the camera's CPU adaptation (core.createCpuAdaptation)
let timers = [];
let refused = 0; // messages of the wrong type or shape
let chunkTimestamp = 0; // of received video chunks: only order matters

const post = (type, fields = {}, transfer = []) =>
  postMessage({ type, ...fields }, transfer);

// The loudspeaker's side: the playout worklet says how much of the
// core's sound it has played; the core is pulled up to a little ahead of
// that. When this thread was late the worklet played silence meanwhile;
// nothing is skipped to make up for it: the sound goes on where it
// stopped, and the jitter buffers, which now hold more than their target,
// catch up by accelerating (as NetEQ does behind a late audio device).
// Skipping instead lost as much sound again as the silence lasted.
//
// How far ahead is a jitter buffer for this thread's own lateness: each
// time the worklet ran dry, one chunk more (to PLAYOUT_AHEAD_MAX); after
// PLAYOUT_CALM_MS without, one less (to PLAYOUT_AHEAD_MIN). A quiet
// machine keeps 20 ms; a loaded one trades a little delay for no gaps.
class PlayoutFeed {
  #port;
  #pulled = 0; // samples pulled from the core since the start
  #silent = 0; // silence the worklet has played, as last told
  #changedAt = performance.now();
  #startedAt = performance.now();
  ahead = PLAYOUT_AHEAD_MIN; // chunks

  constructor(port) {
    this.#port = port;
    port.onmessage = ({ data }) => {
      if (!accept(FromPlayout, data)) {
        refused++;
        return;
      }
      // After whatever else waits for this thread: packets that queued
      // up meanwhile reach the jitter buffers before the pull.
      this.#adapt(data.silent);
      setTimeout(() => this.#pullUntil(data.consumed), 0);
    };
  }

  #adapt(silent) {
    const now = performance.now();
    // Silence the loudspeaker played for want of sound is this thread
    // running late: the CPU adaptation counts it (once the camera sends,
    // and past the call's first seconds, when everything starts at once).
    if (cpu && silent > this.#silent && this.#pulled > 0 &&
        now - this.#startedAt > WARM_UP_MS) {
      cpuChanged(cpu.onLag((silent - this.#silent) / 48, now));
    }
    if (silent > this.#silent && this.#pulled > 0) {
      this.ahead = Math.min(PLAYOUT_AHEAD_MAX, this.ahead + 1);
      this.#changedAt = now;
    } else if (now - this.#changedAt > PLAYOUT_CALM_MS) {
      this.ahead = Math.max(PLAYOUT_AHEAD_MIN, this.ahead - 1);
      this.#changedAt = now;
    }
    this.#silent = silent;
  }

  #pullUntil(consumed) {
    if (!session) return;
    const until = consumed + this.ahead * AUDIO_CHUNK;
    while (this.#pulled < until) {
      const pcm = session.pullAudio();
      this.#pulled += AUDIO_CHUNK;
      this.#port.postMessage({ type: 'PCM', pcm }, [pcm.buffer]);
    }
  }

  close() {
    this.#port.close();
  }
}

let playout = null;
let capturePort = null;
let muted = false;
let captureLate = 0; // microphone frames dropped for coming too late

// When each microphone frame is due, from the first one's arrival and the
// frames' numbers (the audio clock's rate); the anchor moves whenever a
// frame comes early, so the two clocks' drift never counts as lateness.
class CaptureClock {
  #seq0 = -1;
  #at0 = 0;
  #frameMs;

  constructor(frameMs) {
    this.#frameMs = frameMs;
  }

  // How late frame |seq| arrives |now|, in ms.
  lateness(seq, now) {
    const due = this.#at0 + (seq - this.#seq0) * this.#frameMs;
    if (this.#seq0 < 0 || now < due) {
      this.#seq0 = seq;
      this.#at0 = now;
      return 0;
    }
    return now - due;
  }
}

function connectAudio({ capture, playout: playoutPort }) {
  playout?.close();
  capturePort?.close();
  playout = new PlayoutFeed(playoutPort);
  capturePort = capture;
  const clock = new CaptureClock(1000 * core.audioFrameSamples / 48000);
  capturePort.onmessage = ({ data }) => {
    if (!accept(FromCapture, data)) {
      refused++;
      return;
    }
    if (clock.lateness(data.seq, performance.now()) > CAPTURE_LATE_MS) {
      captureLate++;
      return;
    }
    session?.sendAudio(data.pcm, muted);
  };
}

function snapshot() {
  const view = session.view();
  const audio = {};
  const video = {};
  for (const p of view.others) {
    audio[p.sessionId] = session.audioStats(p.sessionId);
    video[p.sessionId] = session.videoStats(p.sessionId);
  }
  return { transportName: session.transportName,
    transportMedia: session.transportMedia, audio, video,
    sessionId: view.self.sessionId, resumeToken: session.resumeTokenHex,
    refused, playoutAheadMs: (playout?.ahead ?? 0) * 10, captureLate,
    cpu: cpu?.target ?? null };
}

function cpuChanged(changed) {
  if (!changed) return;
  const t = cpu.target;
  post('CPU_LEVEL', { level: t.level, scalePct: t.scalePct,
    maxFps: t.maxFps });
}

function stopTimers() {
  for (const t of timers) clearInterval(t);
  timers = [];
}

function start(m) {
  const s = new MeetingSession(core,
    { meetingId: m.meetingId, user: m.user }, m.displayName, {
      connection: (state, detail) => post('CONNECTION', { state, detail }),
      roster: (view) => post('ROSTER', { view }),
      chat: (message) => post('CHAT', { message }),
      ended: (text) => {
        post('ENDED', { text });
        post('STATS', { snapshot: snapshot() });
        stopTimers();
      },
      error: (text) => post('ERROR', { text }),
      safety: (code) => post('SAFETY', { code }),
      videoFrame: (f) => {
        // The EncodedVideoChunk copies the view into the core's memory
        // (the one copy WebCodecs forces) and crosses to the page's
        // decoder by reference.
        const chunk = new EncodedVideoChunk({
          type: f.keyframe ? 'key' : 'delta', timestamp: chunkTimestamp++,
          data: f.bytes });
        post('VIDEO_FRAME', { sender: f.sender, kind: f.kind,
          keyframe: f.keyframe, chunk });
      },
      keyframeRequested: (kind, layer) =>
        post('KEYFRAME_REQUESTED', { kind, layer }),
      sendLayers: (kind, mask) => post('SEND_LAYERS', { kind, mask }),
      sendRateLimit: (kbps) => post('SEND_RATE_LIMIT', { kbps }),
      muteRequested: () => post('MUTE_REQUESTED'),
    }, m.passphrase, new URL(m.pageHref));
  s.start(m.flags); // throws for a name the core refuses
  s.startAudio();
  session = s;
  timers.push(setInterval(() => session.pollVideo(), VIDEO_POLL_MS));
  timers.push(setInterval(() => post('STATS', { snapshot: snapshot() }),
    STATS_EVERY_MS));
}

// Each message from the page, once accepted. A call that throws is
// reported to the page as an error; the engine goes on.
const handlers = {
  START: start,
  AUDIO_PORTS: connectAudio,
  AUDIO_MUTED: (m) => { muted = m.muted; },
  CHAT: (m) => {
    try {
      session.sendChat(m.text);
    } catch (e) {
      post('CHAT_FAILED', { text: e.message });
    }
  },
  MEDIA_STATE: (m) => session.setMediaState(m.flags),
  HOST_ACTION: (m) => session.hostAction(m.action, m.sessionId),
  LEAVE: () => {
    session.leave();
    post('STATS', { snapshot: snapshot() });
    stopTimers();
  },
  VIDEO_SEND: (m) => {
    if (!videoChunkFits(m.chunk)) {
      refused++;
      return;
    }
    session.sendVideo(m.chunk, m.chunk.type === 'key', m.chunk.timestamp,
      m.kind, m.layer);
  },
  VIDEO_LAYER: (m) => session.wantVideoLayer(m.sessionId, m.layer),
  VIDEO_DECODER_FAILED: (m) =>
    session.videoDecoderFailed(m.sessionId, m.kind),
  CAMERA_ENCODED: (m) => {
    cpu ??= core.createCpuAdaptation();
    const now = performance.now();
    cpuChanged(m.encodeMs < 0 ? cpu.onDropped(now) :
      cpu.onFrame(m.encodeMs, now));
  },
};

// An exception outside a handler (a transport callback, a timer) would
// otherwise vanish into the Worker's console: the page shows it.
addEventListener('error', (e) => post('ERROR', { text: `The meeting ` +
  `engine hit an error: ${e.message}` }));
addEventListener('unhandledrejection', (e) => post('ERROR', { text:
  `The meeting engine hit an error: ${e.reason?.message ?? e.reason}` }));

onmessage = ({ data }) => {
  if (!accept(ToEngine, data) || (!session) !== (data.type === 'START')) {
    refused++;
    console.warn(`engine: refused a message (${String(data?.type)})`);
    return;
  }
  try {
    handlers[data.type](data);
  } catch (e) {
    post('ERROR', { text: e.message });
  }
};

try {
  core = await loadCore();
  post('READY', { version: core.version(),
    check: checkEnvelopeRoundTrip(core),
    audioFrameSamples: core.audioFrameSamples });
} catch (e) {
  post('FAILED', { text: e.message });
}
