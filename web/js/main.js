// main.js: wires the meeting page's modules together and does nothing
// else. Order: check the browser, read the link, then start the engine and
// the camera preview side by side.

import { unsupportedReason } from './support.js';
import { parseMeetingPath, NAME_RULE } from './meeting-link.js';
import { loadCore, checkEnvelopeRoundTrip } from './core.js';
import { openPreview, trackLabels } from './media/preview.js';
import * as ui from './ui/prejoin.js';

async function startEngine() {
  try {
    const core = await loadCore();
    const check = checkEnvelopeRoundTrip(core);
    ui.showCoreReady(core.version(), check);
  } catch (e) {
    ui.showCoreFailed();
    ui.showError(e.message);
  }
}

async function startPreview() {
  try {
    const stream = await openPreview();
    ui.showPreview(stream, trackLabels(stream));
  } catch (e) {
    ui.showPreviewFailed(e.message);
  }
}

function main() {
  const link = parseMeetingPath(location.pathname);
  if (!link) {
    ui.showError(`This meeting link is not valid. Names and meeting ids ` +
      `use ${NAME_RULE}.`);
    return;
  }
  ui.showIdentity(link);
  const unsupported = unsupportedReason();
  if (unsupported) {
    ui.showError(unsupported);
    return;
  }
  startEngine();
  startPreview();
}

main();
