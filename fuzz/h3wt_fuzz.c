/*
 * h3wt_fuzz.c: fuzz target for server-stub's HTTP/3 + WebTransport layer
 * (h3wt.c), which meets every stream byte and datagram a browser sends
 * over QUIC: stream headers, SETTINGS, QPACK header blocks, capsules.
 *
 * Input: a script of events, each one opcode byte and its operands:
 *
 *   op & 7 == 0  stream data: stream byte, length byte, that many bytes
 *                (op & 0x08: FIN with them)
 *   op & 7 == 1  stream reset: stream byte
 *   op & 7 == 2  stream closed: stream byte
 *   op & 7 == 3  datagram: length byte, that many bytes
 *   op & 7 == 4  the application closes a session: session byte, reason
 *                length byte (the reason is that many 'r')
 *   op & 7 == 5  the application binds server stream (byte) to a session
 *   op & 7 == 6  stream data as above, fed one byte per call
 *   op & 7 == 7  the application's answer to the next requests: op >> 3
 *                picks 200, 403, 404 or 429
 *
 * A stream byte b names stream id b (all four kinds, client and server).
 * Session bytes are multiplied by 4. As in QUIC, a stream once closed
 * gets nothing more: later events for it are skipped. The caps are small so
 * that every limit is reached, and the application closes the session from
 * stream_data when a payload starts with 'X', so callbacks re-entering
 * the layer are covered. Checks: nothing crashes or leaks, no callback
 * comes after a connection error except session_closed, each accepted
 * session is closed at most once, and the counts of open sessions agree.
 */
#include <stdlib.h>
#include <string.h>

#include "h3wt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TRACKED 256

static struct {
  vc_h3wt *h;
  int failed;
  int status;
  /* 0: never accepted, 1: open, 2: closed (session ids / 4 < 256) */
  uint8_t session[MAX_TRACKED];
  int n_open;
  uint8_t closed[256]; /* stream ids given to on_stream_closed */
} fz;

static int tracked(int64_t session_id) {
  return session_id >= 0 && session_id / 4 < MAX_TRACKED;
}

static int f_open_uni_stream(void *ud, int64_t *stream_id) {
  static int64_t next = 3;

  (void)ud;
  *stream_id = next;
  next = next >= 1023 ? 3 : next + 4;
  return 0;
}

static int f_write_stream(void *ud, int64_t stream_id, const uint8_t *data,
                          size_t len, int fin) {
  (void)ud;
  (void)stream_id;
  (void)fin;
  if (fz.failed || (len > 0 && !data)) {
    abort();
  }
  return 0;
}

static void f_reset_stream(void *ud, int64_t stream_id, uint64_t h3_error) {
  (void)ud;
  (void)stream_id;
  (void)h3_error;
  if (fz.failed) {
    abort();
  }
}

static void f_close_connection(void *ud, uint64_t h3_error,
                               const char *reason) {
  (void)ud;
  (void)h3_error;
  if (fz.failed || !reason) {
    abort();
  }
  fz.failed = 1;
}

static int f_session_request(void *ud, int64_t session_id,
                             const vc_h3wt_request *req) {
  (void)ud;
  if (fz.failed || !req->authority[0] || !req->path[0] || !req->origin ||
      (session_id & 3) != 0) {
    abort();
  }
  if (fz.status == 200 && tracked(session_id)) {
    if (fz.session[session_id / 4] != 0) {
      abort(); /* one request per stream */
    }
    fz.session[session_id / 4] = 1;
    fz.n_open++;
  }
  return fz.status;
}

static void f_session_closed(void *ud, int64_t session_id, uint32_t code,
                             const uint8_t *reason, size_t reason_len) {
  (void)ud;
  (void)code;
  if (!reason || reason_len > 1024 || !tracked(session_id) ||
      fz.session[session_id / 4] != 1) {
    abort();
  }
  fz.session[session_id / 4] = 2;
  fz.n_open--;
}

static void f_stream_data(void *ud, int64_t session_id, int64_t stream_id,
                          const uint8_t *data, size_t len, int fin) {
  (void)ud;
  (void)stream_id;
  (void)fin;
  if (fz.failed || !data || !tracked(session_id) ||
      fz.session[session_id / 4] != 1) {
    abort();
  }
  if (len > 0 && data[0] == 'X' &&
      vc_h3wt_close_session(fz.h, session_id, 9, "x") == 0) {
    fz.session[session_id / 4] = 2;
    fz.n_open--;
  }
}

static void f_stream_reset(void *ud, int64_t session_id, int64_t stream_id) {
  (void)ud;
  (void)stream_id;
  if (fz.failed || !tracked(session_id) || fz.session[session_id / 4] != 1) {
    abort();
  }
}

static void f_datagram(void *ud, int64_t session_id, const uint8_t *data,
                       size_t len) {
  (void)ud;
  (void)len;
  if (fz.failed || !data || !tracked(session_id) ||
      fz.session[session_id / 4] != 1) {
    abort();
  }
}

/* Feeds |len| bytes to |id|, whole or one byte per call. */
static void feed(int64_t id, const uint8_t *p, size_t len, int fin,
                 int bytewise) {
  size_t i;

  if (!bytewise || len == 0) {
    vc_h3wt_on_stream_data(fz.h, id, p, len, fin);
    return;
  }
  for (i = 0; i < len; i++) {
    vc_h3wt_on_stream_data(fz.h, id, p + i, 1, fin && i + 1 == len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int statuses[] = {200, 403, 404, 429};
  char reason[256];
  vc_h3wt_settings st;
  vc_h3wt_callbacks cb;
  vc_h3wt_stats stats;
  size_t pos = 0, len;
  uint8_t op;

  memset(&fz, 0, sizeof(fz));
  fz.status = 200;
  memset(&cb, 0, sizeof(cb));
  cb.open_uni_stream = f_open_uni_stream;
  cb.write_stream = f_write_stream;
  cb.reset_stream = f_reset_stream;
  cb.close_connection = f_close_connection;
  cb.session_request = f_session_request;
  cb.session_closed = f_session_closed;
  cb.stream_data = f_stream_data;
  cb.stream_reset = f_stream_reset;
  cb.datagram = f_datagram;
  vc_h3wt_settings_default(&st);
  st.max_sessions = 3;
  st.max_frame_len = 200;
  st.max_early_bytes = 300;
  if (vc_h3wt_new(&fz.h, &st, &cb) != 0 || vc_h3wt_start(fz.h) != 0) {
    abort();
  }
  while (pos < size) {
    op = data[pos++];
    switch (op & 7) {
    case 0:
    case 6:
      if (size - pos < 2) {
        pos = size;
        break;
      }
      len = data[pos + 1];
      if (len > size - pos - 2) {
        len = size - pos - 2;
      }
      if (!fz.closed[data[pos]]) {
        feed(data[pos], data + pos + 2, len, (op & 0x08) != 0, (op & 7) == 6);
      }
      pos += 2 + len;
      break;
    case 1:
      if (pos < size && !fz.closed[data[pos]]) {
        vc_h3wt_on_stream_reset(fz.h, data[pos]);
      }
      pos += pos < size;
      break;
    case 2:
      if (pos < size && !fz.closed[data[pos]]) {
        fz.closed[data[pos]] = 1;
        vc_h3wt_on_stream_closed(fz.h, data[pos]);
      }
      pos += pos < size;
      break;
    case 3:
      if (pos == size) {
        break;
      }
      len = data[pos++];
      if (len > size - pos) {
        len = size - pos;
      }
      vc_h3wt_on_datagram(fz.h, data + pos, len);
      pos += len;
      break;
    case 4:
      if (size - pos < 2) {
        pos = size;
        break;
      }
      len = data[pos + 1];
      memset(reason, 'r', len);
      reason[len] = 0;
      if (vc_h3wt_close_session(fz.h, (int64_t)data[pos] * 4, 1, reason) == 0) {
        fz.session[data[pos]] = 2;
        fz.n_open--;
      }
      pos += 2;
      break;
    case 5:
      if (size - pos < 2) {
        pos = size;
        break;
      }
      if (!fz.closed[data[pos]]) {
        vc_h3wt_bind_stream(fz.h, data[pos], (int64_t)data[pos + 1] * 4);
      }
      pos += 2;
      break;
    default:
      fz.status = statuses[(op >> 3) & 3];
      break;
    }
  }
  vc_h3wt_get_stats(fz.h, &stats);
  if (stats.sessions_accepted < (uint64_t)fz.n_open) {
    abort();
  }
  /* Every session still open is closed by del, once. */
  vc_h3wt_del(fz.h);
  if (fz.n_open != 0) {
    abort();
  }
  return 0;
}
