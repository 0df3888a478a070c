// video/video-send.js: the camera into the meeting. MediaStreamTrackProcessor
// gives the camera's VideoFrames (Chromium exposes it on the main thread);
// WebCodecs encodes them (VP8, realtime); each chunk's bytes go to the core,
// which seals and sends them. Every VideoFrame is closed where it is read.
// A frame is dropped rather than queued when the encoder falls behind.

const CODEC = 'vp8';
const BITRATE = 800_000;
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

  #encode(frame) {
    if (!this.#enabled) return;
    const size = `${frame.displayWidth}x${frame.displayHeight}`;
    if (size !== this.#size) this.#configure(frame, size);
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
    this.#encoder.configure({
      codec: CODEC, width: frame.displayWidth, height: frame.displayHeight,
      bitrate: BITRATE, framerate: 30, latencyMode: 'realtime',
    });
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
