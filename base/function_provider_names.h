// Shopify's provider modules by name: the libraries a Shopify Function
// imports by module name instead of carrying them (Javy's QuickJS engine,
// the Functions JavaScript runtime, the Wasm API), as function-runner
// knows them, and where they are read from. Names and files only: linking
// a provider is host/function_providers.h's; the deploy and the extension
// point's import rules use these too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln::base {

// True for the import module names function-runner knows:
// javy_quickjs_provider_v1..v3, shopify_functions_javy_v1..v4 and
// shopify_function_v1..v2.
bool is_function_provider(std::string_view import_module);

// Providers that exchange input and output through their own memory
// (shopify_functions_javy_v3 and later, shopify_function_v2 and later): a
// function using one may not also import WASI, as function-runner rules.
bool provider_uses_memory_io(std::string_view provider);

// Providers whose functions read and write MessagePack instead of JSON
// (function-runner's rule): shopify_function_v1 and later,
// shopify_functions_javy_v2 and later.
bool provider_uses_messagepack(std::string_view provider);

// The one provider `function` imports, or nullopt. Refuses (Link) a module
// importing two different providers, or a memory-I/O provider together
// with WASI, naming the imports.
Result<std::optional<std::string>> function_provider(const ModuleInfo& function);

// The provider directory: `flag` when given, else $KILN_PROVIDERS, else empty.
std::string provider_directory(const std::string& flag);

// The provider `name` read from `directory`: an Io error naming the import
// and the directory searched when it is not there.
Result<std::vector<uint8_t>> read_provider(const std::string& directory, const std::string& name);

// The function and its provider run on one engine: kiln's AOT backend
// cannot link an AOT instance to one on the interpreter. Two kinds of
// provider stay on the interpreter, and the function with them:
//  - SIMD ones (javy_quickjs_provider_v2/v3, shopify_functions_javy_v1),
//    which WABT 1.0.32's C writer cannot translate;
//  - QuickJS-sized ones (over kLargestAotProvider bytes): wasm2c makes 13+
//    MB of C of them, more than the C compiler builds within the 120 s the
//    AOT backend allows it (measured: javy_quickjs_provider_v1).
inline constexpr uint64_t kLargestAotProvider = uint64_t{1} << 20;

}  // namespace kiln::base
