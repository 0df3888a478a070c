// video/video-send.js: the camera (or a shared screen) into the meeting.
// MediaStreamTrackProcessor reads the track's VideoFrames on the main
// thread (where Chromium exposes it) and transfers each at once to the
// encoder worker (encoder-worker.js, layered-encoder.js: WebCodecs VP8,
// realtime, simulcast layers); its chunks come back and go to the core,
// which seals and sends them. No more than MAX_IN_FLIGHT frames wait for
// the worker: past that a frame is closed here instead of queued, so a
// busy encoder costs frames, not delay. The same API as the encoder's,
// with its state (rate, layers, signals obeyed) as last reported.

const MAX_IN_FLIGHT = 2;

export class VideoSender {
  #worker;
  #reader = null;
  #inFlight = 0;
  #state = { kbps: 0, layers: [], limits: 0 };
  #onEncoded;
  dropped = 0; // frames closed because the worker was behind

  // send(chunk EncodedVideoChunk, layer number). simulcast: encode the
  // layers the server asks for (none until it does); otherwise one
  // full-size layer, always. onEncoded(ms): a frame's encode time, or -1
  // for a frame dropped because the encoders were behind.
  constructor(send, { simulcast = false, onEncoded = () => {} } = {}) {
    this.#onEncoded = onEncoded;
    this.#worker = new Worker(new URL('./encoder-worker.js', import.meta.url),
      { type: 'module' });
    this.#worker.onmessage = ({ data }) => {
      if (data.chunk) {
        send(data.chunk, data.layer);
      } else if ('encodedMs' in data) {
        this.#onEncoded(data.encodedMs);
      } else if (data.state) {
        this.#state = data.state;
        if (this.#inFlight > 0 && data.handledFrame) this.#inFlight--;
      }
    };
    this.#worker.postMessage({ init: { simulcast } });
  }

  // Reads |track| until it ends or another track replaces it (a device
  // switch: the encoders carry on, starting on a keyframe).
  async start(track) {
    if (!track || typeof MediaStreamTrackProcessor === 'undefined') return;
    await this.#reader?.cancel().catch(() => {});
    const processor = new MediaStreamTrackProcessor({ track });
    const reader = processor.readable.getReader();
    this.#reader = reader;
    this.requestKeyframe();
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      if (reader !== this.#reader) { // replaced meanwhile
        frame.close();
        return;
      }
      if (this.#inFlight >= MAX_IN_FLIGHT) { // the worker is behind
        this.dropped++;
        this.#onEncoded(-1);
        frame.close();
        continue;
      }
      this.#inFlight++;
      this.#worker.postMessage({ frame }, [frame]);
    }
  }

  // What the layers being encoded are set to send, in kbps.
  get bitrateKbps() {
    return this.#state.kbps;
  }

  // The layers encoded now, lowest first (for the stats overlay).
  get layers() {
    return this.#state.layers;
  }

  // Congestion signals obeyed, for the stats overlay.
  get limits() {
    return this.#state.limits;
  }

  // The server asks for exactly these layers (bit L: layer L).
  setLayers(mask) {
    this.#worker.postMessage({ layers: mask });
  }

  // The server says a receiver takes no more than |kbps|.
  limitBitrate(kbps) {
    this.#worker.postMessage({ limit: kbps });
  }

  // Someone lost a frame of |layer| (all layers when not said).
  requestKeyframe(layer = null) {
    this.#worker.postMessage({ keyframe: true, layer });
  }

  // The CPU level to encode at: {scalePct, maxFps} (from the core).
  setCpuLevel(level) {
    this.#worker.postMessage({ cpu: { scalePct: level.scalePct,
      maxFps: level.maxFps } });
  }

  // Camera off: nothing is encoded or sent; on again starts on keyframes.
  setEnabled(on) {
    this.#worker.postMessage({ enabled: on });
  }

  stop() {
    this.#reader?.cancel().catch(() => {});
    this.#reader = null;
    this.#worker.postMessage({ stop: true });
  }
}
