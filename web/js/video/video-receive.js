// video/video-receive.js: others' video out of the meeting. The core hands
// over frames that are ready to decode (references present, in order);
// WebCodecs decodes them, and only the newest decoded frame per person is
// drawn, in requestAnimationFrame, onto that person's canvas (one for the
// camera, one for a shared screen). Every
// VideoFrame is closed: when drawn, when replaced by a newer one, and when
// the person leaves.

const CODEC = 'vp8';
const MAX_QUEUE = 4; // frames waiting in a decoder before it starts over

class Remote {
  decoder = null;
  latest = null;
  canvas = document.createElement('canvas');
  needKey = true;
  decoded = 0;
  width = 0; // of the last picture decoded
  height = 0;
}

export class VideoReceiver {
  #remotes = new Map();
  #onNeedKeyframe;
  #onFirstFrame;
  #raf = 0;

  // onNeedKeyframe(sender, kind): a decoder failed; onFirstFrame(): a
  // canvas has a picture now (the tile can show it).
  constructor(onNeedKeyframe, onFirstFrame) {
    this.#onNeedKeyframe = onNeedKeyframe;
    this.#onFirstFrame = onFirstFrame;
    const draw = () => {
      this.#draw();
      this.#raf = requestAnimationFrame(draw);
    };
    this.#raf = requestAnimationFrame(draw);
  }

  #remote(sender, kind) {
    const key = `${sender}:${kind}`;
    let r = this.#remotes.get(key);
    if (!r) {
      r = new Remote();
      r.sender = sender;
      r.kind = kind;
      r.canvas.className = 'absolute inset-0 h-full w-full object-contain';
      r.canvas.dataset.testid = 'remote-video';
      this.#remotes.set(key, r);
    }
    if (!r.decoder || r.decoder.state === 'closed') this.#open(r);
    return r;
  }

  #open(r) {
    r.decoder = new VideoDecoder({
      output: (frame) => {
        r.latest?.close();
        r.latest = frame;
        r.width = frame.displayWidth;
        r.height = frame.displayHeight;
        if (r.decoded++ === 0) this.#onFirstFrame();
      },
      error: () => this.#restart(r),
    });
    r.decoder.configure({ codec: CODEC, optimizeForLatency: true });
    r.needKey = true;
  }

  #restart(r) {
    if (r.decoder.state !== 'closed') r.decoder.close();
    r.decoder = null;
    r.needKey = true;
    this.#onNeedKeyframe(r.sender, r.kind);
  }

  // One frame the core says is decodable now (kind: camera or screen), as
  // an EncodedVideoChunk the engine made of it.
  push(sender, kind, chunk, keyframe) {
    const r = this.#remote(sender, kind);
    if (r.needKey && !keyframe) return;
    if (r.decoder.decodeQueueSize > MAX_QUEUE) {
      this.#restart(r); // fallen behind: start again on a keyframe
      return;
    }
    r.needKey = false;
    r.decoder.decode(chunk);
  }

  #draw() {
    for (const r of this.#remotes.values()) {
      const frame = r.latest;
      if (!frame) continue;
      r.latest = null;
      if (r.canvas.width !== frame.displayWidth) {
        r.canvas.width = frame.displayWidth;
      }
      if (r.canvas.height !== frame.displayHeight) {
        r.canvas.height = frame.displayHeight;
      }
      r.canvas.getContext('2d').drawImage(frame, 0, 0);
      frame.close();
    }
  }

  // The canvas showing |sender|'s |kind|, once it has had a picture.
  canvasOf(sender, kind) {
    const r = this.#remotes.get(`${sender}:${kind}`);
    return r && r.decoded > 0 ? r.canvas : null;
  }

  // The size of the last picture decoded, or null before any.
  frameSize(sender, kind) {
    const r = this.#remotes.get(`${sender}:${kind}`);
    return r?.width ? { width: r.width, height: r.height } : null;
  }

  framesDecoded(sender, kind) {
    return this.#remotes.get(`${sender}:${kind}`)?.decoded ?? 0;
  }

  // |sender|'s |kind| stopped (screen share ended) or, without |kind|,
  // they left: decoders closed, frames closed.
  remove(sender, kind = null) {
    for (const [key, r] of [...this.#remotes]) {
      if (r.sender !== sender || (kind !== null && r.kind !== kind)) continue;
      r.latest?.close();
      if (r.decoder && r.decoder.state !== 'closed') r.decoder.close();
      this.#remotes.delete(key);
    }
  }

  stop() {
    cancelAnimationFrame(this.#raf);
    for (const r of [...this.#remotes.values()]) this.remove(r.sender);
  }
}
