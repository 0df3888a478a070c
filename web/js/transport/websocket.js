// transport/websocket.js: the meeting's stream over WebSocket (GET /ws on
// the page's own origin). Bytes only: each message carries framed
// envelopes that core.js hands to the C core; nothing here parses them.

// More than this waiting in the browser's send buffer means the path is
// stalled: give the connection up and let the core resume on a new one.
const MAX_BUFFERED = 4 * 1024 * 1024;
// Media is dropped instead once this much waits: queued audio is late
// audio. bufferedAmount is only updated when the page's main thread gets
// round to it, so under load it reads high long after the bytes left:
// the cap allows for that (about a second of video at 2 Mbps, a single
// keyframe is up to 60 KB).
const MAX_BUFFERED_MEDIA = 256 * 1024;

export function webSocketUrl(loc = location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

export class WebSocketTransport {
  #ws;
  #closed = false;
  mediaSent = 0;
  mediaDropped = 0;

  // handlers: {open(), message(Uint8Array), close(reason)}; close is
  // called once, whoever closed.
  constructor(url, handlers) {
    this.name = 'WebSocket';
    this.#ws = new WebSocket(url);
    this.#ws.binaryType = 'arraybuffer';
    this.#ws.onopen = () => handlers.open();
    this.#ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        handlers.message(new Uint8Array(e.data));
      }
    };
    this.#ws.onclose = (e) => this.#finish(handlers,
      e.reason || `closed (${e.code})`);
    this.#ws.onerror = () => this.#finish(handlers, 'connection failed');
  }

  #finish(handlers, reason) {
    if (this.#closed) return;
    this.#closed = true;
    handlers.close(reason);
  }

  send(bytes) {
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    if (this.#ws.bufferedAmount > MAX_BUFFERED) {
      this.close();
      return false;
    }
    this.#ws.send(bytes);
    return true;
  }

  // Media: sent only while the send buffer is short, else dropped.
  sendMedia(bytes) {
    if (this.#ws.readyState !== WebSocket.OPEN ||
      this.#ws.bufferedAmount > MAX_BUFFERED_MEDIA) {
      this.mediaDropped++;
      return false;
    }
    this.#ws.send(bytes);
    this.mediaSent++;
    return true;
  }

  close() {
    try {
      this.#ws.close(1000);
    } catch {
      // already closing
    }
  }
}
