# server-stub's fuzz targets (included from fuzz/CMakeLists.txt).
vc_fuzz_target(http_request ${PROJECT_SOURCE_DIR}/fuzz/http_request_fuzz.c
  vc_server_logic)
vc_fuzz_target(room_session ${PROJECT_SOURCE_DIR}/fuzz/room_session_fuzz.c
  vc_server_logic)
vc_fuzz_target(ws_reader ${PROJECT_SOURCE_DIR}/fuzz/ws_reader_fuzz.c
  vc_server_logic)
vc_fuzz_target(h3wt ${PROJECT_SOURCE_DIR}/fuzz/h3wt_fuzz.c vc_server_logic)
