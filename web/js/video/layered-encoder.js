// video/layered-encoder.js: one camera (or a shared screen) encoded with
// WebCodecs (VP8, realtime), run inside the encoder worker
// (encoder-worker.js). Every VideoFrame handed in is closed by the caller.
// A frame is dropped rather than queued when an encoder falls behind.
//
// Simulcast (the camera): one encoder per layer, each fed the same frame
// and scaling it to its own size (a quarter, a half, the whole). Only the
// layers the server asks for are encoded (setLayers), so a call of two
// encodes one size and nobody watching encodes none; a layer switched on
// starts on a keyframe. A shared screen is one layer at full size, always
// sent.
//
// The bitrate follows the server's congestion signals: the limit applies
// at once, then rises by a tenth a second once none has come for two
// seconds (docs/VIDEO.md "Send rate"). The server moves a congested
// receiver of a simulcast camera to a smaller layer first and signals
// only for one already on the smallest, so a simulcast camera applies
// the limit to its smallest layer alone: the others' receivers keep
// their pictures.
//
// CPU: each frame's encode time (wall clock from the frame handed in to
// each layer's chunk out, summed over layers) goes to onEncoded, and a
// frame an encoder was too far behind to take counts as dropped (-1); the
// core decides from them (src/rate/cpu_adaptation.c) and setCpuLevel
// applies its answer: every layer's size scaled, the frame rate capped.

const CODEC = 'vp8';
const MAX_KBPS = 800;
const MIN_KBPS = 50;
const RAISE_AFTER_MS = 2000; // quiet this long: the path has room again
const RAISE_EVERY_MS = 1000;
const RAISE_BY = 1.1;
const MAX_QUEUE = 2; // frames waiting in an encoder
const KEYFRAME_EVERY = 300; // frames: a safety net besides requests
const MAX_PENDING = 32; // frames whose encode time is still being summed

// Per layer, lowest first: how much smaller than the track, and its
// bitrate when nothing limits it.
const SIMULCAST = Object.freeze([
  { divide: 4, kbps: 100 }, { divide: 2, kbps: 300 },
  { divide: 1, kbps: MAX_KBPS },
]);
const SINGLE = Object.freeze([{ divide: 1, kbps: MAX_KBPS }]);
export const SIMULCAST_LAYERS = SIMULCAST.length;

class Layer {
  encoder = null;
  config = null;
  size = '';
  wantKey = true;
  frames = 0;
  kbps = 0;
}

// Even sizes: VP8 encoders want them, and 4:2:0 needs them.
const even = (n) => Math.max(2, 2 * Math.round(n / 2));

export class LayeredEncoder {
  #send;
  #spec;
  #layers;
  #on; // bitmask of the layers encoded now
  #enabled = true;
  #cap = MAX_KBPS; // the congestion limit, MAX_KBPS when none
  #limitedAt = -Infinity;
  #changedAt = 0;
  limits = 0; // congestion signals obeyed, for the stats overlay
  #onEncoded;
  // timestamp -> {start, layers left, sum of ms}: frames being encoded
  #pending = new Map();
  #scale = 1; // of every layer's size, from the CPU level
  #minIntervalUs = 0; // between frames encoded, from the CPU level
  #lastEncodedUs = -Infinity;

  // send(chunk EncodedVideoChunk, layer number). simulcast: encode the
  // layers the server asks for (none until it does); otherwise one
  // full-size layer, always. onEncoded(ms): a frame's encode time, or -1
  // for a frame dropped because an encoder was behind.
  constructor(send, { simulcast = false, onEncoded = () => {} } = {}) {
    this.#send = send;
    this.#onEncoded = onEncoded;
    this.#spec = simulcast ? SIMULCAST : SINGLE;
    this.#layers = this.#spec.map(() => new Layer());
    this.#on = simulcast ? 0 : 1;
  }

  // What the layers being encoded are set to send, in kbps.
  get bitrateKbps() {
    let sum = 0;
    this.#forEachOn((l) => { sum += this.#layerKbps(l); });
    return sum;
  }

  // The layers encoded now, lowest first (for the stats overlay).
  get layers() {
    const on = [];
    this.#forEachOn((l) => on.push(l));
    return on;
  }

  // The server asks for exactly these layers (bit L: layer L).
  setLayers(mask) {
    if (this.#spec.length === 1) return; // one layer: always sent
    const next = mask & ((1 << this.#spec.length) - 1);
    for (let l = 0; l < this.#spec.length; l++) {
      const bit = 1 << l;
      if ((next & bit) && !(this.#on & bit)) this.#layers[l].wantKey = true;
      if (!(next & bit) && (this.#on & bit)) this.#close(this.#layers[l]);
    }
    this.#on = next;
  }

  // The server says a receiver takes no more than |kbps|.
  limitBitrate(kbps) {
    this.limits++;
    this.#limitedAt = performance.now();
    this.#setCap(Math.max(MIN_KBPS, Math.min(MAX_KBPS, kbps)));
  }

  #forEachOn(fn) {
    for (let l = 0; l < this.#spec.length; l++) {
      if (this.#on & (1 << l)) fn(l);
    }
  }

  #layerKbps(l) {
    const { kbps } = this.#spec[l];
    return Math.round(l === 0 ? Math.min(kbps, this.#cap) : kbps);
  }

  #setCap(kbps) {
    this.#cap = kbps;
    this.#changedAt = performance.now();
    this.#forEachOn((l) => {
      const layer = this.#layers[l];
      const want = this.#layerKbps(l);
      if (layer.kbps === want || layer.encoder?.state !== 'configured') return;
      layer.kbps = want;
      layer.config.bitrate = want * 1000;
      layer.encoder.configure(layer.config); // same size: no keyframe forced
    });
  }

  #raise() {
    const now = performance.now();
    if (this.#cap < MAX_KBPS && now - this.#limitedAt > RAISE_AFTER_MS &&
        now - this.#changedAt > RAISE_EVERY_MS) {
      this.#setCap(Math.min(MAX_KBPS, this.#cap * RAISE_BY));
    }
  }

  // The core's answer to the encode times: {scalePct, maxFps}.
  setCpuLevel({ scalePct, maxFps }) {
    this.#scale = Math.min(100, Math.max(10, scalePct)) / 100;
    this.#minIntervalUs = maxFps >= 30 ? 0 : 0.9e6 / maxFps;
  }

  // One frame of the track; the caller closes it afterwards.
  encode(frame) {
    if (!this.#enabled) return;
    if (frame.timestamp - this.#lastEncodedUs < this.#minIntervalUs) return;
    this.#lastEncodedUs = frame.timestamp;
    this.#raise();
    const entry = { start: performance.now(), left: 0, ms: 0 };
    let behind = false;
    this.#forEachOn((l) => {
      if (this.#encodeLayer(l, frame)) entry.left++;
      else behind = true;
    });
    if (behind) this.#onEncoded(-1);
    if (entry.left === 0) return;
    this.#pending.set(frame.timestamp, entry);
    // An encoder may drop a frame without a chunk: forget the oldest.
    if (this.#pending.size > MAX_PENDING) {
      this.#pending.delete(this.#pending.keys().next().value);
    }
  }

  // One layer's chunk of the frame at |timestamp| is out.
  #encoded(timestamp) {
    const entry = this.#pending.get(timestamp);
    if (!entry) return;
    entry.ms += performance.now() - entry.start;
    if (--entry.left > 0) return;
    this.#pending.delete(timestamp);
    this.#onEncoded(entry.ms);
  }

  // False when the layer's encoder was too far behind to take the frame.
  #encodeLayer(l, frame) {
    const layer = this.#layers[l];
    const { divide } = this.#spec[l];
    const width = even(frame.displayWidth * this.#scale / divide);
    const height = even(frame.displayHeight * this.#scale / divide);
    const size = `${width}x${height}`;
    if (size !== layer.size) this.#configure(l, width, height, size);
    if (layer.encoder.encodeQueueSize > MAX_QUEUE) return false;
    const keyFrame = layer.wantKey || layer.frames % KEYFRAME_EVERY === 0;
    layer.wantKey = false;
    layer.frames++;
    // The encoder scales the frame to its configured size itself.
    layer.encoder.encode(frame, { keyFrame });
    return true;
  }

  #configure(l, width, height, size) {
    const layer = this.#layers[l];
    this.#close(layer);
    layer.encoder = new VideoEncoder({
      output: (chunk) => {
        this.#encoded(chunk.timestamp);
        // The chunk itself: the core copies it straight into WASM memory.
        this.#send(chunk, l);
      },
      error: () => {
        layer.size = ''; // configure again on the next frame
        layer.wantKey = true;
      },
    });
    layer.kbps = this.#layerKbps(l);
    layer.config = {
      codec: CODEC, width, height, bitrate: layer.kbps * 1000, framerate: 30,
      latencyMode: 'realtime',
    };
    layer.encoder.configure(layer.config);
    layer.size = size;
    layer.wantKey = true;
  }

  #close(layer) {
    if (layer.encoder && layer.encoder.state !== 'closed') {
      layer.encoder.close();
    }
    layer.encoder = null;
    layer.size = '';
  }

  // Someone lost a frame of |layer| (all layers when not said): its next
  // frame is a keyframe.
  requestKeyframe(layer = null) {
    if (this.#spec.length === 1) layer = null;
    this.#layers.forEach((x, l) => {
      if (layer === null || layer === l) x.wantKey = true;
    });
  }

  // Camera off: nothing is encoded or sent; on again starts on keyframes.
  setEnabled(on) {
    if (on && !this.#enabled) this.requestKeyframe();
    this.#enabled = on;
  }

  stop() {
    for (const layer of this.#layers) this.#close(layer);
  }
}
