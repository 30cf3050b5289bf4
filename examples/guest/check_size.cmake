# cmake -DMODULE=x.wasm -DMAX_BYTES=N -P check_size.cmake: fails when the
# module is larger than the extension point would accept (its max_module).
file(SIZE ${MODULE} size)
if(size GREATER MAX_BYTES)
  file(REMOVE ${MODULE})
  message(FATAL_ERROR "${MODULE} is ${size} bytes, over the ${MAX_BYTES} an extension point accepts")
endif()
