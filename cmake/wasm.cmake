# Flags for the Emscripten build (emcmake cmake). Every target gets the same
# code generation; the browser module's own link flags are in
# src/wasm/CMakeLists.txt, next to its export list.
add_compile_options(-fno-exceptions)
# Test programs run under Node through ctest (emcmake sets node as the
# cross-compiling emulator); they need no file system.
set(VC_WASM_TEST_ENV
  "NODE_OPTIONS=--no-experimental-fetch;NODE_PATH=/usr/share/nodejs")
# emcmake passes "node --experimental-wasm-threads" as the emulator; Node 20
# refuses that flag, and we use no threads.
find_program(VC_NODE node REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${VC_NODE})
