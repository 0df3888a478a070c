// meeting/session.js: runs one meeting: the C core decides, this file
// carries bytes between it and the transport, keeps its timer, and hands
// what happened to the UI. It holds no meeting state of its own. It runs
// in the engine Worker (engine/engine-worker.js), beside the transport.

import { MeetingEvent, MeetingPhase, StreamKind } from '../core.js';
import { AutoTransport } from '../transport/choose.js';

const now = () => performance.now();

export class MeetingSession {
  #core;
  #mc = null;
  #transport = null;
  #timer = 0;
  #ui;
  #link;
  #displayName;
  #safetyCode = null;
  #wasConnected = false; // a later connect is a reconnect: banner stays

  // ui: {connection(state, detail), roster(view), chat(message),
  //      ended(text), error(text), safety(code)}
  #passphrase;
  #page; // the page's URL: its origin and ?transport= choose the transport

  constructor(core, link, displayName, ui, passphrase = '', page = location) {
    this.#core = core;
    this.#passphrase = passphrase;
    this.#page = page;
    this.#link = link;
    this.#displayName = displayName;
    this.#ui = ui;
  }

  // flags: the MediaFlag bits to join with (the Join carries them).
  start(flags = 0) {
    this.#mc = this.#core.createMeeting({
      meetingId: this.#link.meetingId, user: this.#link.user,
      displayName: this.#displayName, passphrase: this.#passphrase,
    });
    this.#mc.setMediaState(flags, now());
    this.#connect();
  }

  sendChat(text) {
    this.#mc.sendChat(text, now());
    this.#pump();
  }

  setMediaState(flags) {
    this.#mc.setMediaState(flags, now());
    this.#pump();
  }

  // Host controls (HostAction): remove someone or ask them to mute; the
  // server refuses them from anyone else.
  hostAction(action, sessionId) {
    this.#mc.hostAction(action, sessionId, now());
    this.#pump();
  }

  // The secret that proves this session ('' before joined), for the
  // page's leave beacon (server-stub/leave_beacon.h).
  get resumeTokenHex() {
    return this.#mc.resumeTokenHex();
  }

  leave() {
    this.#mc.leave(now());
    this.#pump(); // the Leave goes out before the close
    const t = this.#transport;
    this.#transport = null;
    setTimeout(() => t?.close(), 100);
  }

  get transportName() {
    return this.#transport?.name ?? '';
  }

  // Media frames the transport sent and dropped (a backed-up socket),
  // and how many times JS copied each byte on the wire, out and in.
  #datagramsIn = 0; // WebTransport datagrams received, for the overlay

  get transportMedia() {
    const c = this.#mc.mediaCopies;
    return { sent: this.#transport?.mediaSent ?? 0,
      dropped: this.#transport?.mediaDropped ?? 0,
      datagramsIn: this.#datagramsIn,
      undecryptable: this.#mc.mediaUndecryptable,
      copiesOut: c.outWire ? c.outCopied / c.outWire : 0,
      copiesIn: c.inWire ? c.inCopied / c.inWire : 0 };
  }

  #connect() {
    this.#ui.connection(this.#wasConnected ? 'reconnecting' : 'connecting',
      '');
    const t = new AutoTransport(this.#page, {
      open: () => {
        if (t !== this.#transport) return;
        this.#mc.connected(now());
        this.#pump();
      },
      message: (bytes) => {
        if (t !== this.#transport) return;
        try {
          this.#mc.receive(bytes, now());
        } catch (e) {
          this.#ui.error(e.message);
          t.close();
        }
        this.#pump();
      },
      datagram: (bytes) => {
        if (t !== this.#transport) return;
        this.#datagramsIn++;
        this.#mc.receiveDatagram(bytes, now());
        this.#pump();
      },
      close: () => {
        if (t !== this.#transport) return;
        this.#transport = null;
        this.#mc.transportLost(now());
        this.#pump();
      },
    });
    this.#transport = t;
  }

  #flush() {
    for (const { bytes, media, datagram } of this.#mc.takeOutgoing()) {
      if (media) this.#transport?.sendMedia(bytes, datagram);
      else this.#transport?.send(bytes);
    }
  }

  // Audio (audio/meeting-audio.js calls these on the audio clock's
  // schedule): a frame of microphone in, 10 ms of everyone out.
  startAudio() {
    this.#mc.audioStart();
  }

  get audioFrameSamples() {
    return this.#mc.audioFrameSamples;
  }

  sendAudio(pcm, muted) {
    if (this.#mc.audioSend(pcm, muted, now())) this.#flush();
  }

  pullAudio() {
    return this.#mc.audioPull(now());
  }

  audioStats(sessionId) {
    return this.#mc.audioStats(sessionId);
  }

  // Video: our encoder's chunks in; others' decodable frames out to
  // ui.videoFrame({sender, keyframe, bytes}), checked after every receive
  // and on each animation frame (the frame buffers' timers run then too).
  sendVideo(chunk, keyframe, timestampUs, kind, layer = 0) {
    if (this.#mc.videoSend(chunk, keyframe, timestampUs, now(), kind, layer)) {
      this.#flush();
    }
  }

  // The simulcast layer wanted of |sessionId|'s camera (by its tile).
  wantVideoLayer(sessionId, layer) {
    this.#mc.wantVideoLayer(sessionId, layer, now());
    this.#flush();
  }

  pollVideo() {
    this.#takeVideo();
    this.#flush(); // keyframe requests the frame buffers asked for
  }

  #takeVideo() {
    for (let f = this.#mc.videoNext(now()); f; f = this.#mc.videoNext(now())) {
      this.#ui.videoFrame?.(f);
    }
  }

  videoDecoderFailed(sender, kind) {
    this.#mc.videoDecoderFailed(sender, kind, now());
    this.#flush();
  }

  videoStats(sessionId) {
    return this.#mc.videoStats(sessionId);
  }

  // After anything happened: events to the UI, frames to the wire, timer.
  #pump() {
    for (const ev of this.#mc.takeEvents()) this.#onEvent(ev);
    if (this.#ui.videoFrame) this.#takeVideo();
    this.#flush();
    // Keys arrive without events: look at the safety code after each step.
    const code = this.#mc.safetyCode();
    if (code !== this.#safetyCode) {
      this.#safetyCode = code;
      this.#ui.safety(code);
    }
    clearTimeout(this.#timer);
    const at = this.#mc.expiryMs();
    if (at >= 0) {
      this.#timer = setTimeout(() => {
        this.#mc.handleExpiry(now());
        this.#pump();
      }, Math.max(0, at - now()));
    }
  }

  #onEvent(ev) {
    switch (ev.type) {
      case MeetingEvent.CONNECT:
        this.#connect();
        return;
      case MeetingEvent.CONNECTION_LOST: {
        const t = this.#transport;
        this.#transport = null;
        t?.close();
        // Layers asked for belong to the connection: a resume asks again.
        this.#ui.sendLayers?.(StreamKind.VIDEO, 0);
        this.#ui.connection('reconnecting', '');
        return;
      }
      case MeetingEvent.JOINED:
      case MeetingEvent.RECONNECTED:
        this.#wasConnected = true;
        this.#ui.connection('connected', this.transportName);
        break;
      case MeetingEvent.CHAT:
        this.#ui.chat({
          from: this.#nameOf(ev.sessionId), text: ev.text,
          own: ev.sessionId === this.#mc.sessionId(),
          encrypted: ev.code !== 0,
        });
        return;
      case MeetingEvent.ERROR:
        this.#ui.error(ev.text);
        return;
      case MeetingEvent.MUTE_REQUESTED:
        this.#ui.muteRequested?.();
        return;
      case MeetingEvent.KEYFRAME_REQUESTED:
        // The StreamKind and simulcast layer wanted.
        this.#ui.keyframeRequested?.(ev.code, ev.reason);
        return;
      case MeetingEvent.SEND_LAYERS:
        this.#ui.sendLayers?.(ev.reason, ev.code); // kind, bitmask
        return;
      case MeetingEvent.SEND_RATE_LIMIT:
        this.#ui.sendRateLimit?.(ev.code); // kbps
        return;
      case MeetingEvent.UNVERIFIED:
        this.#ui.error(`Cannot verify ${this.#nameOf(ev.sessionId)}: their ` +
          'meeting passphrase is different, so they cannot read this chat ' +
          'and you cannot read theirs.');
        return;
      case MeetingEvent.ENDED:
        this.#ui.ended(ev.text);
        break;
      default:
        break;
    }
    if (this.#mc.phase() !== MeetingPhase.IDLE) this.#ui.roster(this.view());
  }

  #nameOf(sessionId) {
    if (sessionId === this.#mc.sessionId()) return 'You';
    return this.#mc.roster().find((p) => p.sessionId === sessionId)
      ?.displayName ?? 'Someone who left';
  }

  // What the UI draws: oneself and everyone else, host and speaker marked.
  view() {
    return {
      self: { sessionId: this.#mc.sessionId(), displayName: this.#displayName,
        isHost: this.#mc.host() === this.#mc.sessionId() },
      others: this.#mc.roster(),
      speaker: this.#mc.speaker(),

    };
  }
}
