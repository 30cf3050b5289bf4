// Traffic Server's headers as proxy-wasm header maps, and back.
//
// A request map starts with the pseudo-headers Envoy gives filters
// (:method, :scheme, :authority, :path), a response map with :status; the
// fields follow in Traffic Server's order. After a callback, apply_*
// compares the map with the header in place and writes back only what the
// filter changed: fields appended at the end (the common case) are
// appended; any other change rewrites the fields from the first one that
// differs. A changed :path, :method or :status changes the request line or
// status line.
#pragma once

#include <ts/ts.h>

#include "host/proxy_wasm/proxy_wasm_abi.h"

namespace kiln::ats {

using host::proxy_wasm::HeaderMap;

HeaderMap read_request_headers(TSMBuffer buffer, TSMLoc header);
void apply_request_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map);

HeaderMap read_response_headers(TSMBuffer buffer, TSMLoc header);
void apply_response_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map);

// Appends `fields` to the header (a local response's headers).
void append_fields(TSMBuffer buffer, TSMLoc header, const HeaderMap& fields);

// Whether the request carries a body (Content-Length above 0, or chunked):
// proxy_on_request_headers' end_of_stream is its opposite.
bool request_has_body(const HeaderMap& request);

}  // namespace kiln::ats
