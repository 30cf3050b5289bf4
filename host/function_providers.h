// Shopify's provider modules: the libraries a Shopify Function imports by
// module name instead of carrying them (Javy's QuickJS engine, the
// Functions JavaScript runtime, the Wasm API). A function that imports
// `javy_quickjs_provider_v3.invoke` gets an instance of the provider
// `javy_quickjs_provider_v3.wasm`, made in the function's own Store (so one
// fuel budget, one deadline and one set of WASI streams cover both) and
// defined in the function's Linker under that name.
//
// The provider files are Shopify's: kiln finds them in a provider
// directory (`--providers DIR`, else $KILN_PROVIDERS) and never ships them.
// FunctionProviders compiles each one once per Engine (the aot backend's
// artifact cache keeps the native code across processes); it is not
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/module_info.h"
#include "kiln/result.h"
#include "kiln/store.h"

namespace kiln::host {

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

class FunctionProviders {
 public:
  FunctionProviders(Engine engine, std::string directory);

  const std::string& directory() const { return directory_; }

  // The compiled provider `<directory>/<name>.wasm`, compiled on first use.
  // A missing file is an Io error naming the import and the directory.
  Result<Module> provider(const std::string& name);

  // Instantiates the provider `function` imports (if any) in `store` with
  // `linker` (which must already hold WASI, the provider's own imports),
  // then defines its exports in `linker` under the provider's name. Returns
  // the provider's instance, or nullopt for a function that needs none.
  Result<std::optional<Instance>> link(const Module& function, Store& store, Linker& linker);

 private:
  Engine engine_;
  std::string directory_;
  std::map<std::string, Module, std::less<>> compiled_;
};

}  // namespace kiln::host
