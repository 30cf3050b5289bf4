# `cmake --install`: what an embedder needs (issue 5, packaging).
#   include/kiln/*.h              the C++ API and the C API (kiln.h)
#   include/kiln/guest/kiln_guest.h   for guests: the kiln-reactor ABI in C
#   lib/libkiln.a, libkiln_rt.a   the full library (compile + run) and rt/
#   lib/libkiln.so*               the run-time library for FFI hosts
#   lib/cmake/kiln/               find_package(kiln): kiln::kiln (static),
#                                 kiln::kiln_shared
#   lib/pkgconfig/kiln.pc         pkg-config: -lkiln, the static deps in Libs.private
#   bin/kiln                      the CLI, and libkiln.so's compiler
#   share/kiln/include/           wasm-rt.h and artifact_abi.h, which the
#                                 AOT backend compiles generated C against
include(CMakePackageConfigHelpers)

set(KILN_INSTALL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kiln)

install(TARGETS kiln_lib kiln_rt kiln_shared EXPORT kilnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

file(GLOB KILN_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/kiln/*.h ${CMAKE_SOURCE_DIR}/include/kiln/*.hpp)
install(FILES ${KILN_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kiln)
# For guest authors, not hosts: the kiln-reactor ABI in C (docs/abi.md).
install(FILES ${CMAKE_SOURCE_DIR}/include/kiln/guest/kiln_guest.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kiln/guest)
install(FILES ${CMAKE_SOURCE_DIR}/rt/wasm-rt.h ${CMAKE_SOURCE_DIR}/backends/aot/artifact_abi.h
        DESTINATION ${KILN_INSTALL_RT_INCLUDE_DIR})

install(EXPORT kilnTargets NAMESPACE kiln:: DESTINATION ${KILN_INSTALL_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/kilnConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/kilnConfig.cmake INSTALL_DESTINATION ${KILN_INSTALL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/kilnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/kilnConfig.cmake ${CMAKE_BINARY_DIR}/kilnConfigVersion.cmake
        DESTINATION ${KILN_INSTALL_CMAKE_DIR})

# pkg-config: the prefix is relative to the .pc file's directory.
file(RELATIVE_PATH KILN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" KILN_PC_TO_PREFIX "${KILN_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/kiln.pc.in ${CMAKE_BINARY_DIR}/kiln.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/kiln.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
