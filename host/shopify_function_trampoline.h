// The guest side of Shopify's `shopify_function_v1` Wasm API, linked onto
// the provider instance: what function-runner gets by rewriting a function
// with its trampoline tool, kiln does when it links.
//
// A function written against the API imports `shopify_function_v1.<name>`
// (shopify_function_input_get, ..._output_new_utf8_str, ...). The provider
// exports the same operations as `_<name>`, but some of them take or give
// pointers into the provider's own memory: an object key to look up, a
// string to intern or to write out, the bytes of an input string. A guest
// with one memory (anything clang builds) cannot reach that memory, and the
// AOT backend runs no multi-memory module, so those four are host functions
// here that call the provider and copy the bytes between the two memories.
// Every other name is the provider's export itself, a direct cross-instance
// call. docs/abi.md ("shopify_function_v1") describes the whole interface.
#pragma once

#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/result.h"

namespace kiln::host {

// The import module a function of this API imports from.
inline constexpr const char* kShopifyFunctionV1 = "shopify_function_v1";

// Defines the guest-facing `shopify_function_v1` functions in `linker`, on
// top of `provider` (an instance of shopify_function_v1.wasm in the Store the
// function will be instantiated in). Fails (Link) when the provider lacks an
// export the API needs, or has it with another type, naming it.
Result<void> define_shopify_function_v1(Linker& linker, const Instance& provider);

}  // namespace kiln::host
