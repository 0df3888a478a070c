# Third-party libraries. Natively they come from Debian's -dev packages via
# pkg-config; for WebAssembly from the prefix scripts/build-wasm-deps.sh
# fills (.cache/wasm-deps/current), which cmake/wasm.cmake puts on the
# search path. Each becomes an imported target vc::<name>.
find_program(VC_PROTOC_C protoc-c REQUIRED)

if(EMSCRIPTEN)
  set(VC_WASM_DEPS "${PROJECT_SOURCE_DIR}/.cache/wasm-deps/current"
    CACHE PATH "Prefix holding the WASM builds of opus, sodium, protobuf-c")
  if(NOT EXISTS "${VC_WASM_DEPS}/.complete")
    message(FATAL_ERROR
      "No WASM dependencies at ${VC_WASM_DEPS}; run scripts/setup.sh")
  endif()
  foreach(dep IN ITEMS protobuf-c opus sodium)
    add_library(vc::${dep} STATIC IMPORTED)
    set_target_properties(vc::${dep} PROPERTIES
      IMPORTED_LOCATION "${VC_WASM_DEPS}/lib/lib${dep}.a"
      INTERFACE_INCLUDE_DIRECTORIES "${VC_WASM_DEPS}/include")
  endforeach()
  # opus installs its header as <opus/opus.h>; the core includes <opus.h>.
  set_property(TARGET vc::opus APPEND PROPERTY
    INTERFACE_INCLUDE_DIRECTORIES "${VC_WASM_DEPS}/include/opus")
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(PC_PROTOBUF_C REQUIRED IMPORTED_TARGET libprotobuf-c)
  pkg_check_modules(PC_OPUS REQUIRED IMPORTED_TARGET opus)
  pkg_check_modules(PC_SODIUM REQUIRED IMPORTED_TARGET libsodium)
  add_library(vc::protobuf-c ALIAS PkgConfig::PC_PROTOBUF_C)
  add_library(vc::opus ALIAS PkgConfig::PC_OPUS)
  add_library(vc::sodium ALIAS PkgConfig::PC_SODIUM)
endif()
