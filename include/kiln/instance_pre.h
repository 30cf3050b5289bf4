// InstancePre: a Module whose imports have been resolved through a Linker
// once. Instantiating it does no name lookups and no type checks, only the
// work a fresh instance needs, so it is what hot paths and instance pools
// instantiate from. Immutable; copies share it; usable from many threads
// (each instantiating into its own Store).
#pragma once

#include <memory>
#include <optional>

#include "kiln/instance.h"
#include "kiln/module.h"
#include "kiln/result.h"
#include "kiln/trap.h"

namespace kiln {

class Linker;
class Store;

class InstancePre {
 public:
  // Fails with a message naming the first import the linker does not
  // define or defines with another type. Only host functions can be
  // resolved ahead of a Store: an import the linker satisfies with a
  // Store's item (Extern) is an error here; use Store::instantiate.
  static Result<InstancePre> create(const Module& module, const Linker& linker);

  const Module& module() const;

  // Instantiates into `store`, runs the start function and then, for a
  // reactor module (one exporting `_initialize`), `_initialize` unless
  // `initialize` is false (the caller runs initialize() itself, as a pool
  // that snapshots memory between the two does). When either traps, fails
  // with the trap's description and sets `trap`.
  Result<Instance> instantiate(Store& store, std::optional<Trap>* trap = nullptr, bool initialize = true) const;

  // Exports `_initialize: () -> ()`.
  bool is_reactor() const;

  // Runs `_initialize` on an instance of this module (reset by a pool, for
  // instance) when the module is a reactor; nothing otherwise.
  Result<void> initialize(const Instance& instance, std::optional<Trap>* trap = nullptr) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit InstancePre(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln
