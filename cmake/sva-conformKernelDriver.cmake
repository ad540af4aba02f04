# Kernel drivers as plugins (included by sva-conformConfig.cmake, and by the
# kit's own kshim/CMakeLists.txt, which builds Linux's drivers with it).
#
# sva_conform_add_kernel_driver(NAME VERSION V TREE DIR SOURCES FILE...
#                               [GLUE GLUE_FILE])
#   The driver plugin NAME.so, built from a kernel driver's own source files,
#   unmodified: FILE... (paths relative to DIR, a kernel tree or a vendor's
#   copy of the part of one the driver needs; the files' own relative
#   includes, such as "arm-smmu-v3.h" or "../../dma-iommu.h", are found
#   there) compiled against kshim, the kit's kernel-compatibility layer, as
#   the kernel V builds them (6.12: kshim's headers for 6.12 and the
#   configuration kshim/include/kshim/kconfig-6.12.h). kshim's runtime is
#   linked in; GLUE_FILE (a file of kshim/glue/, or a path; by default
#   handle-6.1.c for 6.1 and domain-V.c after) maps the driver ABI's ops
#   onto the driver's iommu_ops as that kernel's core does.
#   The kernel files compile with -nostdinc and no warnings of theirs (they
#   are not yours to fix here), the way the kernel's own build treats them:
#   docs/linux-drivers.md says what kshim provides and how to extend it.
#   Variables read: SVAC_KSHIM_COVERAGE (ON: clang source-based coverage of
#   FILE...), SVAC_FUZZ_INSTRUMENT (ON: libFuzzer coverage of the whole
#   plugin, which then links only into a fuzz target or a sanitizer runtime).
# Variables:
#   SVA_CONFORM_KSHIM_DIR      kshim: include/, runtime/, glue/
#   SVA_CONFORM_KERNEL_VERSIONS the kernel versions kshim answers (6.12 6.1)

include_guard(GLOBAL)

if(NOT SVA_CONFORM_KSHIM_DIR)
  message(FATAL_ERROR "sva-conformKernelDriver.cmake: SVA_CONFORM_KSHIM_DIR is not set")
endif()
set(SVA_CONFORM_KERNEL_VERSIONS 6.12 6.1)

function(sva_conform_add_kernel_driver name)
  cmake_parse_arguments(PARSE_ARGV 1 _k "" "VERSION;TREE;GLUE" "SOURCES")
  set(_where "sva_conform_add_kernel_driver(${name})")
  if(_k_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${_where}: unknown arguments: ${_k_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _k_VERSION IN_LIST SVA_CONFORM_KERNEL_VERSIONS)
    message(FATAL_ERROR "${_where}: VERSION '${_k_VERSION}': kshim answers the kernels "
                        "${SVA_CONFORM_KERNEL_VERSIONS}")
  endif()
  if(NOT _k_TREE OR NOT IS_DIRECTORY "${_k_TREE}")
    message(FATAL_ERROR "${_where}: TREE '${_k_TREE}' is not a directory")
  endif()
  if(NOT _k_SOURCES)
    message(FATAL_ERROR "${_where}: no SOURCES")
  endif()
  if(NOT CMAKE_C_COMPILER_LOADED)
    message(FATAL_ERROR "${_where}: the C language is not enabled (project(... LANGUAGES C))")
  endif()
  set(kshim ${SVA_CONFORM_KSHIM_DIR})
  if(NOT _k_GLUE AND _k_VERSION STREQUAL "6.1")
    set(_k_GLUE handle-6.1.c) # the handle-based contract (sva_bind)
  elseif(NOT _k_GLUE)
    set(_k_GLUE domain-${_k_VERSION}.c) # the domain-based contract
  endif()
  if(NOT IS_ABSOLUTE "${_k_GLUE}")
    set(_k_GLUE ${kshim}/glue/${_k_GLUE})
  endif()
  if(NOT EXISTS "${_k_GLUE}")
    message(FATAL_ERROR "${_where}: GLUE '${_k_GLUE}': no such file")
  endif()

  set(kernel_srcs)
  foreach(f ${_k_SOURCES})
    if(NOT EXISTS "${_k_TREE}/${f}")
      message(FATAL_ERROR "${_where}: ${_k_TREE}/${f} is missing: is ${_k_TREE} a "
                          "linux-${_k_VERSION} tree? (make linux-drivers unpacks Debian's)")
    endif()
    list(APPEND kernel_srcs ${_k_TREE}/${f})
  endforeach()
  file(GLOB runtime_srcs CONFIGURE_DEPENDS ${kshim}/runtime/*.c ${kshim}/runtime/v${_k_VERSION}/*.c)
  set(own_srcs ${runtime_srcs} ${_k_GLUE})

  # The kernel's own build: no C library headers, the compiler's own only.
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                  OUTPUT_VARIABLE cc_include OUTPUT_STRIP_TRAILING_WHITESPACE)
  add_library(${name} MODULE ${kernel_srcs} ${own_srcs})
  set_target_properties(${name} PROPERTIES PREFIX "" SUFFIX ".so" C_STANDARD 11 C_EXTENSIONS ON
                                           C_VISIBILITY_PRESET hidden)
  target_compile_options(${name} PRIVATE -nostdinc -isystem ${cc_include} -ffreestanding
                         -fno-strict-aliasing -fno-common
                         -include ${kshim}/include/kshim/kconfig-${_k_VERSION}.h)
  target_compile_definitions(${name} PRIVATE __KERNEL__ KSHIM_DRIVER_NAME="${name}")
  target_include_directories(${name} PRIVATE ${kshim}/include/v${_k_VERSION} ${kshim}/include)
  target_link_libraries(${name} PRIVATE sva-conform::abi)
  # No warnings of the kernel's are ours, and UBSan stays off there (the
  # kernel's idioms are its own); ASan stays on.
  set_source_files_properties(${kernel_srcs} TARGET_DIRECTORY ${name} PROPERTIES
                              COMPILE_OPTIONS "-w;-fno-sanitize=undefined")
  set_source_files_properties(${own_srcs} TARGET_DIRECTORY ${name} PROPERTIES
                              COMPILE_OPTIONS "-Wno-unused-parameter")
  # For fuzzing, the driver's own code feeds libFuzzer's coverage (the
  # callbacks come from the fuzz target, so undefined symbols are expected).
  if(SVAC_FUZZ_INSTRUMENT)
    # (not stack-depth: its thread-local counter is no fuzz target's export)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer-no-link
                           -fno-sanitize-coverage=stack-depth)
  elseif(NOT SVAC_SANITIZE)
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  if(SVAC_KSHIM_COVERAGE)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "${_where}: SVAC_KSHIM_COVERAGE needs clang")
    endif()
    set_property(SOURCE ${kernel_srcs} TARGET_DIRECTORY ${name} APPEND PROPERTY COMPILE_OPTIONS
                 -fprofile-instr-generate -fcoverage-mapping)
    target_link_options(${name} PRIVATE -fprofile-instr-generate)
  endif()
endfunction()
