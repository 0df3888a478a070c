// engine/messages.js: the messages between the page and the engine Worker
// (engine-worker.js), and between the audio worklets and the engine. One
// frozen table per direction: each type names the fields it carries and
// their kinds; anything else is refused by accept() and counted, never
// acted on (a message of the wrong type or shape is a bug, or a hostile
// script, and must not reach the core).

const str = 'string';
const num = 'number';
const bool = 'boolean';
const obj = 'object'; // any non-null object (a port, a chunk, a view)
const pcm = 'pcm'; // an Int16Array of exactly one 10 ms chunk or frame

// Samples in one pull of the playout (10 ms at 48 kHz).
export const AUDIO_CHUNK = 480;
// The largest Opus frame the capture may hand over (60 ms).
const MAX_FRAME = 2880;
// The largest encoded video frame the engine takes (the core's envelope
// cap, include/vc/wire.h VC_ENVELOPE_MAX_LEN).
const MAX_VIDEO_BYTES = 256 * 1024;

// Page -> engine.
export const ToEngine = Object.freeze({
  START: { meetingId: str, user: str, displayName: str, passphrase: str,
    flags: num, pageHref: str },
  AUDIO_PORTS: { capture: obj, playout: obj },
  AUDIO_MUTED: { muted: bool },
  CHAT: { text: str },
  MEDIA_STATE: { flags: num },
  HOST_ACTION: { action: num, sessionId: num },
  LEAVE: {},
  VIDEO_SEND: { chunk: obj, kind: num, layer: num },
  VIDEO_LAYER: { sessionId: num, layer: num },
  VIDEO_DECODER_FAILED: { sessionId: num, kind: num },
  // The camera's encoders: one frame's encode time (ms, all layers), or
  // a frame dropped before them (encodeMs -1).
  CAMERA_ENCODED: { encodeMs: num },
});

// Engine -> page.
export const FromEngine = Object.freeze({
  READY: { version: str, check: obj, audioFrameSamples: num },
  FAILED: { text: str },
  CONNECTION: { state: str, detail: str },
  ROSTER: { view: obj },
  CHAT: { message: obj },
  CHAT_FAILED: { text: str },
  ENDED: { text: str },
  ERROR: { text: str },
  SAFETY: { code: str },
  VIDEO_FRAME: { sender: num, kind: num, keyframe: bool, chunk: obj },
  KEYFRAME_REQUESTED: { kind: num, layer: num },
  SEND_LAYERS: { kind: num, mask: num },
  SEND_RATE_LIMIT: { kbps: num },
  MUTE_REQUESTED: {},
  STATS: { snapshot: obj },
  // The camera's size and frame rate for this machine's load.
  CPU_LEVEL: { level: num, scalePct: num, maxFps: num },
});

// Audio worklets <-> engine, on the MessagePorts the page hands over.
export const FromCapture = Object.freeze({ FRAME: { pcm, seq: num } });
export const FromPlayout = Object.freeze({
  NEED: { consumed: num, silent: num },
});
export const ToPlayout = Object.freeze({ PCM: { pcm } });

function fits(kind, v) {
  switch (kind) {
    case pcm:
      return v instanceof Int16Array && v.length > 0 &&
        v.length <= MAX_FRAME;
    case obj:
      return typeof v === 'object' && v !== null;
    case num:
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === kind;
  }
}

// The message's shape when |data| is a well-formed message of |table|
// ({type, ...fields}), else null.
export function accept(table, data) {
  if (typeof data !== 'object' || data === null) return null;
  const shape = Object.hasOwn(table, data.type) ? table[data.type] : null;
  if (!shape) return null;
  for (const [field, kind] of Object.entries(shape)) {
    if (!fits(kind, data[field])) return null;
  }
  return shape;
}

// The largest encoded frame VIDEO_SEND may carry.
export function videoChunkFits(chunk) {
  return typeof chunk.byteLength === 'number' &&
    chunk.byteLength <= MAX_VIDEO_BYTES;
}
