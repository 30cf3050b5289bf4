# cmake -P: installs the build tree into a fresh prefix, builds
# examples/embed_c.c against that prefix alone (tests/capi_install_consumer:
# find_package and pkg-config), runs both and checks what they print.
#   -DBUILD_DIR -DSOURCE_DIR -DWORK_DIR -DC_COMPILER -DCXX_COMPILER -DGUEST
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR C_COMPILER CXX_COMPILER GUEST)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "capi_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer ${WORK_DIR}/consumer)
file(REMOVE_RECURSE ${WORK_DIR})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${what} failed (${code}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(GLOB public_headers RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/include/kiln/*.h ${SOURCE_DIR}/include/kiln/*.hpp)
foreach(file ${public_headers} bin/kiln share/kiln/include/wasm-rt.h share/kiln/include/artifact_abi.h)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
file(GLOB pc_files ${prefix}/lib*/pkgconfig/kiln.pc ${prefix}/lib/*/pkgconfig/kiln.pc)
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)

# Only the prefix: no source tree, no build tree on any search path.
run("configure the consumer" ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir} PKG_CONFIG_LIBDIR=${pc_dir}:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig
    ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/capi_install_consumer -B ${consumer} -G Ninja
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} -DEMBED_C=${SOURCE_DIR}/examples/embed_c.c)
run("build the consumer" ${CMAKE_COMMAND} --build ${consumer} -j2)

set(expected
  "discount: 1800 cents\nguest said: tier 2: 15% off 12000 cents\nfuel used: within budget\nunknown tier: trap \\(host error: unknown customer tier 7\\)\nafter the trap: 300 cents\n")

# libkiln.a compiles in process, against the installed headers.
run("embed_c_static" ${CMAKE_COMMAND} -E env KILN_CACHE_DIR=${WORK_DIR}/cache-static
    KILN_RT_INCLUDE_DIR=${prefix}/share/kiln/include KILN_AOT_INCLUDE_DIR=${prefix}/share/kiln/include
    ${consumer}/embed_c_static ${GUEST})
if(NOT output MATCHES "^${expected}$")
  message(FATAL_ERROR "embed_c_static printed:\n${output}")
endif()

# libkiln.so has the installed bin/kiln compile the module (a subprocess),
# which finds its headers under the prefix by itself.
run("embed_c_shared" ${CMAKE_COMMAND} -E env --unset=KILN_COMPILE --unset=KILN_RT_INCLUDE_DIR
    --unset=KILN_AOT_INCLUDE_DIR KILN_CACHE_DIR=${WORK_DIR}/cache-shared ${consumer}/embed_c_shared ${GUEST})
if(NOT output MATCHES "^${expected}$")
  message(FATAL_ERROR "embed_c_shared printed:\n${output}")
endif()
file(GLOB index_entries ${WORK_DIR}/cache-shared/aot-v1/modules-*/*.json)
list(LENGTH index_entries count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected the installed kiln to record one module index entry, found ${count}")
endif()
execute_process(COMMAND ldd ${consumer}/embed_c_shared OUTPUT_VARIABLE ldd_output)
if(NOT ldd_output MATCHES "libkiln\\.so\\.0 => ${prefix}/")
  message(FATAL_ERROR "embed_c_shared does not run on the installed libkiln.so:\n${ldd_output}")
endif()
message(STATUS "installed tree: find_package and pkg-config builds of embed_c run")
