# VC_ASAN: AddressSanitizer + UndefinedBehaviorSanitizer for every target, so
# the unit tests, corpus replays and fuzzers all run checked. UBSan stops at
# the first finding so that a test fails instead of printing and passing.
if(VC_ASAN)
  add_compile_options(-fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# VC_FUZZ: every target gets coverage instrumentation; fuzz targets add
# -fsanitize=fuzzer at link time (fuzz/CMakeLists.txt).
if(VC_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "VC_FUZZ needs clang: CC=clang cmake -DVC_FUZZ=ON")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
