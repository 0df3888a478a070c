// core.js: the only door into the WebAssembly core (src/, built to
// js/wasm/vc_core.mjs). It loads the module once, checks that every
// function this file calls is exported, copies bytes in and out of the
// WASM heap, and turns the core's negative codes into CoreError with the
// core's own sentence (vc_strerror).

const REQUIRED_EXPORTS = [
  '_vc_version', '_vc_strerror', '_vc_envelope_encode',
  '_vc_envelope_decode', '_vc_wasm_route_size', '_malloc', '_free',
];

// Must match VC_ENVELOPE_MAX_OVERHEAD and VC_ENVELOPE_MAX_LEN in
// include/vc/wire.h.
const ENVELOPE_MAX_OVERHEAD = 64;
const ENVELOPE_MAX_LEN = 256 * 1024;
const ROUTE_SIZE = 32; // checked against the core at load time

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
  if (m._vc_wasm_route_size() !== ROUTE_SIZE) {
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
