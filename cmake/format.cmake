# format-check: fails when any of the project's C files differs from
# .clang-format. format: rewrites them. tidy: clang-tidy on the core.
find_program(VC_CLANG_FORMAT clang-format)
find_program(VC_CLANG_TIDY clang-tidy)

file(GLOB_RECURSE vc_format_files CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/include/*.h ${PROJECT_SOURCE_DIR}/src/*.[ch]
  ${PROJECT_SOURCE_DIR}/server-stub/*.[ch] ${PROJECT_SOURCE_DIR}/tests/*.[ch]
  ${PROJECT_SOURCE_DIR}/fuzz/*.[ch] ${PROJECT_SOURCE_DIR}/bench/*.[ch])

if(VC_CLANG_FORMAT)
  add_custom_target(format-check
    COMMAND ${VC_CLANG_FORMAT} --dry-run --Werror ${vc_format_files}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "clang-format --dry-run on the C sources")
  add_custom_target(format
    COMMAND ${VC_CLANG_FORMAT} -i ${vc_format_files}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endif()

if(VC_CLANG_TIDY AND NOT EMSCRIPTEN)
  file(GLOB_RECURSE vc_tidy_files CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/src/*.c)
  list(FILTER vc_tidy_files EXCLUDE REGEX "/src/wasm/")
  add_custom_target(tidy
    COMMAND ${VC_CLANG_TIDY} --quiet -p ${PROJECT_BINARY_DIR} ${vc_tidy_files}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DEPENDS vc_proto
    COMMENT "clang-tidy on the core")
endif()
