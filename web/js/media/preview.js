// media/preview.js: opens the camera and microphone for the pre-join
// preview and says in a sentence why when it cannot.

const CONSTRAINTS = {
  video: { width: { ideal: 1280 }, height: { ideal: 720 } },
  audio: { echoCancellation: true, noiseSuppression: true },
};

const REASONS = {
  NotAllowedError: 'Camera and microphone access was blocked. Allow it ' +
    'in the address bar, then reload the page.',
  NotFoundError: 'No camera or microphone was found. Connect one and ' +
    'reload the page.',
  NotReadableError: 'The camera or microphone is in use by another ' +
    'program. Close it and reload the page.',
  OverconstrainedError: 'The camera cannot deliver a usable picture.',
};

// Resolves to a MediaStream from the chosen devices (ids from
// listDevices; empty: the browser's default); rejects with an Error whose
// message is a sentence for the person in front of the screen.
export async function openPreview({ cameraId = '', micId = '' } = {}) {
  const pick = (base, id) => (id ? { ...base, deviceId: { exact: id } }
    : base);
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: pick(CONSTRAINTS.video, cameraId),
      audio: pick(CONSTRAINTS.audio, micId),
    });
  } catch (e) {
    throw new Error(REASONS[e.name] ??
      `The camera and microphone could not be opened (${e.message}).`);
  }
}

export function trackLabels(stream) {
  const label = (t) => t?.label || 'unnamed device';
  return {
    camera: label(stream.getVideoTracks()[0]),
    microphone: label(stream.getAudioTracks()[0]),
  };
}

// The cameras and microphones there are: {cameras, mics}, each a list of
// {id, label}. Labels are only known once access was granted.
export async function listDevices() {
  const all = await navigator.mediaDevices.enumerateDevices();
  const of = (kind) => all.filter((d) => d.kind === kind && d.deviceId)
    .map((d, i) => ({ id: d.deviceId,
      label: d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${
        i + 1}` }));
  return { cameras: of('videoinput'), mics: of('audioinput') };
}
