// transport/choose.js: picks the transport for each connection attempt.
// WebTransport when the browser has it and the server publishes it;
// WebSocket when either is missing, when the page asks for it
// (?transport=websocket), or once WebTransport failed to open on this
// page (a network that blocks UDP would otherwise cost every reconnect
// the wait). The UI shows which one is in use (transport.name).

import { WebSocketTransport, webSocketUrl } from './websocket.js';
import { WebTransportTransport, webTransportUrl } from './webtransport.js';

// How long WebTransport may take to open before WebSocket is tried.
const OPEN_TIMEOUT_MS = 4000;

let webTransportFailed = false;

async function fetchInfo() {
  try {
    const r = await fetch('/webtransport.json', { cache: 'no-store' });
    if (!r.ok) return null;
    const info = await r.json();
    if (!Number.isInteger(info.port) || !Array.isArray(info.hashes)) {
      return null;
    }
    return info;
  } catch {
    return null;
  }
}

function wanted(loc) {
  return new URLSearchParams(loc.search).get('transport') ?? '';
}

// Same shape as the transports it wraps: send, sendMedia, close, name,
// mediaSent, mediaDropped; handlers as theirs, open called once.
export class AutoTransport {
  #inner = null;
  #closed = false;
  #page;

  // page: the page's location (or a URL of it): its origin is the
  // server's, its ?transport= the choice forced, if any. In a Worker,
  // |location| is the worker script's, so the page passes its own.
  constructor(page, handlers) {
    this.#page = page;
    this.#start(handlers);
  }

  get name() {
    return this.#inner?.name ?? '';
  }

  get mediaSent() {
    return this.#inner?.mediaSent ?? 0;
  }

  get mediaDropped() {
    return this.#inner?.mediaDropped ?? 0;
  }

  async #start(handlers) {
    const want = wanted(this.#page);
    if (want !== 'websocket' && typeof WebTransport === 'function' &&
        (!webTransportFailed || want === 'webtransport')) {
      const info = await fetchInfo();
      if (this.#closed) return;
      if (info && await this.#tryWebTransport(info, handlers)) return;
      if (this.#closed) return;
      if (want === 'webtransport') {
        handlers.close('WebTransport did not open');
        return;
      }
    }
    this.#inner = new WebSocketTransport(webSocketUrl(this.#page), handlers);
  }

  // Resolves true once a session is open (handlers now belong to it), or
  // false when it failed or took too long (nothing was reported).
  #tryWebTransport(info, handlers) {
    return new Promise((resolve) => {
      let opened = false;
      let settled = false;
      // failed: WebTransport did not work here (not: we gave up on it)
      const settle = (ok, failed = !ok) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failed) webTransportFailed = true;
        if (!ok) t.close();
        resolve(ok);
      };
      const t = new WebTransportTransport(webTransportUrl(info, this.#page),
        info.hashes, {
        open: () => {
          if (this.#closed) settle(false, false);
          if (settled) return;
          opened = true;
          this.#inner = t;
          settle(true);
          handlers.open();
        },
        message: (bytes) => {
          if (opened) handlers.message(bytes);
        },
        datagram: (bytes) => {
          if (opened) handlers.datagram(bytes);
        },
        close: (reason) => {
          if (opened) {
            handlers.close(reason);
          } else {
            console.warn(`WebTransport: ${reason}; using WebSocket`);
            settle(false);
          }
        },
      });
      const timer = setTimeout(() => settle(false), OPEN_TIMEOUT_MS);
    });
  }

  send(bytes) {
    return this.#inner?.send(bytes) ?? false;
  }

  sendMedia(bytes, datagram = false) {
    return this.#inner?.sendMedia(bytes, datagram) ?? false;
  }

  close() {
    this.#closed = true;
    this.#inner?.close();
  }
}
