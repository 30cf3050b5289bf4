# Builds WebAssembly guests during the build: C with clang --target=wasm32-wasi
# (wasi-libc), .wat with wat2wasm, and spec scripts (.wast) with wast2json.
find_program(KILN_WASI_CLANG clang REQUIRED)
# clang runs binaryen's wasm-opt on what it links at -O1 and above whenever
# it finds one (clang 14 has no switch against it), so installing binaryen
# (the differential fuzzer needs it) would change every guest: other code,
# other mutants in the mutation fuzz, other imports. -B puts a wasm-opt that
# does nothing first in clang's program search: the guests are what clang
# and wasm-ld make, on every machine.
set(KILN_NO_WASM_OPT_DIR ${CMAKE_BINARY_DIR}/wasi-no-wasm-opt)
file(MAKE_DIRECTORY ${KILN_NO_WASM_OPT_DIR})
file(CREATE_LINK /bin/true ${KILN_NO_WASM_OPT_DIR}/wasm-opt SYMBOLIC)
set(KILN_WASI_CC ${KILN_WASI_CLANG} -B${KILN_NO_WASM_OPT_DIR})
find_program(KILN_WAT2WASM wat2wasm REQUIRED)
find_program(KILN_WAST2JSON wast2json REQUIRED)

file(GLOB KILN_GUEST_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/kiln/guest/*.h)

# kiln_add_guests(<target> OUTPUT_DIR <dir> SOURCES <file>...)
function(kiln_add_guests target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR})
  set(outputs)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(stem ${src} NAME_WE)
    get_filename_component(ext ${src} LAST_EXT)
    if(ext STREQUAL ".c")
      set(out ${ARG_OUTPUT_DIR}/${stem}.wasm)
      # reactor_*.c and proxy_*.c (proxy-wasm filters) are libraries
      # (exports, no main): `_initialize` runs their constructors. Guests may
      # include kiln's guest headers, <kiln/guest/*.h>.
      set(model)
      if(stem MATCHES "^(reactor|proxy)_")
        set(model -mexec-model=reactor)
      endif()
      add_custom_command(OUTPUT ${out}
        COMMAND ${KILN_WASI_CC} --target=wasm32-wasi ${model} -O2 -Wall -Wl,--strip-all
                -I${CMAKE_SOURCE_DIR}/include -o ${out} ${src}
        DEPENDS ${src} ${KILN_GUEST_HEADERS} COMMENT "clang --target=wasm32-wasi ${stem}.c" VERBATIM)
    elseif(ext STREQUAL ".wat")
      set(out ${ARG_OUTPUT_DIR}/${stem}.wasm)
      add_custom_command(OUTPUT ${out}
        COMMAND ${KILN_WAT2WASM} --enable-all -o ${out} ${src}
        DEPENDS ${src} COMMENT "wat2wasm ${stem}.wat" VERBATIM)
    elseif(ext STREQUAL ".wast")
      set(out ${ARG_OUTPUT_DIR}/${stem}.json)
      add_custom_command(OUTPUT ${out}
        COMMAND ${KILN_WAST2JSON} -o ${out} ${src}
        DEPENDS ${src} COMMENT "wast2json ${stem}.wast" VERBATIM)
    else()
      message(FATAL_ERROR "kiln_add_guests: don't know how to build ${src}")
    endif()
    list(APPEND outputs ${out})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
endfunction()
