// video/video-receive.js: others' video out of the meeting. The core hands
// over frames that are ready to decode (references present, in order);
// WebCodecs decodes them, and only the newest decoded frame per person is
// drawn, in requestAnimationFrame, onto that person's canvas. Every
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
  timestamp = 0;
}

export class VideoReceiver {
  #remotes = new Map();
  #onNeedKeyframe;
  #onFirstFrame;
  #raf = 0;

  // onNeedKeyframe(sender): a decoder failed; onFirstFrame(sender): a
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

  #remote(sender) {
    let r = this.#remotes.get(sender);
    if (!r) {
      r = new Remote();
      r.canvas.className = 'absolute inset-0 h-full w-full object-contain';
      r.canvas.dataset.testid = 'remote-video';
      this.#remotes.set(sender, r);
    }
    if (!r.decoder || r.decoder.state === 'closed') this.#open(sender, r);
    return r;
  }

  #open(sender, r) {
    r.decoder = new VideoDecoder({
      output: (frame) => {
        r.latest?.close();
        r.latest = frame;
        if (r.decoded++ === 0) this.#onFirstFrame(sender);
      },
      error: () => this.#restart(sender, r),
    });
    r.decoder.configure({ codec: CODEC, optimizeForLatency: true });
    r.needKey = true;
  }

  #restart(sender, r) {
    if (r.decoder.state !== 'closed') r.decoder.close();
    r.decoder = null;
    r.needKey = true;
    this.#onNeedKeyframe(sender);
  }

  // One frame the core says is decodable now.
  push(sender, bytes, keyframe) {
    const r = this.#remote(sender);
    if (r.needKey && !keyframe) return;
    if (r.decoder.decodeQueueSize > MAX_QUEUE) {
      this.#restart(sender, r); // fallen behind: start again on a keyframe
      return;
    }
    r.needKey = false;
    r.decoder.decode(new EncodedVideoChunk({
      type: keyframe ? 'key' : 'delta', timestamp: r.timestamp++, data: bytes,
    }));
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

  // The canvas showing |sender|, once it has had a picture; else null.
  canvasOf(sender) {
    const r = this.#remotes.get(sender);
    return r && r.decoded > 0 ? r.canvas : null;
  }

  framesDecoded(sender) {
    return this.#remotes.get(sender)?.decoded ?? 0;
  }

  remove(sender) {
    const r = this.#remotes.get(sender);
    if (!r) return;
    r.latest?.close();
    if (r.decoder && r.decoder.state !== 'closed') r.decoder.close();
    this.#remotes.delete(sender);
  }

  stop() {
    cancelAnimationFrame(this.#raf);
    for (const sender of [...this.#remotes.keys()]) this.remove(sender);
  }
}
