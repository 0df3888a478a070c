/*
 * server_routes_test.c: what server-stub does with each kind of address,
 * decided before any file is touched.
 */
#include <string.h>

#include <vc/vc.h>

#include "leave_beacon.h"
#include "routes.h"
#include "test.h"

static vc_http_route get(const char *target) {
  vc_http_route r;
  vc_http_route_resolve(&r, "GET", target);
  return r;
}

void test_vc_routes_root_serves_the_start_page(void) {
  vc_http_route r = get("/");

  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
  CHECK(strcmp(r.path, "index.html") == 0);
  r = get("/healthz");
  CHECK_INT_EQ(r.action, VC_HTTP_HEALTHZ);
}

void test_vc_routes_meeting_link_serves_the_app_page(void) {
  vc_http_route r = get("/meeting/alice/room1");

  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
  CHECK_INT_EQ(r.status, 200);
  CHECK(strcmp(r.path, "meeting.html") == 0);
  r = get("/meeting/A-z_09/x");
  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
  /* Percent-encoded letters are letters. */
  r = get("/meeting/%61lice/room1");
  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
}

void test_vc_routes_meeting_names_outside_the_safe_set_are_400(void) {
  static const char *const bad[] = {
      "/meeting/al%20ice/room1", "/meeting/alice/ro.om",
      "/meeting/al%3Cb%3E/room1", "/meeting/%C3%A9/room1",
      /* 65 characters: one over the limit (concatenation on purpose) */
      ("/meeting/alice/"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")};
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    vc_http_route r = get(bad[i]);
    CHECK_INT_EQ(r.action, VC_HTTP_ERROR);
    CHECK_INT_EQ(r.status, 400);
    CHECK(strstr(r.detail, "letters A-Z and a-z") != NULL);
  }
  /* 64 characters is the longest allowed. */
  CHECK_INT_EQ(
      get("/meeting/alice/"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaa")
          .action,
      VC_HTTP_SERVE_FILE);
}

void test_vc_routes_incomplete_meeting_links_are_400(void) {
  static const char *const incomplete[] = {"/meeting", "/meeting/",
                                           "/meeting/alice", "/meeting/alice/",
                                           "/meeting//room1"};
  size_t i;

  for (i = 0; i < sizeof(incomplete) / sizeof(incomplete[0]); i++) {
    vc_http_route r = get(incomplete[i]);
    CHECK_INT_EQ(r.status, 400);
    CHECK(strstr(r.detail, "/meeting/your-name/meeting-id") != NULL);
  }
  CHECK_INT_EQ(get("/meeting/a/b/c").status, 404);
}

void test_vc_routes_trailing_slash_redirects(void) {
  vc_http_route r = get("/meeting/alice/room1/");

  CHECK_INT_EQ(r.action, VC_HTTP_REDIRECT);
  CHECK_INT_EQ(r.status, 308);
  CHECK(strcmp(r.location, "/meeting/alice/room1") == 0);
  /* Never a redirect to a name we would then refuse. */
  CHECK_INT_EQ(get("/meeting/al%20ice/room1/").status, 400);
}

void test_vc_routes_dot_segments_never_reach_the_file_system(void) {
  static const char *const hostile[] = {
      "/..",         "/../etc/passwd", "/js/../../x",  "/./index.html",
      "/js/.hidden", "/.git/config",   "/js//core.js", "/js/",
      "/%2e%2e/x",   "/%2E%2E/x",      "/js/%2e/x"};
  size_t i;

  for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
    vc_http_route r = get(hostile[i]);
    CHECK_INT_EQ(r.action, VC_HTTP_ERROR);
    CHECK_INT_EQ(r.status, 404);
  }
  CHECK(strcmp(get("/js/core.js").path, "js/core.js") == 0);
}

void test_vc_routes_encoded_slash_and_nul_are_judged_after_decoding(void) {
  CHECK_INT_EQ(get("/..%2f..%2fetc%2fpasswd").status, 404);
  CHECK_INT_EQ(get("/js%2f..%2f..%2fx").status, 404);
  CHECK_INT_EQ(get("/index.html%00.png").status, 400);
  CHECK_INT_EQ(get("/bad%zzescape").status, 400);
  CHECK_INT_EQ(get("/truncated%2").status, 400);
  /* An encoded slash in a meeting name makes it another (bad) link. */
  CHECK_INT_EQ(get("/meeting/a%2fb/room1").status, 404);
}

void test_vc_routes_only_get_and_head_are_allowed(void) {
  vc_http_route r;

  vc_http_route_resolve(&r, "HEAD", "/meeting/alice/room1");
  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
  vc_http_route_resolve(&r, "POST", "/");
  CHECK_INT_EQ(r.status, 405);
  vc_http_route_resolve(&r, "DELETE", "/index.html");
  CHECK_INT_EQ(r.status, 405);
}

void test_vc_routes_query_is_ignored(void) {
  vc_http_route r = get("/meeting/alice/room1?debug=1");

  CHECK_INT_EQ(r.action, VC_HTTP_SERVE_FILE);
  CHECK(strcmp(r.path, "meeting.html") == 0);
  CHECK(strcmp(get("/?x=../..").path, "index.html") == 0);
}

/* POST /leave?...: the closing page's beacon (leave_beacon.h). */
void test_vc_routes_leave_beacon_fields_are_checked(void) {
  static const char *const bad[] = {
      "/leave",
      "/leave?",
      "/leave?meeting=m1&session=2",
      "/leave?meeting=m1&token=000102030405060708090a0b0c0d0e0f",
      "/leave?meeting=m%201&session=2&token=000102030405060708090a0b0c0d0e0f",
      "/leave?meeting=m1&session=0&token=000102030405060708090a0b0c0d0e0f",
      "/leave?meeting=m1&session=4294967296&token=000102030405060708090a0b0c0"
      "d0e0f",
      "/leave?meeting=m1&session=2&token=000102030405060708090a0b0c0d0e0",
      "/leave?meeting=m1&session=2&token=000102030405060708090a0b0c0d0e0g",
      "/leave?meeting=m1&meeting=m2&session=2&token=000102030405060708090a0b0"
      "c0d0e0f",
      "/leave?meeting&session=2&token=000102030405060708090a0b0c0d0e0f",
      "/leaves?meeting=m1&session=2&token=000102030405060708090a0b0c0d0e0f",
  };
  vc_leave_beacon b;
  size_t i;

  CHECK(vc_leave_beacon_matches("/leave"));
  CHECK(vc_leave_beacon_matches("/leave?x=1"));
  CHECK(!vc_leave_beacon_matches("/leaves"));
  CHECK(!vc_leave_beacon_matches("/leave/x"));
  CHECK_INT_EQ(vc_leave_beacon_parse(&b, "/leave?token=000102030405060708090A"
                                         "0B0C0D0E0F&session=4294967295&"
                                         "utm=x&meeting=Team-7"),
               0);
  CHECK(strcmp(b.meeting_id, "Team-7") == 0);
  CHECK(b.session == 4294967295u);
  CHECK_INT_EQ(b.token[0], 0);
  CHECK_INT_EQ(b.token[15], 15);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_INT_EQ(vc_leave_beacon_parse(&b, bad[i]), VC_ERR_MALFORMED);
  }
}
