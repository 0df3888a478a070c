// engine/engine.js: the page's side of the engine Worker
// (engine-worker.js). Engine.load() starts the Worker and waits for its
// core; engine.join() starts the meeting there and returns a session with
// the calls the page makes (chat, media state, host actions, video in and
// out) and what it reads (the roster view, stats), kept from the Worker's
// last messages so that reading them never waits for another thread.
// A Worker that dies is reported to the page.

import { accept, FromEngine } from './messages.js';
import { HostAction } from '../core.js';

export class Engine {
  #worker;
  #ready;

  constructor() {
    this.#worker = new Worker(new URL('./engine-worker.js', import.meta.url),
      { type: 'module' });
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.onmessage = ({ data }) => {
        if (data?.type === 'READY' && accept(FromEngine, data)) resolve(data);
        else if (data?.type === 'FAILED') reject(new Error(data.text));
      };
      this.#worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`The meeting engine failed to start (${
          e.message}).`));
      };
    });
  }

  // Resolves {version, check, audioFrameSamples} once the core is loaded
  // and has passed its self-check in the Worker; rejects with a sentence.
  static async load() {
    const engine = new Engine();
    const info = await engine.#ready;
    engine.version = info.version;
    engine.check = info.check;
    engine.audioFrameSamples = info.audioFrameSamples;
    return engine;
  }

  // Starts the meeting; ui as MeetingSession's (meeting/session.js).
  join(link, displayName, passphrase, flags, ui) {
    return new EngineSession(this.#worker, link, displayName, passphrase,
      flags, ui);
  }
}

class EngineSession {
  #worker;
  #ui;
  #link;
  #displayName;
  #view = null;
  #stats = { transportName: '', transportMedia: { sent: 0, dropped: 0,
    datagramsIn: 0, undecryptable: 0, copiesOut: 0, copiesIn: 0 },
  audio: {}, video: {}, sessionId: 0, resumeToken: '', refused: 0 };
  #refused = 0; // messages from the Worker of the wrong type or shape

  constructor(worker, link, displayName, passphrase, flags, ui) {
    this.#worker = worker;
    this.#ui = ui;
    this.#link = link;
    this.#displayName = displayName;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (e) => {
      e.preventDefault();
      ui.error(`The meeting engine stopped (${e.message}). Reload the ` +
        'page to join again.');
    };
    this.#post('START', { meetingId: link.meetingId, user: link.user,
      displayName, passphrase, flags, pageHref: location.href });
  }

  #post(type, fields = {}, transfer = []) {
    this.#worker.postMessage({ type, ...fields }, transfer);
  }

  #receive(data) {
    if (!accept(FromEngine, data)) {
      this.#refused++;
      return;
    }
    const ui = this.#ui;
    switch (data.type) {
      case 'CONNECTION': ui.connection(data.state, data.detail); break;
      case 'ROSTER': this.#view = data.view; ui.roster(data.view); break;
      case 'CHAT': ui.chat(data.message); break;
      case 'CHAT_FAILED': ui.chatFailed?.(data.text); break;
      case 'ENDED': ui.ended(data.text); break;
      case 'ERROR': ui.error(data.text); break;
      case 'SAFETY': ui.safety(data.code); break;
      case 'VIDEO_FRAME': ui.videoFrame?.(data); break;
      case 'KEYFRAME_REQUESTED':
        ui.keyframeRequested?.(data.kind, data.layer);
        break;
      case 'SEND_LAYERS': ui.sendLayers?.(data.kind, data.mask); break;
      case 'SEND_RATE_LIMIT': ui.sendRateLimit?.(data.kbps); break;
      case 'MUTE_REQUESTED': ui.muteRequested?.(); break;
      case 'STATS': this.#stats = data.snapshot; break;
      case 'CPU_LEVEL': ui.cpuLevel?.(data); break;
      default: break;
    }
  }

  // The audio worklets' ports (audio/meeting-audio.js): they talk to the
  // engine directly from now on.
  connectAudio(capture, playout) {
    this.#post('AUDIO_PORTS', { capture, playout }, [capture, playout]);
  }

  setAudioMuted(muted) {
    this.#post('AUDIO_MUTED', { muted });
  }

  sendChat(text) {
    this.#post('CHAT', { text });
  }

  setMediaState(flags) {
    this.#post('MEDIA_STATE', { flags });
  }

  remove(sessionId) {
    this.#post('HOST_ACTION', { action: HostAction.REMOVE, sessionId });
  }

  askToMute(sessionId) {
    this.#post('HOST_ACTION', { action: HostAction.MUTE_REQUEST,
      sessionId });
  }

  // |beacon|: the page is going away. The Leave on the connection may
  // not make it out of a closing tab (nor the Worker live long enough to
  // send it), so an HTTP beacon says it too (server-stub/leave_beacon.h);
  // whichever arrives first wins.
  leave({ beacon = false } = {}) {
    const { sessionId, resumeToken } = this.#stats;
    if (beacon && sessionId && resumeToken && navigator.sendBeacon) {
      navigator.sendBeacon(`/leave?meeting=${
        encodeURIComponent(this.#link.meetingId)}&session=${sessionId}` +
        `&token=${resumeToken}`);
    }
    this.#post('LEAVE');
  }

  // An EncodedVideoChunk of ours (it crosses to the Worker by reference).
  sendVideo(chunk, kind, layer = 0) {
    this.#post('VIDEO_SEND', { chunk, kind, layer });
  }

  // One camera frame's encode time in ms (all layers), or -1: a frame
  // dropped before the encoders.
  cameraEncoded(encodeMs) {
    this.#post('CAMERA_ENCODED', { encodeMs });
  }

  // The camera's CPU adaptation as last reported: {level, scalePct,
  // maxFps, usagePct, down, up}, or null before the camera sent.
  get cpu() {
    return this.#stats.cpu ?? null;
  }

  wantVideoLayer(sessionId, layer) {
    this.#post('VIDEO_LAYER', { sessionId, layer });
  }

  videoDecoderFailed(sessionId, kind) {
    this.#post('VIDEO_DECODER_FAILED', { sessionId, kind });
  }

  get transportName() {
    return this.#stats.transportName;
  }

  get transportMedia() {
    return { ...this.#stats.transportMedia,
      refused: this.#stats.refused + this.#refused,
      playoutAheadMs: this.#stats.playoutAheadMs ?? 0,
      captureLate: this.#stats.captureLate ?? 0 };
  }

  audioStats(sessionId) {
    return this.#stats.audio[sessionId] ?? null;
  }

  videoStats(sessionId) {
    return this.#stats.video[sessionId] ?? null;
  }

  // What the UI draws, as the last roster message said (or only oneself
  // before one came).
  view() {
    return this.#view ?? { self: { sessionId: 0,
      displayName: this.#displayName, isHost: false }, others: [],
    speaker: 0 };
  }
}
