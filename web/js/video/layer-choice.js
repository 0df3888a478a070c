// video/layer-choice.js: which simulcast layer of each camera to ask the
// server for, from the size its tile has on screen: no more pixels than
// the tile shows. A sender's layers are a quarter, a half and the whole
// of its camera (video-send.js); a camera is about 480 to 720 pixels
// tall, so a tile under 200 device pixels tall gets the quarter, one
// under 400 the half, and a larger one the whole (docs/VIDEO.md
// "Simulcast"). Tiles are watched with a ResizeObserver, so a window
// resized, a pin or a grid of more people changes the choice.

const LAYER_UNDER = [200, 400]; // device pixels of tile height

export function layerForHeight(devicePixels) {
  const i = LAYER_UNDER.findIndex((h) => devicePixels < h);
  return i < 0 ? LAYER_UNDER.length : i;
}

export class LayerChooser {
  #want;
  #chosen = new Map(); // session id -> layer asked for
  #observer;

  // want(sessionId, layer): ask for this layer of their camera.
  constructor(want) {
    this.#want = want;
    this.#observer = new ResizeObserver((entries) => {
      for (const e of entries) this.#choose(e.target);
    });
  }

  // The remote camera tiles on the page now (elements with
  // data-session); each is measured once now and again when it resizes.
  watch(tiles) {
    this.#observer.disconnect();
    const present = new Set();
    for (const t of tiles) {
      present.add(Number(t.dataset.session));
      this.#observer.observe(t);
    }
    for (const id of this.#chosen.keys()) {
      if (!present.has(id)) this.#chosen.delete(id);
    }
  }

  #choose(tile) {
    if (!tile.isConnected) return;
    const id = Number(tile.dataset.session);
    const height = tile.getBoundingClientRect().height * devicePixelRatio;
    const layer = layerForHeight(height);
    tile.dataset.layerWanted = String(layer); // for tests and curious eyes
    if (this.#chosen.get(id) === layer) return;
    this.#chosen.set(id, layer);
    this.#want(id, layer);
  }

  stop() {
    this.#observer.disconnect();
  }
}
