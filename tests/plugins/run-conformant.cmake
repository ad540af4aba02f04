# cmake -DCLI=sva-conform -DLIB=PLUGIN.so -DSEQUENCES=N -DOUT=DIR [-DPROFILE=P]
#       -P run-conformant.cmake
# Passes when `sva-conform run --driver-lib PLUGIN.so [--profile P]` finds the
# plugin conformant (exit 0) and its report names it as a plugin.
foreach(var CLI LIB SEQUENCES OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-conformant.cmake: -D${var}=... missing")
  endif()
endforeach()

set(profile_args)
if(DEFINED PROFILE)
  set(profile_args --profile ${PROFILE})
endif()
execute_process(COMMAND ${CLI} run --driver-lib ${LIB} --sequences ${SEQUENCES} --out ${OUT}
                        ${profile_args}
                RESULT_VARIABLE rc)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "sva-conform run --driver-lib ${LIB}: exit ${rc}, not 0 (conformant); "
                      "the report: ${OUT}/report.html")
endif()

file(READ ${OUT}/report.json json)
string(JSON kind ERROR_VARIABLE err GET "${json}" driver library kind)
if(err OR NOT kind STREQUAL "plugin")
  message(FATAL_ERROR "${OUT}/report.json: driver.library.kind is '${kind}' (${err}), not 'plugin'")
endif()
string(JSON verdict ERROR_VARIABLE err GET "${json}" verdict)
if(err OR NOT verdict STREQUAL "conformant")
  message(FATAL_ERROR "${OUT}/report.json: verdict '${verdict}' (${err}), not 'conformant'")
endif()
message(STATUS "${LIB}: conformant over ${SEQUENCES} sequences; report kind 'plugin'")
