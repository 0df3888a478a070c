// audio/meeting-audio.js: binds the Web Audio API to the meeting. One
// AudioContext at 48 kHz: the microphone goes through the capture worklet
// to the engine one Opus frame (10 ms) at a time; the playout worklet
// asks the engine for 10 ms at a time and plays it. Both worklets talk to
// the engine Worker over MessagePorts of their own, so the page's main
// thread is not on the audio path at all: this file only sets them up.

const SAMPLE_RATE = 48000;

export class MeetingAudio {
  #ctx = null;
  #capture = null;
  #playout = null;
  #source = null;
  #engine;
  #frameSamples;
  #health = { underruns: 0, dropped: 0, peak: 0, silent: 0, played: 0 };

  // engine: the meeting's engine session (engine/engine.js):
  // connectAudio(capturePort, playoutPort) and setAudioMuted(muted).
  // frameSamples: samples per microphone frame (one Opus frame).
  constructor(engine, frameSamples) {
    this.#engine = engine;
    this.#frameSamples = frameSamples;
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
      if (data.type === 'health') {
        this.#health = { underruns: data.underruns, dropped: data.dropped,
          peak: data.peak, silent: data.silent, played: data.played };
      }
    };
    this.#playout.connect(ctx.destination);
    this.#capture = new AudioWorkletNode(ctx, 'vc-capture',
      { numberOfOutputs: 0,
        processorOptions: { frame: this.#frameSamples } });
    // One channel per worklet: one end to it, the other to the engine.
    const capture = new MessageChannel();
    const playout = new MessageChannel();
    this.#capture.port.postMessage({ type: 'engine', port: capture.port1 },
      [capture.port1]);
    this.#playout.port.postMessage({ type: 'engine', port: playout.port1 },
      [playout.port1]);
    this.#engine.connectAudio(capture.port2, playout.port2);
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

  setMuted(muted) {
    this.#engine.setAudioMuted(muted);
  }

  // {underruns, dropped, peak, silent, played} of the playout: chunks
  // that came late or were dropped, the loudest sample of the last half
  // second (0..1), samples of silence played for want of a chunk, and
  // samples played in all.
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
