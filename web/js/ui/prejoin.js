// ui/prejoin.js: the pre-join screen: who and where, the camera preview,
// the state of the meeting engine and any error, as sentences.

const $ = (id) => document.getElementById(id);

export function showIdentity({ user, meetingId }) {
  $('user-name').textContent = user;
  $('meeting-id').textContent = meetingId;
  $('meeting-id-inline').textContent = meetingId;
  document.title = `${meetingId} · vc`;
}

export function showCoreReady(version, check) {
  $('core-version').textContent = version;
  const status = $('core-status');
  status.textContent = `ready (envelope round trip ok, ${
    check.envelopeBytes} bytes)`;
  status.dataset.state = 'ok';
}

export function showCoreFailed() {
  const status = $('core-status');
  status.textContent = 'failed to load';
  status.dataset.state = 'error';
}

export function showPreview(stream, labels) {
  const video = $('camera-preview');
  video.srcObject = stream;
  $('camera-status').classList.add('hidden');
  $('device-summary').textContent =
    `Camera: ${labels.camera} · Microphone: ${labels.microphone}`;
}

export function showPreviewFailed(message) {
  $('camera-status').textContent = message;
}

// Shows one sentence at the top of the page. Several errors stack.
export function showError(message) {
  const box = $('app-error');
  const line = document.createElement('p');
  line.textContent = message;
  box.append(line);
  box.classList.remove('hidden');
}

// Enables Join once the engine is ready; |onJoin| gets the display name.
export function enableJoin(defaultName, onJoin) {
  const input = $('display-name');
  const button = $('join-button');
  input.value ||= defaultName;
  const update = () => {
    button.disabled = input.value.trim().length === 0;
  };
  input.oninput = update;
  update();
  button.onclick = () => onJoin(input.value.trim());
}

// A passing remark (not an error): replaces the previous one.
// The pre-join switch: end-to-end encryption on (the default) or off.
export function e2eeChosen() {
  return $('e2ee-toggle').checked;
}

export function showNote(message) {
  let note = document.getElementById('app-note');
  if (!note) {
    note = document.createElement('p');
    note.id = 'app-note';
    note.setAttribute('role', 'status');
    note.className = 'mx-6 mt-2 text-sm text-slate-400';
    $('app-error').after(note);
  }
  note.textContent = message;
}

export function showPassphraseNote() {
  $('join-note').textContent = 'This meeting is protected by a ' +
    'passphrase from your link. It stays in your browser; only people ' +
    'with the same passphrase can read the chat.';
}

// The camera and microphone pickers (one pair, shown on the pre-join
// screen and moved into the call's side panel): fills them and reports a
// choice as {cameraId, micId}.
export function showDevices({ cameras, mics }, current, onChange) {
  const fill = (select, list, selected) => {
    select.replaceChildren(...list.map((d) => {
      const o = document.createElement('option');
      o.value = d.id;
      o.textContent = d.label;
      o.selected = d.id === selected;
      return o;
    }));
    select.disabled = list.length < 2;
  };
  fill($('camera-select'), cameras, current.cameraId);
  fill($('mic-select'), mics, current.micId);
  $('devices').classList.remove('hidden');
  $('devices').classList.add('grid');
  const report = () => onChange({ cameraId: $('camera-select').value,
    micId: $('mic-select').value });
  $('camera-select').onchange = report;
  $('mic-select').onchange = report;
}

export function moveDevicesInto(id) {
  $(id).append($('devices'));
}
