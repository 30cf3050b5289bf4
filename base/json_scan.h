// One streaming pass over JSON from an untrusted source (an execute input,
// a guest's output, a partner's config) before anything recursive sees it:
// RapidJSON's SAX reader in its iterative mode checks the syntax and the
// UTF-8, refuses nesting deeper than a limit (schema validators recurse,
// and a hostile "[[[[..." must not overflow the host's stack), and notes
// the root's kind and whether it has a top-level "config" member. It builds
// nothing and allocates only the reader's small stack.
#pragma once

#include <string_view>

#include "kiln/result.h"

namespace kiln::base {

// Deep enough for any real document; shallow enough for the recursion of
// every consumer on a 256 KiB thread stack.
inline constexpr int kMaxJsonDepth = 128;

struct JsonScan {
  bool root_is_object = false;
  bool has_config_member = false;  // a top-level "config"
};

// Errors are of `kind`, with the byte offset in `where.offset`:
// "<what> is not JSON at offset N: <why>", "<what> nests deeper than 128
// levels at offset N".
Result<JsonScan> scan_json(std::string_view text, ErrorKind kind, std::string_view what,
                           int max_depth = kMaxJsonDepth);

}  // namespace kiln::base
