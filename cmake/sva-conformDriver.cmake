# Functions of the sva-conform package (included by sva-conformConfig.cmake).
#
# sva_conform_add_driver(NAME SOURCE...)
#   A driver plugin: the MODULE library NAME.so (no "lib" prefix) built from
#   SOURCE... against sva-conform::abi, with -fvisibility=hidden: the one
#   symbol it exports, svac_driver_entry, must be marked
#   __attribute__((visibility("default"))) in the source.
#
# sva_conform_add_conformance_test(NAME DRIVER_TARGET [OUT DIR] [ARGS ARG...])
#   A CTest NAME that runs
#     sva-conform run --driver-lib $<TARGET_FILE:DRIVER_TARGET> --out DIR ARG...
#   and passes on exit 0 (conformant); 1 (findings), 2 (bad usage, a driver
#   that does not load) and 3 (internal error) fail it. DIR (default
#   ${CMAKE_CURRENT_BINARY_DIR}/sva-conform/NAME) receives
#   report.{json,html,xml,md,sarif} and findings/. ARG...: further options of
#   `sva-conform run` (--sequences N, --seed N, --ops N, --time S, --profile P);
#   the ARGS keyword may be left out.

include_guard(GLOBAL)

function(sva_conform_add_driver name)
  if(NOT ARGN)
    message(FATAL_ERROR "sva_conform_add_driver(${name}): no sources")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE sva-conform::abi)
  set_target_properties(${name} PROPERTIES
    PREFIX "" SUFFIX ".so"
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()

function(sva_conform_add_conformance_test name driver)
  cmake_parse_arguments(PARSE_ARGV 2 _svac "" "OUT" "ARGS")
  if(NOT _svac_OUT)
    set(_svac_OUT ${CMAKE_CURRENT_BINARY_DIR}/sva-conform/${name})
  endif()
  add_test(NAME ${name}
           COMMAND $<TARGET_FILE:sva-conform::sva-conform> run
                   --driver-lib $<TARGET_FILE:${driver}> --out ${_svac_OUT}
                   ${_svac_ARGS} ${_svac_UNPARSED_ARGUMENTS})
endfunction()
