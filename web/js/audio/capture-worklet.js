// audio/capture-worklet.js: the microphone side of the audio thread. Cuts
// the input into frames of 16-bit samples (as many as the core's Opus
// frame: 480, 10 ms at 48 kHz) and posts each to the main thread,
// transferring its buffer. Nothing else: Opus and everything after it run
// in the core.

class CaptureProcessor extends AudioWorkletProcessor {
  #size;
  #frame;
  #fill = 0;

  constructor(options) {
    super();
    this.#size = options.processorOptions?.frame ?? 480;
    this.#frame = new Int16Array(this.#size);
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (!input) return true; // no microphone yet: keep running
    for (let i = 0; i < input.length; i++) {
      const s = Math.max(-1, Math.min(1, input[i]));
      this.#frame[this.#fill++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.#fill === this.#size) {
        this.port.postMessage({ type: 'frame', pcm: this.#frame },
          [this.#frame.buffer]);
        this.#frame = new Int16Array(this.#size);
        this.#fill = 0;
      }
    }
    return true;
  }
}

registerProcessor('vc-capture', CaptureProcessor);
