// support.js: which browser APIs a call needs, and a sentence for a person
// whose browser lacks one (Firefox and older Safari lack WebCodecs or
// MediaStreamTrackProcessor). WebTransport is not required: the client
// falls back to WebSocket without it.

const REQUIRED = [
  ['WebAssembly', () => typeof WebAssembly === 'object',
    'it cannot run WebAssembly'],
  ['WebCodecs', () => typeof VideoEncoder === 'function' &&
      typeof VideoDecoder === 'function',
    'it has no WebCodecs video encoder and decoder'],
  ['MediaStreamTrackProcessor',
    () => typeof MediaStreamTrackProcessor === 'function',
    'it cannot read camera frames (MediaStreamTrackProcessor)'],
  ['AudioWorklet', () => typeof AudioWorkletNode === 'function',
    'it cannot process sound off the page\'s main thread (AudioWorklet)'],
  ['getUserMedia', () => !!navigator.mediaDevices?.getUserMedia,
    'it cannot open a camera or microphone on this page'],
];

// Returns null when everything needed is present, else one sentence.
export function unsupportedReason() {
  const missing = REQUIRED.filter(([, present]) => !present())
    .map(([, , why]) => why);
  if (missing.length === 0) return null;
  return `This browser can't join video calls: ${missing.join('; ')}. ` +
    'Please open this link in a current version of Chrome or Edge.';
}

export function hasWebTransport() {
  return typeof WebTransport === 'function';
}
