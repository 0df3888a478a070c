# Warnings for the project's own code (never for generated protobuf-c code).
# vc_target_warnings(<target>) applies them; VC_WERROR makes them errors.
set(VC_WARNING_FLAGS
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wvla -Wundef -Wpointer-arith -Wcast-qual)
if(VC_WERROR)
  list(APPEND VC_WARNING_FLAGS -Werror)
endif()

function(vc_target_warnings target)
  target_compile_options(${target} PRIVATE ${VC_WARNING_FLAGS})
endfunction()
