// Traffic Server's headers as proxy-wasm header maps: in place (TsHeaders,
// which a filter works on directly), or copied out and written back
// (read_* and apply_*, which TsHeaders uses for the whole-map calls).
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

#include <cstdint>

#include "host/proxy_wasm/proxy_wasm_abi.h"

namespace kiln::ats {

using host::proxy_wasm::HeaderMap;
using host::proxy_wasm::HeaderMapAccess;

// A request's or a response's headers in place. For a request, :method,
// :scheme, :authority and :path are its request line and Host; for a
// response, :status is the status line's code. Other names are Traffic
// Server's fields, found without case as it finds them.
class TsHeaders final : public HeaderMapAccess {
 public:
  enum class Side { Request, Response };
  TsHeaders(Side side, TSMBuffer buffer, TSMLoc header) : side_(side), buffer_(buffer), header_(header) {}
  size_t count() const override;
  std::optional<std::string> get(std::string_view name) const override;
  void add(std::string_view name, std::string_view value) override;
  void replace(std::string_view name, std::string_view value) override;
  void remove(std::string_view name) override;
  HeaderMap pairs() const override;
  void set_pairs(HeaderMap pairs) override;

 private:
  Side side_;
  TSMBuffer buffer_;
  TSMLoc header_;
};

HeaderMap read_request_headers(TSMBuffer buffer, TSMLoc header);
void apply_request_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map);

HeaderMap read_response_headers(TSMBuffer buffer, TSMLoc header);
void apply_response_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map);

// Whether the request carries a body (Content-Length above 0, or chunked):
// proxy_on_request_headers' end_of_stream is its opposite.
bool request_has_body(TSMBuffer buffer, TSMLoc header);
// Its Content-Length, or 0 when it has none (or an unreadable one).
uint64_t content_length(TSMBuffer buffer, TSMLoc header);

}  // namespace kiln::ats
