// proxy-wasm: a counter every VM shares, through shared data with
// compare-and-swap: each request increments "requests" (retrying when
// another VM wrote in between) and carries the count in x-request-count.
#include <stdio.h>

#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

static const char kKey[] = "requests";

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  char text[24];
  for (;;) {
    char* value = NULL;
    size_t size = 0;
    uint32_t cas = 0;
    unsigned long long count = 0;
    if (proxy_get_shared_data(kKey, strlen(kKey), &value, &size, &cas) == PROXY_OK && size < sizeof text) {
      memcpy(text, value, size);
      text[size] = '\0';
      count = strtoull(text, NULL, 10);
    }
    free(value);
    snprintf(text, sizeof text, "%llu", count + 1);
    proxy_status_t set = proxy_set_shared_data(kKey, strlen(kKey), text, strlen(text), cas);
    if (set == PROXY_OK) break;
    if (set != PROXY_CAS_MISMATCH) return PROXY_CONTINUE;
  }
  proxy_wasm_add_header(PROXY_REQUEST_HEADERS, "x-request-count", text);
  return PROXY_CONTINUE;
}
