// proxy-wasm: the seed's filter (seeds/002): read a request header and add
// one. The request's User-Agent comes back as x-kiln-agent; a request
// without one gets "none". It logs the agent at info, when the proxy keeps
// info lines.
#include <stdio.h>

#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  char* agent = proxy_wasm_get_header(PROXY_REQUEST_HEADERS, "user-agent");
  proxy_wasm_add_header(PROXY_REQUEST_HEADERS, "x-kiln-agent", agent ? agent : "none");
  if (proxy_wasm_log_enabled(PROXY_LOG_INFO)) {
    char line[256];
    snprintf(line, sizeof line, "request from %s", agent ? agent : "nobody");
    proxy_wasm_log(PROXY_LOG_INFO, line);
  }
  free(agent);
  return PROXY_CONTINUE;
}
