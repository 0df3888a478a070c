// audio/capture-worklet.js: the microphone side of the audio thread. Cuts
// the input into frames of 16-bit samples (as many as the core's Opus
// frame: 480, 10 ms at 48 kHz) and posts each straight to the engine
// Worker on the port the page hands over ({type: 'engine', port}),
// transferring its buffer. Nothing else: Opus and everything after it run
// in the core. Before the port comes, frames are dropped. Each frame
// carries its number, so the engine can tell how late it is.

class CaptureProcessor extends AudioWorkletProcessor {
  #size;
  #frame;
  #fill = 0;
  #seq = 0; // frames cut since the start, sent or not
  #engine = null;

  constructor(options) {
    super();
    this.#size = options.processorOptions?.frame ?? 480;
    this.#frame = new Int16Array(this.#size);
    this.port.onmessage = ({ data }) => {
      if (data?.type === 'engine' && data.port instanceof MessagePort) {
        this.#engine = data.port;
      }
    };
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (!input) return true; // no microphone yet: keep running
    for (let i = 0; i < input.length; i++) {
      const s = Math.max(-1, Math.min(1, input[i]));
      this.#frame[this.#fill++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.#fill === this.#size) {
        this.#fill = 0;
        this.#seq++;
        if (!this.#engine) continue;
        this.#engine.postMessage({ type: 'FRAME', pcm: this.#frame,
          seq: this.#seq }, [this.#frame.buffer]);
        this.#frame = new Int16Array(this.#size);
      }
    }
    return true;
  }
}

registerProcessor('vc-capture', CaptureProcessor);
