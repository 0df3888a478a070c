// audio/meeting-audio.js: binds the Web Audio API to the meeting. One
// AudioContext at 48 kHz: the microphone goes through the capture worklet
// to the core one Opus frame (10 ms) at a time; the playout worklet asks
// the core for 10 ms
// at a time and plays it. This file only moves PCM between them.

const SAMPLE_RATE = 48000;
const CHUNK = 480; // one pull: 10 ms
const AHEAD = 2; // chunks pulled ahead of what has been played: 20 ms

export class MeetingAudio {
  #ctx = null;
  #capture = null;
  #playout = null;
  #source = null;
  #muted = false;
  #sink;
  #health = { underruns: 0, dropped: 0, peak: 0 };
  #pulled = 0; // samples pulled from the core since the start

  // sink: {send(pcm Int16Array(frame), muted), pull() -> Int16Array(480),
  //        frameSamples() -> frame}
  constructor(sink) {
    this.#sink = sink;
  }

  // Must run inside a user gesture (the Join click): browsers only let a
  // page start sound then.
  createContext() {
    this.#ctx = new AudioContext({ sampleRate: SAMPLE_RATE,
      latencyHint: 'interactive' });
  }

  async start(stream) {
    const ctx = this.#ctx;
    await ctx.audioWorklet.addModule('/js/audio/capture-worklet.js');
    await ctx.audioWorklet.addModule('/js/audio/playout-worklet.js');
    this.#playout = new AudioWorkletNode(ctx, 'vc-playout',
      { numberOfInputs: 0, outputChannelCount: [2] });
    this.#playout.port.onmessage = ({ data }) => {
      if (data.type === 'need') {
        // After whatever else waits for this thread (network messages that
        // queued up while it was busy must reach the jitter buffers
        // first), pull up to a few chunks ahead of the audio clock. Chunks
        // whose time already went by (the worklet played silence
        // meanwhile) are pulled and dropped: the jitter buffers' clock
        // must not fall behind the loudspeaker's.
        setTimeout(() => this.#pullUntil(data.played), 0);
      } else if (data.type === 'health') {
        this.#health = { underruns: data.underruns, dropped: data.dropped,
          peak: data.peak };
      }
    };
    this.#playout.connect(ctx.destination);
    this.#capture = new AudioWorkletNode(ctx, 'vc-capture',
      { numberOfOutputs: 0,
        processorOptions: { frame: this.#sink.frameSamples() } });
    this.#capture.port.onmessage = ({ data }) => {
      if (data.type === 'frame') this.#sink.send(data.pcm, this.#muted);
    };
    this.setSource(stream);
    if (ctx.state === 'suspended') await ctx.resume();
  }

  // Another microphone (device switch): the capture continues from it.
  setSource(stream) {
    this.#source?.disconnect();
    this.#source = null;
    const track = stream?.getAudioTracks()[0];
    if (track && this.#ctx && this.#capture) {
      this.#source = this.#ctx.createMediaStreamSource(
        new MediaStream([track]));
      this.#source.connect(this.#capture);
    }
  }

  #pullUntil(played) {
    if (!this.#playout) return;
    const until = played + AHEAD * CHUNK;
    while (this.#pulled < until) {
      const pcm = this.#sink.pull();
      this.#pulled += CHUNK;
      if (this.#pulled <= played) continue;
      this.#playout.port.postMessage({ type: 'pcm', pcm }, [pcm.buffer]);
    }
  }

  setMuted(muted) {
    this.#muted = muted;
  }

  // {underruns, dropped, peak} of the playout: chunks that came late or
  // were dropped, and the loudest sample of the last half second (0..1).
  get health() {
    return this.#health;
  }

  async stop() {
    this.#source?.disconnect();
    this.#capture?.disconnect();
    this.#playout?.disconnect();
    this.#playout = null;
    await this.#ctx?.close();
    this.#ctx = null;
  }
}
