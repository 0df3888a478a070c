// video/encoder-worker.js: the encoders of one VideoSender, off the main
// thread. The page reads the camera with MediaStreamTrackProcessor (on
// the main thread, where Chromium exposes it) and transfers each
// VideoFrame here; the encoders' chunks go back as EncodedVideoChunks,
// which the page copies straight into the core (a chunk crosses threads
// by reference, not by copy). Messages in and out are listed below; the
// page caps the frames in flight (video-send.js).
//
// In:  {frame}              a VideoFrame (transferred): encode, close
//      {layers}             the simulcast layers to encode (bitmask)
//      {limit}              the server's congestion limit, kbps
//      {keyframe, layer}    a keyframe of that layer (null: all)
//      {enabled}            camera on or off
//      {cpu}                {scalePct, maxFps}: the CPU level to apply
//      {stop: true}         close the encoders
// Out: {chunk, layer}       an EncodedVideoChunk
//      {encodedMs}          a frame's encode time, -1: dropped (behind)
//      {state, handledFrame}  {kbps, layers, limits} after each message;
//                           handledFrame: it was a frame (one less waits)
import { LayeredEncoder } from './layered-encoder.js';

let encoder = null;

function report(handledFrame) {
  postMessage({ handledFrame, state: { kbps: encoder.bitrateKbps,
    layers: encoder.layers, limits: encoder.limits } });
}

onmessage = ({ data }) => {
  let handledFrame = false;
  if (data.init) {
    encoder = new LayeredEncoder((chunk, layer) => postMessage({ chunk, layer }),
      { simulcast: data.init.simulcast,
        onEncoded: (ms) => postMessage({ encodedMs: ms }) });
  } else if (data.frame) {
    handledFrame = true;
    try {
      encoder.encode(data.frame);
    } finally {
      data.frame.close();
    }
  } else if ('layers' in data) {
    encoder.setLayers(data.layers);
  } else if ('limit' in data) {
    encoder.limitBitrate(data.limit);
  } else if (data.keyframe) {
    encoder.requestKeyframe(data.layer ?? null);
  } else if ('enabled' in data) {
    encoder.setEnabled(data.enabled);
  } else if (data.cpu) {
    encoder.setCpuLevel(data.cpu);
  } else if (data.stop) {
    encoder.stop();
    close();
    return;
  }
  report(handledFrame);
};
