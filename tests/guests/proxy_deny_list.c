// proxy-wasm: a deny list. The plugin's configuration holds one path prefix
// per line; a request whose :path starts with one is answered 403 by the
// proxy itself and counted in the metric denied_requests.
#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

#define MAX_PREFIXES 64
static char* prefixes[MAX_PREFIXES];
static int prefix_count;
static uint32_t denied_metric;

PROXY_WASM_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_id, uint32_t configuration_size) {
  (void)root_id, (void)configuration_size;
  size_t size = 0;
  char* config = proxy_wasm_get_buffer(PROXY_PLUGIN_CONFIGURATION, &size);
  if (!config || size == 0) {
    proxy_wasm_log(PROXY_LOG_ERROR, "deny list: the configuration is empty");
    free(config);
    return 0;  // refuse to start without a list
  }
  for (char* line = strtok(config, "\n"); line && prefix_count < MAX_PREFIXES; line = strtok(NULL, "\n")) {
    if (*line) prefixes[prefix_count++] = line;  // config stays allocated: the prefixes point into it
  }
  proxy_define_metric(PROXY_COUNTER, "denied_requests", strlen("denied_requests"), &denied_metric);
  return 1;
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  char* path = proxy_wasm_get_header(PROXY_REQUEST_HEADERS, ":path");
  if (!path) return PROXY_CONTINUE;
  uint32_t action = PROXY_CONTINUE;
  for (int i = 0; i < prefix_count; ++i) {
    if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) {
      proxy_wasm_send_local_response(403, "denied by kiln\n");
      proxy_increment_metric(denied_metric, 1);
      action = PROXY_PAUSE;
      break;
    }
  }
  free(path);
  return action;
}
