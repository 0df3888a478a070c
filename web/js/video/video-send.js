// video/video-send.js: the camera into the meeting. MediaStreamTrackProcessor
// gives the camera's VideoFrames (Chromium exposes it on the main thread);
// WebCodecs encodes them (VP8, realtime); each chunk's bytes go to the core,
// which seals and sends them. Every VideoFrame is closed where it is read.
// A frame is dropped rather than queued when the encoder falls behind.
// The bitrate follows the server's congestion signals: down to the limit
// at once, then back up by a tenth a second once no limit has come for
// two seconds (docs/VIDEO.md "Send rate").

const CODEC = 'vp8';
const MAX_KBPS = 800;
const MIN_KBPS = 100;
const RAISE_AFTER_MS = 2000; // quiet this long: the path has room again
const RAISE_EVERY_MS = 1000;
const RAISE_BY = 1.1;
const MAX_QUEUE = 2; // frames waiting in the encoder
const KEYFRAME_EVERY = 300; // frames: a safety net besides requests

export class VideoSender {
  #send;
  #encoder = null;
  #reader = null;
  #enabled = true;
  #wantKey = true;
  #frames = 0;
  #size = '';
  #config = null;
  #kbps = MAX_KBPS;
  #limitedAt = -Infinity;
  #changedAt = 0;
  limits = 0; // congestion signals obeyed, for the stats overlay

  // send(bytes Uint8Array, keyframe bool, timestampUs number)
  constructor(send) {
    this.#send = send;
  }

  // Reads |track| until it ends or another track replaces it (a device
  // switch: the encoder carries on, starting on a keyframe).
  async start(track) {
    if (!track || typeof MediaStreamTrackProcessor === 'undefined') return;
    await this.#reader?.cancel().catch(() => {});
    const processor = new MediaStreamTrackProcessor({ track });
    const reader = processor.readable.getReader();
    this.#reader = reader;
    this.#wantKey = true;
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      if (reader !== this.#reader) { // replaced meanwhile
        frame.close();
        return;
      }
      try {
        this.#encode(frame);
      } finally {
        frame.close();
      }
    }
  }

  get bitrateKbps() {
    return this.#kbps;
  }

  // The server says a receiver takes no more than |kbps|.
  limitBitrate(kbps) {
    this.limits++;
    this.#limitedAt = performance.now();
    this.#setKbps(Math.max(MIN_KBPS, Math.min(MAX_KBPS, kbps)));
  }

  #setKbps(kbps) {
    this.#kbps = Math.round(kbps);
    this.#changedAt = performance.now();
    if (!this.#config || this.#encoder?.state !== 'configured') return;
    this.#config.bitrate = this.#kbps * 1000;
    this.#encoder.configure(this.#config); // same size: no keyframe forced
  }

  #raise() {
    const now = performance.now();
    if (this.#kbps < MAX_KBPS && now - this.#limitedAt > RAISE_AFTER_MS &&
        now - this.#changedAt > RAISE_EVERY_MS) {
      this.#setKbps(Math.min(MAX_KBPS, this.#kbps * RAISE_BY));
    }
  }

  #encode(frame) {
    if (!this.#enabled) return;
    const size = `${frame.displayWidth}x${frame.displayHeight}`;
    if (size !== this.#size) this.#configure(frame, size);
    this.#raise();
    if (this.#encoder.encodeQueueSize > MAX_QUEUE) return;
    const keyFrame = this.#wantKey || this.#frames % KEYFRAME_EVERY === 0;
    this.#wantKey = false;
    this.#frames++;
    this.#encoder.encode(frame, { keyFrame });
  }

  #configure(frame, size) {
    this.#encoder?.close();
    this.#encoder = new VideoEncoder({
      output: (chunk) => {
        // The chunk itself: the core copies it straight into WASM memory.
        this.#send(chunk, chunk.type === 'key', chunk.timestamp);
      },
      error: () => {
        this.#size = ''; // configure again on the next frame
        this.#wantKey = true;
      },
    });
    this.#config = {
      codec: CODEC, width: frame.displayWidth, height: frame.displayHeight,
      bitrate: this.#kbps * 1000, framerate: 30, latencyMode: 'realtime',
    };
    this.#encoder.configure(this.#config);
    this.#size = size;
    this.#wantKey = true;
  }

  // Someone lost a frame: the next one is a keyframe.
  requestKeyframe() {
    this.#wantKey = true;
  }

  // Camera off: nothing is encoded or sent; on again starts on a keyframe.
  setEnabled(on) {
    if (on && !this.#enabled) this.#wantKey = true;
    this.#enabled = on;
  }

  stop() {
    this.#reader?.cancel().catch(() => {});
    if (this.#encoder?.state !== 'closed') this.#encoder?.close();
  }
}
