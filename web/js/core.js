// core.js: the only door into the WebAssembly core (src/, built to
// js/wasm/vc_core.mjs). It loads the module once, checks that every
// function this file calls is exported, copies bytes in and out of the
// WASM heap, and turns the core's negative codes into CoreError with the
// core's own sentence (vc_strerror).

const REQUIRED_EXPORTS = [
  '_vc_version', '_vc_strerror', '_vc_envelope_encode',
  '_vc_envelope_decode', '_vc_wasm_route_size', '_malloc', '_free',
  '_vcw_meeting_new', '_vcw_meeting_del', '_vcw_connected',
  '_vcw_transport_lost', '_vcw_receive', '_vcw_receive_datagram',
  '_vcw_pop', '_vcw_out',
  '_vcw_expiry_ms', '_vcw_handle_expiry', '_vcw_next_event',
  '_vcw_events_dropped', '_vcw_send_chat', '_vcw_set_media_state',
  '_vcw_leave', '_vcw_phase', '_vcw_session_id', '_vcw_resume_token_hex',
  '_vcw_host',
  '_vcw_speaker', '_vcw_roster_size', '_vcw_roster_at', '_vcw_event_size',
  '_vcw_participant_size', '_vcw_safety_code', '_vcw_out_is_media',
  '_vcw_audio_start', '_vcw_audio_frame_samples', '_vcw_audio_in', '_vcw_audio_send', '_vcw_audio_pull',
  '_vcw_audio_stats', '_vcw_video_send', '_vcw_video_next', '_vcw_video_out',
  '_vcw_video_out_sender', '_vcw_video_out_keyframe',
  '_vcw_video_decoder_failed', '_vcw_video_stats',
  '_vcw_host_action', '_vcw_video_out_kind', '_vcw_video_want_layer',
  '_vcw_media_undecryptable', '_vcw_cpu_new', '_vcw_cpu_del',
  '_vcw_cpu_on_frame', '_vcw_cpu_on_dropped', '_vcw_cpu_on_lag',
  '_vcw_cpu_target',
];

// Audio the core gives per pull (src/wasm/audio_glue.c); what it takes
// per send is vcw_audio_frame_samples().
const AUDIO_PULL = 480;
// Room for the doubles vcw_audio_stats and vcw_video_stats write.
const STATS_LEN = 16 * 8;

// Must match VC_ENVELOPE_MAX_OVERHEAD and VC_ENVELOPE_MAX_LEN in
// include/vc/wire.h.
const ENVELOPE_MAX_OVERHEAD = 64;
const ENVELOPE_MAX_LEN = 256 * 1024;
const ROUTE_SIZE = 32; // checked against the core at load time
// Layouts from src/wasm/meeting_glue.c and include/vc/meeting.h, checked
// at load time (sizes) and at build time (offsets, src/wasm/layout.c).
const EVENT_SIZE = 32 + 4100;
const PARTICIPANT_SIZE = 332; // 4 + 1 + 5 + 65 + 257

// vc_meeting_event_type, in include/vc/meeting.h order.
export const MeetingEvent = Object.freeze({
  JOINED: 0, PARTICIPANT_JOINED: 1, PARTICIPANT_LEFT: 2,
  PARTICIPANT_UPDATED: 3, HOST_CHANGED: 4, ACTIVE_SPEAKER: 5, CHAT: 6,
  MUTE_REQUESTED: 7, RTT: 8, CONNECTION_LOST: 9, CONNECT: 10,
  RECONNECTED: 11, ERROR: 12, ENDED: 13, UNVERIFIED: 14, MEDIA: 15,
  KEYFRAME_REQUESTED: 16, SEND_RATE_LIMIT: 17, SEND_LAYERS: 18,
});

export const MeetingPhase = Object.freeze({
  IDLE: 0, JOINING: 1, JOINED: 2, RECONNECTING: 3, ENDED: 4,
});

// Vc__Wire__HostActionKind (proto/control.proto).
export const HostAction = Object.freeze({ REMOVE: 2, MUTE_REQUEST: 3 });

// Bits of vcw_set_media_state.
export const MediaFlag = Object.freeze({
  AUDIO_MUTED: 1, VIDEO_OFF: 2, SCREEN_SHARING: 4, HAND_RAISED: 8,
  E2EE_OFF: 16, // send without end-to-end encryption
});

export const StreamKind = Object.freeze({
  UNSPECIFIED: 0, CONTROL: 1, AUDIO: 2, VIDEO: 3, SCREEN: 4, DATA: 5,
});

export class CoreError extends Error {
  constructor(message, code = 0) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
  }
}

let loading = null;

// Loads the core once; later calls return the same promise.
export function loadCore() {
  loading ??= instantiate();
  return loading;
}

async function instantiate() {
  let factory;
  try {
    ({ default: factory } = await import('./wasm/vc_core.mjs'));
  } catch (e) {
    throw new CoreError(
      `The meeting engine could not be downloaded (${e.message}).`);
  }
  let m;
  try {
    m = await factory();
  } catch (e) {
    throw new CoreError(`The meeting engine failed to start (${e}).`);
  }
  const missing = REQUIRED_EXPORTS.filter((f) => typeof m[f] !== 'function');
  if (missing.length > 0) {
    throw new CoreError('The meeting engine is incomplete: it lacks ' +
      `${missing.join(', ')}. Reload the page; if it persists, the ` +
      'server has a broken build.');
  }
  if (m._vc_wasm_route_size() !== ROUTE_SIZE ||
      m._vcw_event_size() !== EVENT_SIZE ||
      m._vcw_participant_size() !== PARTICIPANT_SIZE) {
    throw new CoreError('The meeting engine does not match this page ' +
      '(routing header layout). Reload the page.');
  }
  return new Core(m);
}

class Core {
  #m;

  constructor(module) {
    this.#m = module;
  }

  version() {
    return this.#m.UTF8ToString(this.#m._vc_version());
  }

  strerror(code) {
    return this.#m.UTF8ToString(this.#m._vc_strerror(code));
  }

  // Samples of microphone per send (one Opus frame).
  get audioFrameSamples() {
    return this.#m._vcw_audio_frame_samples();
  }

  // The camera's CPU adaptation (src/rate/cpu_adaptation.c).
  createCpuAdaptation() {
    return new CpuAdaptation(this.#m);
  }

  // One participant's meeting (src/meeting/ through meeting_glue.c).
  // Throws CoreError when the names break the rules the server enforces.
  // With |e2ee| chat is sealed end to end (keys from the browser's
  // crypto.getRandomValues, through the module's getentropy).
  // |passphrase| ('' for none) never leaves the page: only participants
  // who know it get keys.
  createMeeting({ meetingId, user, displayName, e2ee = true,
    passphrase = '' }) {
    return new MeetingCore(this.#m, meetingId, user, displayName, e2ee,
      passphrase, (code) => this.strerror(code));
  }

  // route: {senderSession, kind, layer, keyframe, sequence, audioLevel,
  // timestampUs}; payload: Uint8Array. Returns the envelope bytes.
  encodeEnvelope(route, payload = new Uint8Array(0)) {
    const m = this.#m;
    const destLen = payload.length + ENVELOPE_MAX_OVERHEAD;
    return this.#withHeap([ROUTE_SIZE, payload.length, destLen],
      ([routePtr, payloadPtr, destPtr]) => {
        writeRoute(m, routePtr, route);
        m.HEAPU8.set(payload, payloadPtr);
        const n = m._vc_envelope_encode(destPtr, destLen, routePtr,
          payloadPtr, payload.length);
        this.#check(n, 'encode an envelope');
        return m.HEAPU8.slice(destPtr, destPtr + n);
      });
  }

  // Returns {route, payload} or throws CoreError (malformed, too big,
  // newer version).
  decodeEnvelope(bytes) {
    const m = this.#m;
    if (bytes.length > ENVELOPE_MAX_LEN) {
      throw new CoreError(`could not decode an envelope: ${
        this.strerror(-204)}`, -204);
    }
    return this.#withHeap([ROUTE_SIZE, bytes.length, bytes.length],
      ([routePtr, dataPtr, payloadPtr]) => {
        m.HEAPU8.set(bytes, dataPtr);
        const n = m._vc_envelope_decode(routePtr, payloadPtr, bytes.length,
          dataPtr, bytes.length);
        this.#check(n, 'decode an envelope');
        return {
          route: readRoute(m, routePtr),
          payload: m.HEAPU8.slice(payloadPtr, payloadPtr + n),
        };
      });
  }

  // Allocates one heap block per size, runs fn with their addresses and
  // frees them on every path. Heap views are re-read after malloc because
  // memory growth replaces them.
  #withHeap(sizes, fn) {
    const m = this.#m;
    const ptrs = [];
    try {
      for (const size of sizes) {
        const p = m._malloc(Math.max(size, 1));
        if (p === 0) throw new CoreError('out of memory', -501);
        ptrs.push(p);
      }
      return fn(ptrs);
    } finally {
      for (const p of ptrs) m._free(p);
    }
  }

  #check(rv, what) {
    if (rv < 0) {
      throw new CoreError(`could not ${what}: ${this.strerror(rv)}`, rv);
    }
  }
}

// The meeting state machine, driven by web/js/meeting/session.js. Every
// method takes the time as performance.now() milliseconds.
class MeetingCore {
  #m;
  #w;
  #strerror;
  #statsPtr = 0;
  #videoPtr = 0;
  #videoCap = 0;

  constructor(m, meetingId, user, displayName, e2ee, passphrase,
    strerror) {
    this.#m = m;
    this.#strerror = strerror;
    const strings = [meetingId, user, displayName, passphrase].map((s) => {
      const len = m.lengthBytesUTF8(s) + 1;
      const p = m._malloc(len);
      m.stringToUTF8(s, p, len);
      return p;
    });
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    try {
      this.#w = m._vcw_meeting_new(strings[0], strings[1], strings[2], seed,
        e2ee ? 1 : 0, strings[3]);
    } finally {
      strings.forEach((p) => m._free(p));
    }
    if (this.#w === 0) {
      throw new CoreError('This name cannot join: display names are 1 to ' +
        '64 characters of text.');
    }
  }

  destroy() {
    if (this.#w) this.#m._vcw_meeting_del(this.#w);
    if (this.#statsPtr) this.#m._free(this.#statsPtr);
    if (this.#videoPtr) this.#m._free(this.#videoPtr);
    this.#w = 0;
    this.#statsPtr = 0;
  }

  connected(now) { this.#m._vcw_connected(this.#w, now); }
  transportLost(now) { this.#m._vcw_transport_lost(this.#w, now); }

  // Bytes JS copied of what crossed the wire, and bytes that crossed, per
  // direction (the stats overlay shows the ratio; docs/VIDEO.md lists
  // each copy and the API that forces it). Out: encoded video into the
  // core, sealed media out of it (media messages only). In: everything
  // received into the core, and each decodable video frame into the
  // EncodedVideoChunk that the caller makes from videoNext's view.
  #copies = { outWire: 0, outCopied: 0, inWire: 0, inCopied: 0 };

  get mediaCopies() {
    return { ...this.#copies };
  }

  // Media frames received that did not open (E2EE).
  get mediaUndecryptable() {
    return this.#m._vcw_media_undecryptable(this.#w);
  }

  // Bytes of one WebSocket message (or a stream chunk). Throws when the
  // stream is broken beyond repair (the transport must be closed).
  receive(bytes, now) {
    const m = this.#m;
    const p = m._malloc(Math.max(bytes.length, 1));
    if (p === 0) throw new CoreError('out of memory', -501);
    this.#copies.inWire += bytes.length;
    this.#copies.inCopied += bytes.length;
    try {
      m.HEAPU8.set(bytes, p);
      const rv = m._vcw_receive(this.#w, p, bytes.length, now);
      if (rv < 0) {
        throw new CoreError(`the server's stream broke: ${
          this.#strerror(rv)}`, rv);
      }
    } finally {
      m._free(p);
    }
  }

  // One WebTransport datagram (one framed envelope: media). A bad one is
  // dropped; it says nothing about the stream.
  receiveDatagram(bytes, now) {
    const m = this.#m;
    const p = m._malloc(Math.max(bytes.length, 1));
    if (p === 0) return;
    this.#copies.inWire += bytes.length;
    this.#copies.inCopied += bytes.length;
    m.HEAPU8.set(bytes, p);
    m._vcw_receive_datagram(this.#w, p, bytes.length, now);
    m._free(p);
  }

  // Everything waiting to be sent, one framed message each, control
  // before media: [{bytes, media, datagram}]. Media may be dropped on a
  // stalled path; datagram: audio, which may go as a datagram.
  takeOutgoing() {
    const m = this.#m;
    const out = [];
    for (let n = m._vcw_pop(this.#w); n > 0; n = m._vcw_pop(this.#w)) {
      const p = m._vcw_out(this.#w);
      const kind = m._vcw_out_is_media(this.#w);
      const media = kind !== 0;
      if (media) {
        this.#copies.outWire += n;
        this.#copies.outCopied += n;
      }
      // A copy the transport forces: it keeps the bytes after this
      // buffer is reused.
      out.push({ bytes: m.HEAPU8.slice(p, p + n), media,
        datagram: kind === 2 });
    }
    return out;
  }

  // Audio: the core encodes, seals, buffers and mixes; this moves PCM.
  audioStart() {
    const rv = this.#m._vcw_audio_start(this.#w);
    if (rv < 0) throw new CoreError(this.#strerror(rv), rv);
  }

  // Samples of microphone per audioSend (one Opus frame).
  get audioFrameSamples() {
    return this.#m._vcw_audio_frame_samples();
  }

  // One frame of microphone (Int16Array(audioFrameSamples)); true when a
  // packet was queued.
  audioSend(pcm, muted, now) {
    const m = this.#m;
    const p = m._vcw_audio_in(this.#w);
    new Int16Array(m.HEAPU8.buffer, p, this.audioFrameSamples).set(pcm);
    return m._vcw_audio_send(this.#w, muted ? 1 : 0, now) > 0;
  }

  // The next 10 ms of everyone, mixed: a new Int16Array(480).
  audioPull(now) {
    const m = this.#m;
    const p = m._vcw_audio_pull(this.#w, now);
    return new Int16Array(m.HEAPU8.buffer.slice(p, p + 2 * AUDIO_PULL));
  }

  // Video: one encoded frame from our encoder (an EncodedVideoChunk,
  // copied straight into the core, or a Uint8Array) of simulcast |layer|;
  // true when queued.
  videoSend(frame, keyframe, timestampUs, now, kind = StreamKind.VIDEO,
    layer = 0) {
    const m = this.#m;
    const n = frame.byteLength;
    if (n > this.#videoCap) {
      if (this.#videoPtr) m._free(this.#videoPtr);
      this.#videoCap = Math.max(n, 64 * 1024);
      this.#videoPtr = m._malloc(this.#videoCap);
      if (this.#videoPtr === 0) {
        this.#videoCap = 0;
        throw new CoreError('out of memory', -501);
      }
    }
    const into = m.HEAPU8.subarray(this.#videoPtr, this.#videoPtr + n);
    if (frame instanceof Uint8Array) into.set(frame);
    else frame.copyTo(into);
    this.#copies.outCopied += n;
    return m._vcw_video_send(this.#w, this.#videoPtr, n,
      keyframe ? 1 : 0, timestampUs, kind, layer, now) > 0;
  }

  // The simulcast layer wanted of |sender|'s camera (0 smallest .. 3);
  // the subscription changes at once when this changes it.
  wantVideoLayer(sender, layer, now) {
    const rv = this.#m._vcw_video_want_layer(this.#w, sender, layer, now);
    if (rv < 0) {
      throw new CoreError(`could not choose a video layer: ${
        this.#strerror(rv)}`, rv);
    }
  }

  // The next decodable frame of anyone, {sender, kind, keyframe, bytes}
  // (kind: StreamKind.VIDEO or SCREEN), or null. bytes is a view into the
  // core's memory, valid until the next call into the core: make the
  // EncodedVideoChunk (which copies it) before anything else.
  videoNext(now) {
    const m = this.#m;
    const n = m._vcw_video_next(this.#w, now);
    if (n <= 0) return null;
    const p = m._vcw_video_out(this.#w);
    return { sender: m._vcw_video_out_sender(this.#w) >>> 0,
      kind: m._vcw_video_out_kind(this.#w),
      keyframe: m._vcw_video_out_keyframe(this.#w) !== 0,
      bytes: this.#countedView(p, n) };
  }

  #countedView(p, n) {
    this.#copies.inCopied += n; // by the EncodedVideoChunk made from it
    return this.#m.HEAPU8.subarray(p, p + n);
  }

  videoDecoderFailed(sender, kind, now) {
    this.#m._vcw_video_decoder_failed(this.#w, sender, kind, now);
  }

  // One participant's received video, or null before any arrived.
  videoStats(sessionId, kind = StreamKind.VIDEO) {
    const m = this.#m;
    if (!this.#statsPtr) this.#statsPtr = m._malloc(STATS_LEN);
    if (m._vcw_video_stats(this.#w, sessionId, kind, this.#statsPtr) !== 0) {
      return null;
    }
    const f = new Float64Array(m.HEAPU8.buffer, this.#statsPtr, 7);
    return { received: f[0], decoded: f[1], dropped: f[2], freezes: f[3],
      keyframeRequests: f[4], delayMs: f[5], layer: f[6] };
  }

  // One participant's received audio, or null before any arrived.
  audioStats(sessionId) {
    const m = this.#m;
    if (!this.#statsPtr) this.#statsPtr = m._malloc(STATS_LEN);
    if (m._vcw_audio_stats(this.#w, sessionId, this.#statsPtr) !== 0) {
      return null;
    }
    const f = new Float64Array(m.HEAPU8.buffer, this.#statsPtr, 9);
    return { delayMs: f[0], targetMs: f[1], concealedPct: f[2],
      packets: f[3], discarded: f[4], level: f[5], samples: f[6],
      stretched: f[7], concealed: f[8] };
  }

  expiryMs() { return this.#m._vcw_expiry_ms(this.#w); }
  handleExpiry(now) { this.#m._vcw_handle_expiry(this.#w, now); }

  // Events since the last call: {type, sessionId, reason, code, snapshot,
  // resumed, chatOwn, text}.
  takeEvents() {
    const m = this.#m;
    const events = [];
    for (let p = m._vcw_next_event(this.#w); p !== 0;
      p = m._vcw_next_event(this.#w)) {
      const i32 = new Int32Array(m.HEAPU8.buffer, p, 8);
      const len = i32[7] >>> 0;
      events.push({
        type: i32[0], sessionId: i32[1] >>> 0, reason: i32[2], code: i32[3],
        snapshot: i32[4] !== 0, resumed: i32[5] !== 0, chatOwn: i32[6] !== 0,
        text: new TextDecoder().decode(m.HEAPU8.subarray(p + 32, p + 32 + len)),
      });
    }
    return events;
  }

  sendChat(text, now) {
    const m = this.#m;
    const bytes = new TextEncoder().encode(text);
    const p = m._malloc(Math.max(bytes.length, 1));
    try {
      m.HEAPU8.set(bytes, p);
      const rv = m._vcw_send_chat(this.#w, p, bytes.length, now);
      if (rv < 0) throw new CoreError(this.#strerror(rv), rv);
    } finally {
      m._free(p);
    }
  }

  setMediaState(flags, now) {
    this.#m._vcw_set_media_state(this.#w, flags, now);
  }

  leave(now) { this.#m._vcw_leave(this.#w, now); }

  // Host only (the server checks too): remove someone or ask them to mute.
  hostAction(action, target, now) {
    const rv = this.#m._vcw_host_action(this.#w, action, target, now);
    if (rv < 0) throw new CoreError(this.#strerror(rv), rv);
  }
  phase() { return this.#m._vcw_phase(this.#w); }
  sessionId() { return this.#m._vcw_session_id(this.#w) >>> 0; }
  // The secret that proves this session ("" before joined), in hex.
  resumeTokenHex() {
    return this.#m.UTF8ToString(this.#m._vcw_resume_token_hex(this.#w));
  }
  host() { return this.#m._vcw_host(this.#w) >>> 0; }
  speaker() { return this.#m._vcw_speaker(this.#w) >>> 0; }

  // The digits everyone compares, or '' until every identity is known.
  safetyCode() {
    return this.#m.UTF8ToString(this.#m._vcw_safety_code(this.#w));
  }

  // Everyone else: [{sessionId, isHost, audioMuted, videoOff,
  // screenSharing, handRaised, e2eeOff, user, displayName}], by session id.
  roster() {
    const m = this.#m;
    const n = m._vcw_roster_size(this.#w);
    const list = [];
    for (let i = 0; i < n; i++) {
      const p = m._vcw_roster_at(this.#w, i);
      const u8 = m.HEAPU8;
      list.push({
        sessionId: new Uint32Array(u8.buffer, p, 1)[0],
        isHost: u8[p + 4] !== 0,
        audioMuted: u8[p + 5] !== 0,
        videoOff: u8[p + 6] !== 0,
        screenSharing: u8[p + 7] !== 0,
        handRaised: u8[p + 8] !== 0,
        e2eeOff: u8[p + 9] !== 0,
        user: m.UTF8ToString(p + 10),
        displayName: m.UTF8ToString(p + 75),
      });
    }
    return list;
  }
}

// Whether the machine keeps up with encoding the camera, and the level the
// camera should be sent at (include/vc/rate.h vc_cpu_adaptation): the
// engine feeds it each frame's encode time and each frame dropped before
// the encoder. Times are performance.now() milliseconds.
class CpuAdaptation {
  #m;
  #p;
  #out;

  constructor(m) {
    this.#m = m;
    this.#p = m._vcw_cpu_new();
    this.#out = m._malloc(7 * 8);
    if (!this.#p || !this.#out) throw new CoreError('out of memory', -501);
  }

  // True when the level changed.
  onFrame(encodeMs, now) {
    return this.#m._vcw_cpu_on_frame(this.#p, encodeMs, now) === 1;
  }

  onDropped(now) {
    return this.#m._vcw_cpu_on_dropped(this.#p, now) === 1;
  }

  // The engine ran |lateMs| late (the loudspeaker played that much
  // silence waiting for it).
  onLag(lateMs, now) {
    return this.#m._vcw_cpu_on_lag(this.#p, lateMs, now) === 1;
  }

  // {level, scalePct, maxFps, usagePct, down, up, lagPct}.
  get target() {
    this.#m._vcw_cpu_target(this.#p, this.#out);
    const f = new Float64Array(this.#m.HEAPU8.buffer, this.#out, 7);
    return { level: f[0], scalePct: f[1], maxFps: f[2], usagePct: f[3],
      down: f[4], up: f[5], lagPct: f[6] };
  }

  destroy() {
    this.#m._vcw_cpu_del(this.#p);
    this.#m._free(this.#out);
    this.#p = 0;
  }
}

function writeRoute(m, ptr, r) {
  const u32 = new Uint32Array(m.HEAPU8.buffer, ptr, ROUTE_SIZE / 4);
  const ts = r.timestampUs ?? 0;
  u32[0] = r.senderSession ?? 0;
  u32[1] = r.kind ?? StreamKind.UNSPECIFIED;
  u32[2] = r.layer ?? 0;
  u32[3] = r.keyframe ? 1 : 0;
  u32[4] = r.sequence ?? 0;
  u32[5] = r.audioLevel ?? 127;
  u32[6] = ts % 2 ** 32;
  u32[7] = Math.floor(ts / 2 ** 32);
}

function readRoute(m, ptr) {
  const u32 = new Uint32Array(m.HEAPU8.buffer, ptr, ROUTE_SIZE / 4);
  return {
    senderSession: u32[0],
    kind: u32[1],
    layer: u32[2],
    keyframe: u32[3] === 1,
    sequence: u32[4],
    audioLevel: u32[5],
    timestampUs: u32[7] * 2 ** 32 + u32[6],
  };
}

// Encodes a random routing header and payload and decodes them again; the
// page runs it once at load so a broken engine shows before a call starts.
export function checkEnvelopeRoundTrip(core) {
  const rnd = new Uint32Array(4);
  crypto.getRandomValues(rnd);
  const payload = new Uint8Array(64 + (rnd[0] % 512));
  crypto.getRandomValues(payload);
  const route = {
    senderSession: rnd[1], kind: StreamKind.VIDEO, layer: rnd[2] % 4,
    keyframe: true, sequence: rnd[3], audioLevel: rnd[0] % 128,
    timestampUs: Math.floor(performance.now() * 1000),
  };
  const bytes = core.encodeEnvelope(route, payload);
  const back = core.decodeEnvelope(bytes);
  const same = Object.keys(route).every((k) => back.route[k] === route[k]) &&
    back.payload.length === payload.length &&
    back.payload.every((b, i) => b === payload[i]);
  if (!same) {
    throw new CoreError('The meeting engine failed its self-check ' +
      '(an envelope did not survive a round trip).');
  }
  return { envelopeBytes: bytes.length, payloadBytes: payload.length };
}
