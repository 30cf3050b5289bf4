// A Traffic Server transform that gathers a whole body (request or
// response), hands it to a filter once, and sends on what the filter left:
// how a proxy-wasm filter's body callback runs in the proxy, called once
// with the whole body and end_of_stream set, as a filter that buffers sees
// it. Traffic Server sends a transformed response chunked, so a body that
// changed length needs no Content-Length of ours.
#pragma once

#include <ts/ts.h>

#include <functional>
#include <string>

namespace kiln::ats {

// Changes `body` in place; false when the filter failed (then the body is
// dropped: nothing of a body a failed filter may have been meant to change
// goes on).
using BodyFilter = std::function<bool(std::string& body)>;

// hook: TS_HTTP_REQUEST_TRANSFORM_HOOK or TS_HTTP_RESPONSE_TRANSFORM_HOOK.
// A body longer than max_bytes is not gathered further: it is dropped, and
// `label` names it in the error log.
void add_body_transform(TSHttpTxn txn, TSHttpHookID hook, BodyFilter filter, size_t max_bytes, std::string label);

}  // namespace kiln::ats
