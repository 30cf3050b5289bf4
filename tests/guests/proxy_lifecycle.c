// proxy-wasm: the callbacks around the headers. vm-start asks for a tick
// every second and each tick counts in shared data (requests carry the
// count in x-ticks); the request body has
// "secret" redacted; the response body gets a trailer line; the plugin's
// name and the request's method (properties) go into request headers; log
// records each stream's end.
#include <stdio.h>

#include <kiln/guest/proxy_wasm.h>

PROXY_WASM_ABI_0_2_1

static unsigned long long ticks;

PROXY_WASM_EXPORT(proxy_on_vm_start)
uint32_t proxy_on_vm_start(uint32_t root_id, uint32_t vm_configuration_size) {
  (void)root_id, (void)vm_configuration_size;
  proxy_set_tick_period_milliseconds(1000);
  return 1;
}

PROXY_WASM_EXPORT(proxy_on_tick)
void proxy_on_tick(uint32_t root_id) {
  (void)root_id;
  char text[24];
  snprintf(text, sizeof text, "%llu", ++ticks);
  proxy_set_shared_data("ticks", 5, text, strlen(text), 0);
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id, (void)headers, (void)end_of_stream;
  char* name = NULL;
  size_t size = 0;
  if (proxy_get_property("plugin_name", 11, &name, &size) == PROXY_OK) {
    proxy_add_header_map_value(PROXY_REQUEST_HEADERS, "x-plugin", 8, name, size);
    free(name);
  }
  // How many ticks there have been, once there was one.
  char* count = NULL;
  uint32_t cas = 0;
  if (proxy_get_shared_data("ticks", 5, &count, &size, &cas) == PROXY_OK) {
    proxy_add_header_map_value(PROXY_REQUEST_HEADERS, "x-ticks", 7, count, size);
    free(count);
  }
  // A stream attribute, with its path segments NUL-separated as the ABI has them.
  if (proxy_get_property("request\0method", 14, &name, &size) == PROXY_OK) {
    proxy_add_header_map_value(PROXY_REQUEST_HEADERS, "x-method", 8, name, size);
    free(name);
  }
  return PROXY_CONTINUE;
}

PROXY_WASM_EXPORT(proxy_on_request_body)
uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  (void)context_id;
  if (!end_of_stream) return PROXY_PAUSE;  // wait for the whole body
  char* body = NULL;
  size_t got = 0;
  if (proxy_get_buffer_bytes(PROXY_REQUEST_BODY, 0, body_size, &body, &got) != PROXY_OK) return PROXY_CONTINUE;
  for (size_t i = 0; i + 6 <= got; ++i) {
    if (memcmp(body + i, "secret", 6) == 0) {
      proxy_set_buffer_bytes(PROXY_REQUEST_BODY, i, 6, "[redacted]", 10);
      break;
    }
  }
  free(body);
  return PROXY_CONTINUE;
}

PROXY_WASM_EXPORT(proxy_on_response_body)
uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  (void)context_id;
  if (end_of_stream) proxy_set_buffer_bytes(PROXY_RESPONSE_BODY, body_size, 0, "\n<!-- kiln -->", 14);
  return PROXY_CONTINUE;
}

PROXY_WASM_EXPORT(proxy_on_log)
void proxy_on_log(uint32_t context_id) {
  char line[48];
  snprintf(line, sizeof line, "stream %u ended", (unsigned)context_id);
  proxy_wasm_log(PROXY_LOG_INFO, line);
}
