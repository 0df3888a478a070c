// audio/playout-worklet.js: the loudspeaker side of the audio thread. It
// keeps a short queue of 10 ms chunks (16-bit, 48 kHz) from the core's
// jitter buffers and asks the engine Worker for more as it plays, on the
// port the page hands over ({type: 'engine', port}), telling how much of
// the engine's sound it has used up (played or dropped) and how much
// silence it had to play for want of it: the engine pulls the core to a
// little ahead of that (more ahead after silence), so the jitter buffers
// run on the audio clock. Asking says where the worklet is, not how much
// it wants, so a lost or late answer is made good by the next one. It
// asks every 10 ms played, and every 5 ms while it has nothing. The queue
// is capped: past its cap the oldest chunk goes (latency never builds up
// here). Health goes to the page.

const CHUNK = 480;
const CAP = 8; // 80 ms: anything beyond is dropped

class PlayoutProcessor extends AudioWorkletProcessor {
  #queue = [];
  #pos = 0; // within #queue[0]
  #askedAt = -CHUNK; // #played when we last asked
  #underruns = 0;
  #silent = 0; // samples of silence played because no chunk was there
  #dropped = 0;
  #peak = 0; // loudest sample played in this half second, 0..1
  #played = 0; // samples output since the start, silence included
  #consumed = 0; // samples of the engine's chunks played
  #engine = null;

  constructor() {
    super();
    this.port.onmessage = ({ data }) => {
      if (data?.type !== 'engine' || !(data.port instanceof MessagePort)) {
        return;
      }
      this.#engine = data.port;
      this.#engine.onmessage = (e) => this.#take(e.data);
    };
  }

  #take(data) {
    if (data?.type !== 'PCM' || !(data.pcm instanceof Int16Array) ||
        data.pcm.length !== CHUNK) {
      return;
    }
    this.#queue.push(data.pcm);
    while (this.#queue.length > CAP) {
      this.#queue.shift();
      this.#consumed += CHUNK - this.#pos;
      this.#pos = 0;
      this.#dropped++;
    }
  }

  #ask() {
    const since = this.#played - this.#askedAt;
    if (!this.#engine ||
        since < (this.#queue.length > 0 ? CHUNK : CHUNK / 2)) {
      return;
    }
    this.#askedAt = this.#played;
    this.#engine.postMessage({ type: 'NEED', consumed: this.#consumed,
      silent: this.#silent });
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    while (i < out.length) {
      const chunk = this.#queue[0];
      if (!chunk) {
        out.fill(0, i);
        this.#underruns++;
        this.#silent += out.length - i;
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
      this.#consumed += n;
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
        dropped: this.#dropped, peak: this.#peak, silent: this.#silent,
        played: this.#played });
      this.#peak = 0;
    }
    return true;
  }
}

registerProcessor('vc-playout', PlayoutProcessor);
