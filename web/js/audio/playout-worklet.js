// audio/playout-worklet.js: the loudspeaker side of the audio thread. It
// keeps a short queue of 10 ms chunks (16-bit, 48 kHz) from the core's
// jitter buffers and asks for more as it plays, telling how many samples
// it has played so far (silence included): the main thread pulls the
// core up to that point, so the jitter buffers follow the audio clock even
// when the main thread was late. The queue is capped: past its cap the
// oldest chunk goes (latency never builds up here); when it runs dry it
// plays silence and counts an underrun.

const CHUNK = 480;
const WANT = 2; // chunks queued or asked for: 20 ms covers main-thread lag
const CAP = 8; // 80 ms: anything beyond is dropped

class PlayoutProcessor extends AudioWorkletProcessor {
  #queue = [];
  #pos = 0; // within #queue[0]
  #asked = 0;
  #underruns = 0;
  #dropped = 0;
  #peak = 0; // loudest sample played in this half second, 0..1
  #played = 0; // samples output since the start, silence included

  constructor() {
    super();
    this.port.onmessage = ({ data }) => {
      if (data.type !== 'pcm') return;
      this.#asked = Math.max(0, this.#asked - 1);
      this.#queue.push(data.pcm);
      while (this.#queue.length > CAP) {
        this.#queue.shift();
        this.#pos = 0;
        this.#dropped++;
      }
    };
  }

  #ask() {
    while (this.#queue.length + this.#asked < WANT) {
      this.#asked++;
      this.port.postMessage({ type: 'need', played: this.#played });
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    while (i < out.length) {
      const chunk = this.#queue[0];
      if (!chunk) {
        out.fill(0, i);
        this.#underruns++;
        break;
      }
      const n = Math.min(out.length - i, CHUNK - this.#pos);
      for (let k = 0; k < n; k++) {
        const v = chunk[this.#pos + k] / 0x8000;
        out[i + k] = v;
        if (v > this.#peak) this.#peak = v;
        else if (-v > this.#peak) this.#peak = -v;
      }
      i += n;
      this.#pos += n;
      if (this.#pos === CHUNK) {
        this.#queue.shift();
        this.#pos = 0;
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.#played += out.length;
    this.#ask();
    // Twice a second: how the queue fares and how loud the output was.
    if (currentFrame % 24000 < out.length) {
      this.port.postMessage({ type: 'health', underruns: this.#underruns,
        dropped: this.#dropped, peak: this.#peak });
      this.#peak = 0;
    }
    return true;
  }
}

registerProcessor('vc-playout', PlayoutProcessor);
