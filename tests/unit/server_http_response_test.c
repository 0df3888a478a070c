/*
 * server_http_response_test.c: response heads, error pages and content
 * types, as bytes.
 */
#include <string.h>

#include "http_response.h"
#include "static_files.h"
#include "test.h"

void test_vc_http_response_head_has_the_security_headers(void) {
  vc_http_head h;
  char buf[1024];
  int n;

  memset(&h, 0, sizeof(h));
  h.status = 404;
  h.content_type = "text/html; charset=utf-8";
  h.content_length = 123;
  h.date = 0;
  n = vc_http_format_head(buf, sizeof(buf), &h);
  CHECK(n > 0);
  CHECK(strncmp(buf, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
  CHECK(strstr(buf, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n") != NULL);
  CHECK(strstr(buf, "Content-Length: 123\r\n") != NULL);
  CHECK(strstr(buf, "X-Content-Type-Options: nosniff\r\n") != NULL);
  CHECK(strstr(buf, "Cross-Origin-Opener-Policy: same-origin\r\n") != NULL);
  CHECK(strstr(buf, "Cross-Origin-Embedder-Policy: require-corp\r\n") != NULL);
  CHECK(strstr(buf, "Connection: close\r\n\r\n") != NULL);
  CHECK_INT_EQ(n, strlen(buf));

  h.status = 405;
  CHECK(vc_http_format_head(buf, sizeof(buf), &h) > 0);
  CHECK(strstr(buf, "Allow: GET, HEAD\r\n") != NULL);
}

void test_vc_http_response_short_buffer_is_an_error_not_a_partial_head(void) {
  vc_http_head h;
  char buf[1024];
  int full, cap;

  memset(&h, 0, sizeof(h));
  h.status = 200;
  full = vc_http_format_head(buf, sizeof(buf), &h);
  CHECK(full > 0);
  for (cap = 0; cap <= full; cap++) {
    CHECK_INT_EQ(vc_http_format_head(buf, (size_t)cap, &h), -1);
  }
  CHECK_INT_EQ(vc_http_format_head(buf, (size_t)full + 1, &h), full);
}

void test_vc_http_response_error_page_escapes_its_text(void) {
  char page[4096];
  int n;

  n = vc_http_error_page(page, sizeof(page), 400, "Bad <b>\"x\"</b>",
                         "a & b < c 'd'");
  CHECK(n > 0);
  CHECK(strstr(page, "<b>") == NULL);
  CHECK(strstr(page, "Bad &lt;b&gt;&quot;x&quot;&lt;/b&gt;") != NULL);
  CHECK(strstr(page, "a &amp; b &lt; c &#39;d&#39;") != NULL);
  CHECK(strstr(page, "href=\"/css/app.css\"") != NULL);
  CHECK(strstr(page, "400 Bad Request") != NULL);
  CHECK_INT_EQ(vc_http_error_page(page, 100, 400, "t", "d"), -1);
}

void test_vc_http_response_content_types_by_extension(void) {
  CHECK(strcmp(vc_content_type("js/wasm/vc_core.wasm"), "application/wasm") ==
        0);
  CHECK(strcmp(vc_content_type("js/core.js"),
               "text/javascript; charset=utf-8") == 0);
  CHECK(strcmp(vc_content_type("js/wasm/vc_core.mjs"),
               "text/javascript; charset=utf-8") == 0);
  CHECK(strcmp(vc_content_type("meeting.html"), "text/html; charset=utf-8") ==
        0);
  CHECK(strcmp(vc_content_type("css/app.css"), "text/css; charset=utf-8") == 0);
  CHECK(strcmp(vc_content_type("README"), "application/octet-stream") == 0);
  CHECK(strcmp(vc_content_type("a.d/README"), "application/octet-stream") == 0);
}
