// proxy-wasm: a filter that fails on a request carrying x-crash, and
// otherwise adds x-survived: a proxy fails that request and carries on.
// x-crash: memory reads outside the filter's memory (a fault the runtime
// turns into a trap), x-crash: loop never returns (the deadline stops it),
// any other value reaches unreachable.
#include <string.h>

#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  char* crash = proxy_wasm_get_header(PROXY_REQUEST_HEADERS, "x-crash");
  if (crash && strcmp(crash, "memory") == 0) {
    volatile uint32_t* far = (volatile uint32_t*)0xfffffff0u;
    return *far;
  }
  if (crash && strcmp(crash, "loop") == 0) {
    for (volatile uint32_t spin = 0;; ++spin) {
    }
  }
  if (crash) __builtin_trap();
  proxy_wasm_add_header(PROXY_REQUEST_HEADERS, "x-survived", "yes");
  return PROXY_CONTINUE;
}
