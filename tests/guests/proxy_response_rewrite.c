// proxy-wasm: a response header rewrite. The origin's Server header is
// replaced, X-Powered-By removed, and X-Frame-Options added.
#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

PROXY_WASM_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  proxy_wasm_replace_header(PROXY_RESPONSE_HEADERS, "server", "kiln");
  proxy_wasm_remove_header(PROXY_RESPONSE_HEADERS, "x-powered-by");
  proxy_wasm_add_header(PROXY_RESPONSE_HEADERS, "x-frame-options", "DENY");
  return PROXY_CONTINUE;
}
