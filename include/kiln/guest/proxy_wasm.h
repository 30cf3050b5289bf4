/* proxy_wasm.h: a small C header for proxy-wasm filters (ABI 0.2.1), built
 * with clang --target=wasm32-wasi -mexec-model=reactor. It declares the
 * host functions a proxy (kiln's proxy-wasm host, host/proxy_wasm/) offers
 * under the "env" module, the ABI's constants, and a few helpers over
 * NUL-terminated strings.
 *
 * A filter defines the callbacks it needs (proxy_on_request_headers, ...),
 * and once, in one file:
 *
 *     PROXY_WASM_ABI_0_2_1
 *
 * which exports the ABI's version marker and the allocator the host calls
 * to hand the filter a value (proxy_on_memory_allocate, over malloc).
 * Values the host returns (a header's value, a buffer) are malloc'ed: the
 * filter frees them. */
#ifndef KILN_GUEST_PROXY_WASM_H
#define KILN_GUEST_PROXY_WASM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_WASM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define PROXY_WASM_EXPORT(name) __attribute__((export_name(#name)))

typedef enum {
  PROXY_OK = 0,
  PROXY_NOT_FOUND = 1,
  PROXY_BAD_ARGUMENT = 2,
  PROXY_PARSE_FAILURE = 4,
  PROXY_INVALID_MEMORY_ACCESS = 6,
  PROXY_EMPTY = 7,
  PROXY_CAS_MISMATCH = 8,
  PROXY_INTERNAL_FAILURE = 10,
  PROXY_UNIMPLEMENTED = 12
} proxy_status_t;

typedef enum {
  PROXY_REQUEST_HEADERS = 0,
  PROXY_REQUEST_TRAILERS = 1,
  PROXY_RESPONSE_HEADERS = 2,
  PROXY_RESPONSE_TRAILERS = 3
} proxy_map_type_t;

typedef enum {
  PROXY_REQUEST_BODY = 0,
  PROXY_RESPONSE_BODY = 1,
  PROXY_VM_CONFIGURATION = 6,
  PROXY_PLUGIN_CONFIGURATION = 7
} proxy_buffer_type_t;

typedef enum { PROXY_CONTINUE = 0, PROXY_PAUSE = 1 } proxy_action_t;

typedef enum {
  PROXY_LOG_TRACE = 0,
  PROXY_LOG_DEBUG = 1,
  PROXY_LOG_INFO = 2,
  PROXY_LOG_WARN = 3,
  PROXY_LOG_ERROR = 4,
  PROXY_LOG_CRITICAL = 5
} proxy_log_level_t;

typedef enum { PROXY_COUNTER = 0, PROXY_GAUGE = 1, PROXY_HISTOGRAM = 2 } proxy_metric_type_t;

/* ---- the host's functions ------------------------------------------------ */

PROXY_WASM_IMPORT(proxy_log) proxy_status_t proxy_log(uint32_t level, const char* message, size_t size);
PROXY_WASM_IMPORT(proxy_get_log_level) proxy_status_t proxy_get_log_level(uint32_t* level);
PROXY_WASM_IMPORT(proxy_set_tick_period_milliseconds) proxy_status_t proxy_set_tick_period_milliseconds(uint32_t ms);
PROXY_WASM_IMPORT(proxy_get_current_time_nanoseconds) proxy_status_t proxy_get_current_time_nanoseconds(uint64_t* ns);
PROXY_WASM_IMPORT(proxy_get_property)
proxy_status_t proxy_get_property(const char* path, size_t path_size, char** value, size_t* value_size);
PROXY_WASM_IMPORT(proxy_set_property)
proxy_status_t proxy_set_property(const char* path, size_t path_size, const char* value, size_t value_size);
PROXY_WASM_IMPORT(proxy_get_header_map_pairs)
proxy_status_t proxy_get_header_map_pairs(uint32_t map, char** pairs, size_t* size);
PROXY_WASM_IMPORT(proxy_set_header_map_pairs)
proxy_status_t proxy_set_header_map_pairs(uint32_t map, const char* pairs, size_t size);
PROXY_WASM_IMPORT(proxy_get_header_map_value)
proxy_status_t proxy_get_header_map_value(uint32_t map, const char* name, size_t name_size, char** value,
                                          size_t* value_size);
PROXY_WASM_IMPORT(proxy_add_header_map_value)
proxy_status_t proxy_add_header_map_value(uint32_t map, const char* name, size_t name_size, const char* value,
                                          size_t value_size);
PROXY_WASM_IMPORT(proxy_replace_header_map_value)
proxy_status_t proxy_replace_header_map_value(uint32_t map, const char* name, size_t name_size, const char* value,
                                              size_t value_size);
PROXY_WASM_IMPORT(proxy_remove_header_map_value)
proxy_status_t proxy_remove_header_map_value(uint32_t map, const char* name, size_t name_size);
PROXY_WASM_IMPORT(proxy_get_header_map_size) proxy_status_t proxy_get_header_map_size(uint32_t map, size_t* size);
PROXY_WASM_IMPORT(proxy_get_buffer_bytes)
proxy_status_t proxy_get_buffer_bytes(uint32_t buffer, size_t start, size_t max_size, char** data, size_t* size);
PROXY_WASM_IMPORT(proxy_get_buffer_status)
proxy_status_t proxy_get_buffer_status(uint32_t buffer, size_t* length, uint32_t* flags);
PROXY_WASM_IMPORT(proxy_set_buffer_bytes)
proxy_status_t proxy_set_buffer_bytes(uint32_t buffer, size_t start, size_t size, const char* data, size_t data_size);
PROXY_WASM_IMPORT(proxy_send_local_response)
proxy_status_t proxy_send_local_response(uint32_t status, const char* details, size_t details_size, const char* body,
                                         size_t body_size, const char* headers, size_t headers_size,
                                         int32_t grpc_status);
PROXY_WASM_IMPORT(proxy_get_shared_data)
proxy_status_t proxy_get_shared_data(const char* key, size_t key_size, char** value, size_t* value_size,
                                     uint32_t* cas);
PROXY_WASM_IMPORT(proxy_set_shared_data)
proxy_status_t proxy_set_shared_data(const char* key, size_t key_size, const char* value, size_t value_size,
                                     uint32_t cas);
PROXY_WASM_IMPORT(proxy_define_metric)
proxy_status_t proxy_define_metric(uint32_t type, const char* name, size_t name_size, uint32_t* id);
PROXY_WASM_IMPORT(proxy_increment_metric) proxy_status_t proxy_increment_metric(uint32_t id, int64_t offset);
PROXY_WASM_IMPORT(proxy_record_metric) proxy_status_t proxy_record_metric(uint32_t id, uint64_t value);
PROXY_WASM_IMPORT(proxy_get_metric) proxy_status_t proxy_get_metric(uint32_t id, uint64_t* value);

/* ---- the exports every filter needs ---------------------------------------- */

#define PROXY_WASM_ABI_0_2_1                                                              \
  PROXY_WASM_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}        \
  PROXY_WASM_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) { \
    return malloc(size);                                                                  \
  }

/* ---- helpers over NUL-terminated strings ----------------------------------- */

static inline void proxy_wasm_log(proxy_log_level_t level, const char* message) {
  proxy_log(level, message, strlen(message));
}

/* Whether the proxy keeps lines at `level`: check before formatting one, so
 * a line nobody reads costs one host call, not a format and a copy. */
static inline int proxy_wasm_log_enabled(proxy_log_level_t level) {
  uint32_t current = PROXY_LOG_TRACE;
  return proxy_get_log_level(&current) != PROXY_OK || (uint32_t)level >= current;
}

/* The value of header `name` in `map`, malloc'ed and NUL-terminated (free
 * it), or NULL when the map has no such header. */
static inline char* proxy_wasm_get_header(proxy_map_type_t map, const char* name) {
  char* value = NULL;
  size_t size = 0;
  if (proxy_get_header_map_value(map, name, strlen(name), &value, &size) != PROXY_OK) return NULL;
  char* text = (char*)malloc(size + 1);
  if (size) memcpy(text, value, size);
  text[size] = '\0';
  free(value);
  return text;
}

static inline proxy_status_t proxy_wasm_add_header(proxy_map_type_t map, const char* name, const char* value) {
  return proxy_add_header_map_value(map, name, strlen(name), value, strlen(value));
}

static inline proxy_status_t proxy_wasm_replace_header(proxy_map_type_t map, const char* name, const char* value) {
  return proxy_replace_header_map_value(map, name, strlen(name), value, strlen(value));
}

static inline proxy_status_t proxy_wasm_remove_header(proxy_map_type_t map, const char* name) {
  return proxy_remove_header_map_value(map, name, strlen(name));
}

/* The whole buffer, malloc'ed and NUL-terminated (free it); *size gets its
 * length. NULL when there is none. */
static inline char* proxy_wasm_get_buffer(proxy_buffer_type_t buffer, size_t* size) {
  size_t length = 0;
  uint32_t flags = 0;
  if (proxy_get_buffer_status(buffer, &length, &flags) != PROXY_OK) return NULL;
  char* data = NULL;
  size_t got = 0;
  if (length && proxy_get_buffer_bytes(buffer, 0, length, &data, &got) != PROXY_OK) return NULL;
  char* text = (char*)malloc(got + 1);
  if (got) memcpy(text, data, got);
  text[got] = '\0';
  free(data);
  if (size) *size = got;
  return text;
}

/* Answers the request with `status` and `body` instead of forwarding it. */
static inline proxy_status_t proxy_wasm_send_local_response(uint32_t status, const char* body) {
  return proxy_send_local_response(status, "", 0, body, strlen(body), NULL, 0, -1);
}

#endif
