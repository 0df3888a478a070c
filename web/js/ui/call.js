// ui/call.js: the in-call screen: tiles, the people list, chat, the
// control bar's state and the banners. DOM only: names go in as text,
// never as HTML.

const $ = (id) => document.getElementById(id);

const AVATAR_COLOURS = ['bg-sky-700', 'bg-emerald-700', 'bg-violet-700',
  'bg-amber-700', 'bg-rose-700', 'bg-teal-700', 'bg-indigo-700'];

function initials(name) {
  const parts = name.trim().split(/\s+/u).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]]
    : [parts[0] ?? '?'];
  return letters.map((p) => [...p][0]?.toUpperCase() ?? '').join('');
}

// One <video> for one's own camera, kept across redraws so the picture
// does not blink each time someone joins or mutes.
let selfVideo = null;

function ownVideo(stream) {
  if (!selfVideo) {
    selfVideo = el('video', 'absolute inset-0 h-full w-full -scale-x-100 ' +
      'object-cover');
    selfVideo.autoplay = true;
    selfVideo.muted = true;
    selfVideo.playsInline = true;
  }
  if (selfVideo.srcObject !== stream) selfVideo.srcObject = stream;
  return selfVideo;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function showCall() {
  $('prejoin').classList.add('hidden');
  $('call').classList.remove('hidden');
  $('call').classList.add('flex');
}

// state: 'connecting' | 'connected' | 'reconnecting'
export function showConnection(state, transport) {
  const banner = $('connection-banner');
  banner.classList.toggle('hidden', state !== 'reconnecting');
  banner.textContent = 'Connection lost. Reconnecting… you are still in ' +
    'the meeting for the others.';
  const detail = $('connection-detail');
  detail.dataset.state = state;
  detail.textContent = state === 'connected' ? `Connected over ${transport}`
    : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
}

const QUALITY = {
  good: ['bg-emerald-400', 'bg-emerald-400', 'bg-emerald-400',
    'Connection good'],
  fair: ['bg-amber-400', 'bg-amber-400', 'bg-slate-600',
    'Connection fair: some sound or picture is being lost'],
  poor: ['bg-rose-500', 'bg-slate-600', 'bg-slate-600',
    'Connection poor: little of their sound or picture arrives'],
};

// Three bars, coloured by how well this person's media arrives.
function qualityBadge(level) {
  const [a, b, c, title] = QUALITY[level];
  const badge = el('span', 'flex items-end gap-0.5');
  badge.dataset.testid = 'quality';
  badge.dataset.quality = level;
  badge.title = title;
  badge.setAttribute('role', 'img');
  badge.setAttribute('aria-label', title);
  badge.append(el('span', `h-1.5 w-1 rounded-sm ${a}`),
    el('span', `h-2.5 w-1 rounded-sm ${b}`),
    el('span', `h-3.5 w-1 rounded-sm ${c}`));
  return badge;
}

// A pinned tile takes a whole row, as tall as most of the window; the
// others keep the grid below it.
const TILE_CLASS = 'group relative flex aspect-video items-center ' +
  'justify-center overflow-hidden rounded-2xl bg-slate-900 ring-1 ' +
  'ring-slate-800';
const PINNED_TILE_CLASS = 'group relative col-span-full flex h-[65vh] ' +
  'items-center justify-center overflow-hidden rounded-2xl bg-slate-900 ' +
  'ring-1 ring-slate-800';

function pinButton(p, pinned, onPin) {
  const b = el('button', 'absolute right-2 top-2 rounded-md ' +
    'bg-slate-950/70 px-2 py-1 text-xs font-medium text-slate-100 ' +
    'opacity-0 transition group-hover:opacity-100 focus:opacity-100 ' +
    'aria-pressed:opacity-100', pinned ? 'Unpin' : 'Pin');
  b.type = 'button';
  b.dataset.testid = 'pin';
  b.setAttribute('aria-pressed', String(pinned));
  b.setAttribute('aria-label', pinned ? `Unpin ${p.displayName}` :
    `Pin ${p.displayName}`);
  b.addEventListener('click', () => onPin(pinned ? null : p.sessionId));
  return b;
}

function tile(p, { isSelf, isSpeaker, localStream, remoteVideo, quality,
  pinned = false, onPin = null }) {
  const t = el('div', pinned ? PINNED_TILE_CLASS : TILE_CLASS);
  t.dataset.testid = 'tile';
  t.dataset.user = p.user ?? 'self';
  t.dataset.session = String(p.sessionId);
  t.dataset.pinned = String(pinned);
  if (isSpeaker) {
    t.classList.remove('ring-1', 'ring-slate-800');
    t.classList.add('ring-2', 'ring-emerald-400');
  }
  if (isSelf && localStream && !p.videoOff) {
    t.append(ownVideo(localStream));
  } else if (!isSelf && !p.videoOff && remoteVideo) {
    t.append(remoteVideo);
  } else {
    const colour = AVATAR_COLOURS[p.sessionId % AVATAR_COLOURS.length];
    t.append(el('div', `flex h-20 w-20 items-center justify-center ` +
      `rounded-full text-2xl font-semibold text-white ${colour}`,
    initials(p.displayName)));
  }
  const label = el('div', 'absolute bottom-2 left-2 flex items-center ' +
    'gap-1.5 rounded-md bg-slate-950/70 px-2 py-1 text-sm');
  if (quality) label.append(qualityBadge(quality));
  label.append(el('span', 'font-medium',
    isSelf ? `${p.displayName} (you)` : p.displayName));
  if (p.isHost) {
    label.append(el('span', 'rounded bg-sky-800 px-1 text-xs', 'host'));
  }
  if (p.audioMuted) {
    const m = el('span', 'rounded bg-rose-800 px-1 text-xs', 'muted');
    m.dataset.testid = 'muted';
    label.append(m);
  }
  if (p.handRaised) {
    const h = el('span', 'rounded bg-amber-600 px-1 text-xs', 'hand raised');
    h.dataset.testid = 'hand';
    label.append(h);
  }
  if (p.e2eeOff) {
    const u = el('span', 'rounded bg-amber-800 px-1 text-xs', 'not encrypted');
    u.dataset.testid = 'unencrypted';
    u.title = isSelf ? 'You switched end-to-end encryption off: the server ' +
      'can read what you send' : `${p.displayName} switched end-to-end ` +
      'encryption off: the server can read what they send';
    label.append(u);
  }
  t.append(label);
  if (onPin) t.append(pinButton(p, pinned, onPin));
  return t;
}

let ownScreenVideo = null;

function ownScreen(stream) {
  if (!ownScreenVideo) {
    ownScreenVideo = el('video', 'absolute inset-0 h-full w-full ' +
      'object-contain');
    ownScreenVideo.autoplay = true;
    ownScreenVideo.muted = true;
    ownScreenVideo.playsInline = true;
  }
  if (ownScreenVideo.srcObject !== stream) ownScreenVideo.srcObject = stream;
  return ownScreenVideo;
}

// A shared screen: its picture, or a note until the first frame arrives.
function screenTile(label, user, picture) {
  // A whole row of its own, as tall as half the window: a grid row sized
  // by aspect-ratio would let the camera tiles below overlap it.
  const t = el('div', 'relative col-span-full flex h-[50vh] items-center ' +
    'justify-center overflow-hidden rounded-2xl bg-slate-950 ring-2 ' +
    'ring-sky-700');
  t.dataset.testid = 'screen-tile';
  t.dataset.user = user;
  t.append(picture ?? el('p', 'text-sm text-slate-400', 'Screen coming…'));
  t.append(el('div', 'absolute bottom-2 left-2 rounded-md bg-slate-950/70 ' +
    'px-2 py-1 text-sm font-medium', label));
  return t;
}

// view: {self, others, speaker} from MeetingSession.view(); own: the
// local media state {audioMuted, videoOff, handRaised}; videoOf(id): the
// canvas showing that person's video, or null (their avatar shows).
// pin: {id, set(id)}: the pinned person's session id (null: none) and how
// to change it.
export function showRoster(view, own, localStream, videoOf = () => null,
  host = null, screens = { of: () => null, own: null },
  qualityOf = () => null, pin = { id: null, set: () => {} }) {
  const me = { ...view.self, ...own };
  const tiles = [];
  // Shared screens first: they are what people look at.
  if (own.screenSharing && screens.own) {
    tiles.push(screenTile('You are sharing your screen', 'self',
      ownScreen(screens.own)));
  }
  for (const p of view.others) {
    if (p.screenSharing) {
      tiles.push(screenTile(`${p.displayName}'s screen`, p.user,
        screens.of(p.sessionId)));
    }
  }
  // The pinned person (anyone but oneself) comes first, large.
  const pinned = view.others.find((p) => p.sessionId === pin.id);
  if (pinned) {
    tiles.push(tile(pinned, { isSpeaker: pinned.sessionId === view.speaker,
      remoteVideo: videoOf(pinned.sessionId),
      quality: qualityOf(pinned.sessionId), pinned: true, onPin: pin.set }));
  }
  tiles.push(tile(me, { isSelf: true, localStream }));
  for (const p of view.others) {
    if (p === pinned) continue;
    tiles.push(tile(p, { isSpeaker: p.sessionId === view.speaker,
      remoteVideo: videoOf(p.sessionId), quality: qualityOf(p.sessionId),
      onPin: pin.set }));
  }
  const grid = $('tiles');
  grid.replaceChildren(...tiles);
  // Columns by head count, so two people get two large tiles.
  const n = tiles.length;
  const cols = n <= 1 ? 'grid-cols-1 max-w-4xl'
    : n <= 4 ? 'grid-cols-1 sm:grid-cols-2 max-w-6xl'
      : n <= 9 ? 'grid-cols-2 lg:grid-cols-3 max-w-7xl'
        : 'grid-cols-3 lg:grid-cols-4 xl:grid-cols-5';
  grid.className = `mx-auto grid w-full flex-1 content-center gap-3 ` +
    `overflow-y-auto p-4 ${cols}`;

  const people = [me, ...view.others].map((p) => {
    const li = el('li', 'flex items-center justify-between gap-2');
    li.dataset.testid = 'person';
    li.append(el('span', 'truncate text-slate-200',
      p === me ? `${p.displayName} (you)` : p.displayName));
    const marks = [p.isHost && 'host', p.audioMuted && 'muted',
      p.videoOff && 'camera off', p.screenSharing && 'sharing screen',
      p.handRaised && 'hand raised', p.e2eeOff && 'not encrypted']
      .filter(Boolean).join(' · ');
    li.append(el('span', 'shrink-0 text-xs text-slate-500', marks));
    // The host can ask anyone to mute or remove them.
    if (host && view.self.isHost && p !== me) {
      const actions = el('span', 'flex shrink-0 gap-1');
      const button = (label, testid, onclick) => {
        const b = el('button', 'rounded bg-slate-800 px-1.5 py-0.5 text-xs ' +
          'text-slate-200 hover:bg-slate-700', label);
        b.dataset.testid = testid;
        b.onclick = onclick;
        actions.append(b);
      };
      if (!p.audioMuted) {
        button('Ask to mute', 'ask-mute', () => host.askToMute(p.sessionId));
      }
      button('Remove', 'remove', () => host.remove(p.sessionId));
      li.append(actions);
    }
    return li;
  });
  $('people').replaceChildren(...people);
  $('people-count').textContent = `(${people.length})`;
  showEncryption(me, view.others);
}

// The lock badge speaks for the whole meeting: green only while everyone
// seals what they send, so a switch turned off anywhere (or a server
// claiming so) is seen by all.
function showEncryption(me, others) {
  const open = [me, ...others].filter((p) => p.e2eeOff);
  const badge = $('e2ee-badge');
  badge.dataset.encrypted = String(open.length === 0);
  $('e2ee-badge-text').textContent = open.length === 0
    ? 'end-to-end encrypted' : 'not end-to-end encrypted';
  badge.title = open.length === 0
    ? 'Sound, video and messages are sealed in each browser with keys the ' +
      'server never sees'
    : 'The server can read what these people send: ' + open.map(
      (p) => (p === me ? 'you' : p.displayName)).join(', ');
  $('e2ee-switch').checked = !me.e2eeOff;
}

// The tiles of others' cameras now on the page (with data-session).
export function remoteTiles() {
  return [...$('tiles').querySelectorAll(
    '[data-testid="tile"]:not([data-user="self"])')];
}

// '' while someone's identity key is still on its way.
export function showSafetyCode(code) {
  $('safety-code').textContent = code || 'waiting for everyone\'s keys…';
}

// encrypted: false for a message sent in the clear (its sender had
// end-to-end encryption switched off): marked, so nobody mistakes it.
export function addChat({ from, text, own, encrypted = true }) {
  const li = el('li', own ? 'text-right' : '');
  li.dataset.testid = 'chat-message';
  li.dataset.encrypted = String(encrypted);
  li.append(el('div', 'text-xs text-slate-500',
    encrypted ? from : `${from} · not encrypted`));
  li.append(el('div', 'inline-block max-w-full break-words rounded-lg ' +
    `px-3 py-1.5 ${own ? 'bg-sky-800' : 'bg-slate-800'}`, text));
  const log = $('chat-log');
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

export function showEnded(text) {
  const b = $('ended-banner');
  b.textContent = text ? `The meeting ended for you: ${text}.` :
    'You left the meeting.';
  b.classList.remove('hidden');
  for (const id of ['mic-button', 'camera-button', 'hand-button',
    'leave-button', 'chat-input', 'stats-button', 'screen-button',
    'e2ee-switch']) {
    $(id).disabled = true;
  }
}

export function setToggle(id, pressed, label) {
  const b = $(id);
  b.setAttribute('aria-pressed', String(pressed));
  b.textContent = label;
}

// The stats overlay: one line per person heard, from the core's jitter
// buffer (rows: {sessionId, name, stats}); stats null before any audio.
export function showStats(transport, media, health, rows) {
  const out = $('stats-transport');
  const { cpu } = media; // the camera's CPU adaptation, or null
  out.dataset.peak = health.peak.toFixed(3);
  // What the loudspeaker played, and of it what was silence for want of
  // sound (a late engine).
  out.dataset.playedSamples = String(health.played);
  out.dataset.silentSamples = String(health.silent);
  out.dataset.playoutAheadMs = String(media.playoutAheadMs ?? 0);
  out.dataset.captureLate = String(media.captureLate ?? 0);
  out.textContent = `Transport: ${transport || 'none'} · output peak ` +
    `${health.peak > 0 ? (20 * Math.log10(health.peak)).toFixed(0) : '−∞'} ` +
    `dBFS · playout underruns ${health.underruns} (${health.silent} ` +
    `samples), dropped ${health.dropped}, ${media.playoutAheadMs ?? 0} ms ` +
    `ahead, ${media.captureLate ?? 0} microphone frames too late to send` +
    ` · media frames sent ${media.sent}, dropped ${media.dropped}, ` +
    `datagrams received ${media.datagramsIn}, ${media.undecryptable} ` +
    'frames that did not decrypt' +
    ` · JS copies per byte sent ${media.copiesOut.toFixed(2)}, received ` +
    `${media.copiesIn.toFixed(2)} · camera at ${media.sendKbps} kbps ` +
    `(${media.limits} congestion signals), simulcast layers ` +
    `${media.sendLayers.length ? media.sendLayers.join(', ') : 'none'}, ` +
    `${media.sendSkipped} camera frames skipped (encoder busy)` +
    (cpu ? ` · encoding uses ${cpu.usagePct} % of the frame time, the ` +
      `engine runs ${cpu.lagPct} % late, ` +
      (cpu.level > 0 ? `camera stepped down to ${cpu.scalePct} % size at ` +
        `${cpu.maxFps} fps (machine overloaded)` : 'camera at full size')
      : '');
  out.dataset.sendKbps = String(media.sendKbps);
  out.dataset.sendLayers = media.sendLayers.join(',');
  out.dataset.limits = String(media.limits);
  out.dataset.mediaDropped = String(media.dropped);
  out.dataset.datagramsIn = String(media.datagramsIn);
  out.dataset.undecryptable = String(media.undecryptable);
  out.dataset.copiesOut = media.copiesOut.toFixed(3);
  out.dataset.copiesIn = media.copiesIn.toFixed(3);
  out.dataset.cpuLevel = String(cpu?.level ?? 0);
  out.dataset.cpuUsage = String(cpu?.usagePct ?? 0);
  out.dataset.cpuLag = String(cpu?.lagPct ?? 0);
  out.dataset.cpuSteps = String((cpu?.down ?? 0) + (cpu?.up ?? 0));
  $('stats-list').replaceChildren(...rows.map(({ sessionId, name, stats,
    video, framesShown, frameSize }) => {
    const li = el('li', 'truncate');
    li.dataset.testid = 'stats-row';
    li.dataset.session = String(sessionId);
    li.dataset.framesDecoded = String(framesShown ?? 0);
    if (video) li.dataset.videoLayer = String(video.layer);
    if (frameSize) li.dataset.frameWidth = String(frameSize.width);
    const videoText = video ? ` · video layer ${video.layer}` +
      `${frameSize ? ` (${frameSize.width}×${frameSize.height})` : ''}, ` +
      `${video.decoded} frames to the ` +
      `decoder, ${framesShown} shown, ${video.dropped} dropped, ` +
      `${video.freezes} freezes, ${video.keyframeRequests} keyframe ` +
      `requests, buffer ${video.delayMs.toFixed(0)} ms` : ' · no video';
    if (!stats) {
      li.textContent = `${name}: no audio yet${videoText}`;
      return li;
    }
    li.dataset.packets = String(stats.packets);
    li.dataset.level = String(stats.level);
    li.dataset.concealed = stats.concealedPct.toFixed(2);
    // Counts, so that a share over any stretch of the call can be taken.
    li.dataset.samples = String(stats.samples);
    li.dataset.concealedSamples = String(stats.concealed);
    li.dataset.jitterDelay = stats.delayMs.toFixed(1);
    li.dataset.jitterTarget = String(stats.targetMs);
    li.dataset.stretchedSamples = String(stats.stretched);
    li.textContent = `${name}: audio ${stats.packets} packets, ` +
      `jitter buffer ${stats.delayMs.toFixed(0)} ms ` +
      `(target ${stats.targetMs} ms), concealed ` +
      `${stats.concealedPct.toFixed(1)} %, level −${stats.level} dBov` +
      videoText;
    return li;
  }));
}

export function setStatsVisible(visible) {
  $('stats-panel').classList.toggle('hidden', !visible);
  setToggle('stats-button', visible, visible ? 'Hide stats' : 'Stats');
}
