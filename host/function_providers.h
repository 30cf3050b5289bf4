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
#include <vector>

#include "base/function_provider_names.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/module_info.h"
#include "kiln/result.h"
#include "kiln/store.h"

namespace kiln::host {

// The names, rules and files of providers (base/function_provider_names.h).
using base::function_provider;
using base::is_function_provider;
using base::kLargestAotProvider;
using base::provider_directory;
using base::provider_uses_memory_io;
using base::provider_uses_messagepack;
using base::read_provider;

// Instantiates `provider` (whose import module name is `name`) in `store`
// with `linker` (which must already hold WASI, the provider's own imports),
// then defines its exports in `linker` under `name`, and for
// shopify_function_v1 the API its functions call through the host.
Result<Instance> link_provider(const std::string& name, const Module& provider, Store& store, Linker& linker);

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
