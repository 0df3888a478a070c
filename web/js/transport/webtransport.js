// transport/webtransport.js: the meeting over WebTransport (HTTP/3 over
// QUIC, to the server's UDP port). One bidirectional stream carries the
// same framed envelopes as the WebSocket fallback; audio goes as
// datagrams instead, so a lost packet never holds up the sound behind it
// while QUIC resends. Nothing here
// parses the envelopes. The server's self-signed certificate is pinned by
// the SHA-256 hashes it publishes at /webtransport.json.

// Bytes written and not yet taken by the browser's QUIC stack. More than
// this means the path is stalled: give the session up (the core resumes
// on a new one); media is dropped long before, as on WebSocket.
const MAX_QUEUED = 4 * 1024 * 1024;
const MAX_QUEUED_MEDIA = 256 * 1024;
// Datagrams up to this size (a framed envelope): under any QUIC packet's
// room after its headers, so they never wait for path MTU discovery.
const MAX_DATAGRAM = 1100;
// Datagrams the browser holds for us until we read them. Chromium's
// default is 1: any two arriving between two reads (the main thread busy
// for a moment) lose all but the newest, which in a call of six lost
// most of the sound and every small video frame. 512 is about two
// seconds of everything a call of ten sends; older ones are still
// dropped past it, as the cap on this queue.
const INCOMING_DATAGRAMS = 512;

function base64ToBytes(b64) {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// info: {port, path, hashes} from /webtransport.json.
export function webTransportUrl(info, loc = location) {
  return `https://${loc.hostname}:${info.port}${info.path}`;
}

export class WebTransportTransport {
  #wt = null;
  #writer = null;
  #datagrams = null;
  #closed = false;
  #queued = 0;
  mediaSent = 0;
  mediaDropped = 0;
  datagramsSent = 0;

  // handlers: {open(), message(Uint8Array), datagram(Uint8Array),
  // close(reason)}; close is called once, whoever closed.
  constructor(url, hashes, handlers) {
    this.name = 'WebTransport';
    const options = { congestionControl: 'low-latency' };
    if (hashes.length) {
      options.serverCertificateHashes = hashes.map((h) => ({
        algorithm: 'sha-256', value: base64ToBytes(h),
      }));
    }
    try {
      this.#wt = new WebTransport(url, options);
    } catch (e) {
      queueMicrotask(() => this.#finish(handlers, e.message));
      return;
    }
    this.#wt.closed.then(
      (info) => this.#finish(handlers, info?.reason || 'closed'),
      (e) => this.#finish(handlers, e?.message || 'connection failed'));
    this.#run(handlers);
  }

  async #run(handlers) {
    try {
      await this.#wt.ready;
      const stream = await this.#wt.createBidirectionalStream();
      this.#writer = stream.writable.getWriter();
      this.#datagrams = this.#wt.datagrams.writable.getWriter();
      if (this.#closed) return;
      handlers.open();
      this.#readDatagrams(handlers);
      const reader = stream.readable.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#closed) break;
        handlers.message(value);
      }
      this.#finish(handlers, 'the server ended the meeting stream');
    } catch (e) {
      this.#finish(handlers, e?.message || 'connection failed');
    }
  }

  async #readDatagrams(handlers) {
    try {
      this.#wt.datagrams.incomingHighWaterMark = INCOMING_DATAGRAMS;
      const reader = this.#wt.datagrams.readable.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#closed) return;
        handlers.datagram(value);
      }
    } catch {
      // the session closed: #run reports it
    }
  }

  #finish(handlers, reason) {
    if (this.#closed) return;
    this.#closed = true;
    handlers.close(reason);
  }

  #write(bytes) {
    this.#queued += bytes.length;
    this.#writer.write(bytes).then(
      () => { this.#queued -= bytes.length; },
      () => {}); // the close handler reports it
  }

  send(bytes) {
    if (!this.#writer || this.#closed) return false;
    if (this.#queued > MAX_QUEUED) {
      this.close();
      return false;
    }
    this.#write(bytes);
    return true;
  }

  // Media: audio (|datagram|) as a datagram when it fits, the rest on the
  // stream while its queue is short; otherwise dropped. Video stays on
  // the stream: a lost frame breaks the pictures after it until a
  // keyframe, where QUIC resends it in about one round trip.
  sendMedia(bytes, datagram = false) {
    if (!this.#writer || this.#closed) {
      this.mediaDropped++;
      return false;
    }
    if (datagram && bytes.length <= MAX_DATAGRAM) {
      // The browser drops datagrams it cannot send soon; no queue here.
      this.#datagrams.write(bytes).catch(() => {});
      this.mediaSent++;
      this.datagramsSent++;
      return true;
    }
    if (this.#queued > MAX_QUEUED_MEDIA) {
      this.mediaDropped++;
      return false;
    }
    this.#write(bytes);
    this.mediaSent++;
    return true;
  }

  close() {
    try {
      this.#wt?.close({ closeCode: 0, reason: '' });
    } catch {
      // already closed
    }
  }
}
