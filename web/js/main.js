// main.js: wires the meeting page's modules together and does nothing
// else. Order: check the browser, read the link, then start the engine and
// the camera preview side by side; Join opens the call.

import { unsupportedReason } from './support.js';
import { parseMeetingPath, NAME_RULE } from './meeting-link.js';
import { MediaFlag, StreamKind } from './core.js';
import { Engine } from './engine/engine.js';
import { openPreview, trackLabels, listDevices } from './media/preview.js';
import { MeetingAudio } from './audio/meeting-audio.js';
import { VideoSender } from './video/video-send.js';
import { VideoReceiver } from './video/video-receive.js';
import { LayerChooser } from './video/layer-choice.js';
import * as ui from './ui/prejoin.js';
import * as call from './ui/call.js';

let localStream = null;
// Settles (never rejects) once the camera and microphone are open or have
// failed: a quick Join must not leave the call without them.
let previewDone = Promise.resolve();
// Called with the new stream after a device switch (the call rewires).
let onStreamChanged = () => {};

async function startEngine() {
  try {
    const engine = await Engine.load();
    ui.showCoreReady(engine.version, engine.check);
    return engine;
  } catch (e) {
    ui.showCoreFailed();
    ui.showError(e.message);
    return null;
  }
}

async function startPreview() {
  try {
    localStream = await openPreview();
    ui.showPreview(localStream, trackLabels(localStream));
    const current = {
      cameraId: localStream.getVideoTracks()[0]?.getSettings().deviceId,
      micId: localStream.getAudioTracks()[0]?.getSettings().deviceId,
    };
    ui.showDevices(await listDevices(), current, switchDevices);
  } catch (e) {
    ui.showPreviewFailed(e.message);
  }
}

// Another camera or microphone was picked: open it, then let go of the
// old one (so a failure keeps the old one working).
async function switchDevices(choice) {
  let stream;
  try {
    stream = await openPreview(choice);
  } catch (e) {
    ui.showError(e.message);
    return;
  }
  const old = localStream;
  localStream = stream;
  ui.showPreview(stream, trackLabels(stream));
  onStreamChanged(stream);
  for (const t of old?.getTracks() ?? []) t.stop();
}

function flagsOf(own) {
  return (own.audioMuted ? MediaFlag.AUDIO_MUTED : 0) |
    (own.videoOff ? MediaFlag.VIDEO_OFF : 0) |
    (own.screenSharing ? MediaFlag.SCREEN_SHARING : 0) |
    (own.handRaised ? MediaFlag.HAND_RAISED : 0) |
    (own.e2eeOff ? MediaFlag.E2EE_OFF : 0);
}

// The passphrase lives in the URL fragment (#passphrase=...), which the
// browser never sends to the server.
function passphraseFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get('passphrase') ?? '';
}

// The passphrase typed on the pre-join screen, else the link's. It goes
// into this page's fragment, which the browser never sends anywhere, so a
// reload keeps it.
function choosePassphrase() {
  const typed = document.getElementById('passphrase').value;
  if (typed) {
    history.replaceState(null, '',
      `#passphrase=${encodeURIComponent(typed)}`);
  }
  return typed || passphraseFromFragment();
}

function joinCall(engine, link, displayName) {
  const passphrase = choosePassphrase();
  const own = { audioMuted: false, videoOff: false, handRaised: false,
    screenSharing: false, e2eeOff: !ui.e2eeChosen() };
  let screenStream = null;
  let screenSender = null;
  let lastView = null;
  let session = null;
  const receiver = new VideoReceiver(
    (id, kind) => session.videoDecoderFailed(id, kind),
    () => redraw());
  const sender = new VideoSender((chunk, layer) =>
    session.sendVideo(chunk, StreamKind.VIDEO, layer), { simulcast: true,
    onEncoded: (ms) => session.cameraEncoded(ms) });
  const layers = new LayerChooser((id, layer) =>
    session.wantVideoLayer(id, layer));
  const host = {
    askToMute: (id) => session.askToMute(id),
    remove: (id) => session.remove(id),
  };
  const quality = new Map(); // session id -> 'good' | 'fair' | 'poor'
  // Whose tile is pinned (a session id, or null); it goes when they do.
  const pin = { id: null, set: (id) => { pin.id = id; redraw(); } };
  const redraw = () => {
    if (!lastView) return;
    call.showRoster(lastView, own, localStream,
      (id) => receiver.canvasOf(id, StreamKind.VIDEO), host,
      { of: (id) => receiver.canvasOf(id, StreamKind.SCREEN),
        own: screenStream },
      (id) => quality.get(id) ?? null, pin);
    layers.watch(call.remoteTiles());
  };
  const events = {
    connection: (state, transport) => call.showConnection(state, transport),
    roster: (view) => {
      // A share that ended: its decoder and last picture go.
      for (const p of view.others) {
        if (!p.screenSharing) receiver.remove(p.sessionId, StreamKind.SCREEN);
      }
      lastView = view;
      redraw();
    },
    chat: (message) => call.addChat(message),
    ended: (text) => {
      call.showEnded(text === 'you left' ? '' : text);
      stopMedia();
    },
    error: (text) => ui.showError(text),
    chatFailed: (text) => ui.showError(`Your message was not sent: ${text}`),
    safety: (code) => call.showSafetyCode(code),
    videoFrame: (f) => receiver.push(f.sender, f.kind, f.chunk, f.keyframe),
    keyframeRequested: (kind, layer) => (kind === StreamKind.SCREEN
      ? screenSender?.requestKeyframe() : sender.requestKeyframe(layer)),
    // Simulcast: the camera layers someone receives now.
    sendLayers: (kind, mask) => {
      if (kind === StreamKind.VIDEO) sender.setLayers(mask);
    },
    // A receiver of our video is congested: each of our streams stays
    // under what it takes (the server divided it among its streams).
    sendRateLimit: (kbps) => {
      sender.limitBitrate(kbps);
      screenSender?.limitBitrate(kbps);
    },
    // The machine is over- or underloaded: the camera's size and rate.
    cpuLevel: (level) => sender.setCpuLevel(level),
    // The host may mute anyone; only they themselves can unmute.
    muteRequested: () => {
      if (!own.audioMuted) document.getElementById('mic-button').click();
      ui.showNote('The host muted your microphone. Unmute when you want ' +
        'to speak.');
    },
  };
  session = engine.join(link, displayName, passphrase, flagsOf(own), events);
  // The AudioContext is made now, inside the Join click: browsers let a
  // page start sound only from a user gesture.
  const audio = new MeetingAudio(session, engine.audioFrameSamples);
  try {
    audio.createContext();
  } catch (e) {
    ui.showError(e.message);
    return;
  }
  onStreamChanged = (stream) => {
    for (const t of stream.getAudioTracks()) t.enabled = !own.audioMuted;
    for (const t of stream.getVideoTracks()) t.enabled = !own.videoOff;
    audio.setSource(stream);
    sender.start(stream.getVideoTracks()[0]).catch((e) =>
      ui.showError(`Your camera could not be sent: ${e.message}`));
    redraw();
  };
  ui.moveDevicesInto('call-devices');
  previewDone.then(() => {
    audio.start(localStream).catch((e) =>
      ui.showError(`Sound could not start: ${e.message}`));
    sender.start(localStream?.getVideoTracks()[0]).catch((e) =>
      ui.showError(`Your camera could not be sent: ${e.message}`));
    redraw();
  });
  call.showCall();
  // Once a second, each person's connection from what arrived in the last
  // two seconds: pictures shown (when their camera is on) and the share of
  // their sound that had to be concealed (while sound arrives).
  const history = new Map();
  const judge = () => {
    if (!lastView) return;
    let changed = false;
    for (const p of lastView.others) {
      const a = session.audioStats(p.sessionId);
      const now = { t: performance.now(),
        frames: receiver.framesDecoded(p.sessionId, StreamKind.VIDEO),
        concealed: a ? a.concealed : 0,
        samples: a ? a.samples + a.concealed : 0 };
      const past = history.get(p.sessionId) ?? [];
      past.push(now);
      while (past.length > 3) past.shift();
      history.set(p.sessionId, past);
      if (past.length < 3) continue; // two seconds of history first
      const [old] = past;
      const secs = (now.t - old.t) / 1000;
      const fps = (now.frames - old.frames) / secs;
      const played = now.samples - old.samples;
      const lost = played > 0 ? (now.concealed - old.concealed) / played : 0;
      let level = 'good';
      if ((!p.videoOff && fps < 1) || lost > 0.1) level = 'poor';
      else if ((!p.videoOff && fps < 10) || lost > 0.02) level = 'fair';
      if (quality.get(p.sessionId) !== level) {
        quality.set(p.sessionId, level);
        changed = true;
      }
    }
    if (changed) redraw();
  };
  const qualityTimer = setInterval(judge, 1000);
  let statsTimer = 0;
  let stopped = false;
  // The call is over (left, removed, or ended): camera and microphone are
  // released, nothing is sent or played any more.
  function stopMedia() {
    if (stopped) return;
    stopped = true;
    stopSharing();
    audio.stop();
    sender.stop();
    receiver.stop();
    layers.stop();
    clearInterval(statsTimer);
    clearInterval(qualityTimer);
    for (const track of localStream?.getTracks() ?? []) track.stop();
  }
  const drawStats = () => {
    const view = session.view();
    call.showStats(session.transportName, { ...session.transportMedia,
      sendKbps: sender.bitrateKbps, limits: sender.limits,
      sendLayers: sender.layers, sendSkipped: sender.dropped,
      cpu: session.cpu },
    audio.health, view.others.map(
      (p) => ({ sessionId: p.sessionId, name: p.displayName,
        stats: session.audioStats(p.sessionId),
        video: session.videoStats(p.sessionId),
        framesShown: receiver.framesDecoded(p.sessionId, StreamKind.VIDEO),
        frameSize: receiver.frameSize(p.sessionId, StreamKind.VIDEO) })));
  };
  document.getElementById('stats-button').onclick = () => {
    const show = !statsTimer;
    call.setStatsVisible(show);
    if (show) {
      drawStats();
      statsTimer = setInterval(drawStats, 500);
    } else {
      clearInterval(statsTimer);
      statsTimer = 0;
    }
  };
  const toggle = (key, id, on, off) => () => {
    own[key] = !own[key];
    call.setToggle(id, own[key], own[key] ? on : off);
    for (const track of localStream?.getTracks() ?? []) {
      if (key === 'audioMuted' && track.kind === 'audio') {
        track.enabled = !own.audioMuted;
      }
      if (key === 'videoOff' && track.kind === 'video') {
        track.enabled = !own.videoOff;
      }
    }
    audio.setMuted(own.audioMuted);
    sender.setEnabled(!own.videoOff);
    session.setMediaState(flagsOf(own));
    redraw();
  };
  document.getElementById('mic-button').onclick =
    toggle('audioMuted', 'mic-button', 'Unmute', 'Mute');
  document.getElementById('camera-button').onclick =
    toggle('videoOff', 'camera-button', 'Start video', 'Stop video');
  document.getElementById('hand-button').onclick =
    toggle('handRaised', 'hand-button', 'Lower hand', 'Raise hand');
  document.getElementById('leave-button').onclick = () => session.leave();
  // The switch changes only what this page sends; the badge and the
  // tiles show everyone's.
  document.getElementById('e2ee-switch').onchange = (e) => {
    own.e2eeOff = !e.target.checked;
    session.setMediaState(flagsOf(own));
    redraw();
  };
  // Closing the tab says goodbye at once, so the others do not wait out
  // the server's liveness timeout and resume grace (15 s) to see it.
  window.addEventListener('pagehide', () => session.leave({ beacon: true }),
    { once: true });
  const stopSharing = () => {
    if (!own.screenSharing) return;
    screenSender?.stop();
    for (const t of screenStream?.getTracks() ?? []) t.stop();
    screenSender = null;
    screenStream = null;
    own.screenSharing = false;
    call.setToggle('screen-button', false, 'Share screen');
    session.setMediaState(flagsOf(own));
    redraw();
  };
  document.getElementById('screen-button').onclick = async () => {
    if (own.screenSharing) {
      stopSharing();
      return;
    }
    try {
      screenStream = await navigator.mediaDevices.getDisplayMedia(
        { video: { frameRate: 15 } });
    } catch (e) {
      if (e.name !== 'NotAllowedError') {
        ui.showError(`Your screen could not be shared: ${e.message}`);
      }
      return; // a cancelled picker is not an error
    }
    const track = screenStream.getVideoTracks()[0];
    track.onended = stopSharing; // the browser's own "Stop sharing"
    screenSender = new VideoSender((chunk) =>
      session.sendVideo(chunk, StreamKind.SCREEN));
    screenSender.start(track).catch((e) =>
      ui.showError(`Your screen could not be sent: ${e.message}`));
    own.screenSharing = true;
    call.setToggle('screen-button', true, 'Stop sharing');
    session.setMediaState(flagsOf(own));
    redraw();
  };
  document.getElementById('invite-button').onclick = async () => {
    const url = `${location.origin}/meeting/your-name/${link.meetingId}`;
    try {
      await navigator.clipboard.writeText(url);
      ui.showNote(`Invite link copied: ${url}`);
    } catch {
      ui.showNote(`Share this link: ${url}`);
    }
  };
  document.getElementById('chat-form').onsubmit = (e) => {
    e.preventDefault();
    const input = document.getElementById('chat-input');
    const text = input.value.trim();
    if (!text) return;
    session.sendChat(text);
    input.value = '';
  };
}

async function main() {
  const link = parseMeetingPath(location.pathname);
  if (!link) {
    ui.showError(`This meeting link is not valid. Names and meeting ids ` +
      `use ${NAME_RULE}.`);
    return;
  }
  ui.showIdentity(link);
  if (passphraseFromFragment()) ui.showPassphraseNote();
  const unsupported = unsupportedReason();
  if (unsupported) {
    ui.showError(unsupported);
    return;
  }
  previewDone = startPreview();
  const engine = await startEngine();
  if (!engine) return;
  ui.enableJoin(link.user, (displayName) => joinCall(engine, link,
    displayName));
}

main();
