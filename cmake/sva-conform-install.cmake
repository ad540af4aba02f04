# The SDK: install rules (included at the end of the top-level CMakeLists.txt).
#
#   cmake --install BUILD --prefix PREFIX
#
# puts in PREFIX (directories from GNUInstallDirs):
#   bin/sva-conform                        the command, bundled drivers inside
#   include/svac/driver_abi.h              the driver ABI
#   lib/cmake/sva-conform/
#     sva-conformConfig.cmake              find_package(sva-conform)
#     sva-conformConfigVersion.cmake
#     sva-conformTargets*.cmake            sva-conform::abi, sva-conform::sva-conform
#     sva-conformDriver.cmake              sva_conform_add_driver(),
#                                          sva_conform_add_conformance_test()
#     sva-conformKernelDriver.cmake        sva_conform_add_kernel_driver()
#   share/sva-conform/kshim/{include,runtime,glue}/
#                                          kshim, which a kernel driver's own
#                                          files build against (docs/linux-drivers.md)
#   share/doc/sva-conform/README.md        the documentation, laid out as in
#   share/doc/sva-conform/docs/*.md        the repository (README.md names
#                                          docs/design.md, ...)
# and nothing else: not the kit's static libraries, not the tests or their
# plugins. tests/sdk/run-sdk-test checks exactly this list.

if(NOT TARGET sva-conform) # SVAC_FUZZ_ONLY: no command, so no SDK
  return()
endif()

include(CMakePackageConfigHelpers)

# The driver ABI version, read from the header: the one place it is written.
# (A change to the header re-runs the configure step, so the package never
# carries a stale number.)
set(_svac_abi_header ${CMAKE_SOURCE_DIR}/include/svac/driver_abi.h)
file(STRINGS ${_svac_abi_header} _svac_abi_define
     REGEX "^#define[ \t]+SVAC_ABI_VERSION[ \t]+[0-9]+[uU]?([ \t].*)?$")
list(LENGTH _svac_abi_define _svac_abi_n)
if(NOT _svac_abi_n EQUAL 1
   OR NOT _svac_abi_define MATCHES "^#define[ \t]+SVAC_ABI_VERSION[ \t]+([0-9]+)")
  message(FATAL_ERROR "${_svac_abi_header}: expected one '#define SVAC_ABI_VERSION <n>u' line, "
                      "found: '${_svac_abi_define}'")
endif()
set(SVAC_ABI_VERSION ${CMAKE_MATCH_1})
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_svac_abi_header})

set(SVAC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/sva-conform)
set(SVAC_INSTALL_KSHIMDIR ${CMAKE_INSTALL_DATADIR}/sva-conform/kshim)

install(FILES ${_svac_abi_header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/svac)

# The documentation next to the SDK (CMAKE_INSTALL_DOCDIR: share/doc/sva-conform).
# It cites nothing outside the repository (tests/test_docs.cpp).
file(GLOB _svac_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_svac_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# kshim as source: a vendor's kernel files compile against it in their own build.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/kshim/include ${CMAKE_SOURCE_DIR}/kshim/runtime
                  ${CMAKE_SOURCE_DIR}/kshim/glue
        DESTINATION ${SVAC_INSTALL_KSHIMDIR})

# sva-conform::abi (an INTERFACE target: the header's include directory) and
# sva-conform::sva-conform (the imported command).
set_target_properties(svac_abi PROPERTIES EXPORT_NAME abi)
install(TARGETS svac_abi sva-conform EXPORT sva-conformTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT sva-conformTargets NAMESPACE sva-conform:: DESTINATION ${SVAC_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_SOURCE_DIR}/cmake/sva-conformConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/sva-conformConfig.cmake
  INSTALL_DESTINATION ${SVAC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR SVAC_INSTALL_KSHIMDIR)
# SameMajorVersion: the package version versions the CMake interface (target
# names, the two functions); a new major may change it, so a project asking
# for 0.1 must not silently take a 1.x (AnyNewerVersion would). Whether a
# built plugin loads is the driver ABI's business, not this version's: the
# command refuses any other abi_version at load time, and a project can check
# SVA_CONFORM_ABI_VERSION at configure time (examples/driver_template does).
# Not ARCH_INDEPENDENT: a plugin must match the command's pointer size.
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/cmake/sva-conformConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/sva-conformConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/sva-conformConfigVersion.cmake
              ${CMAKE_SOURCE_DIR}/cmake/sva-conformDriver.cmake
              ${CMAKE_SOURCE_DIR}/cmake/sva-conformKernelDriver.cmake
        DESTINATION ${SVAC_INSTALL_CMAKEDIR})
