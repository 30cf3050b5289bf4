#include "backends/interp/interp_backend.h"

#include <map>

#include "backends/interp/interp_values.h"
#include "kiln/store.h"
#include "runtime/host_call.h"
#include "wabt/binary-reader.h"
#include "wabt/error-formatter.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wasm/decoder.h"
#include "wasm/value_types.h"

namespace kiln::backends {

namespace {

using namespace interp;

struct InterpModule final : runtime::BackendModule {
  wi::ModuleDesc desc;
};

// What a host function sees when the interpreter calls it.
class InterpHostContext final : public HostContext {
 public:
  InterpHostContext(wi::Thread& thread, Store& store) : thread_(thread), store_(store) {}

  std::span<uint8_t> memory() override {
    wi::Instance* caller = thread_.GetCallerInstance();
    if (!caller || caller->memories().empty()) return {};
    auto memory = thread_.store().UnsafeGet<wi::Memory>(caller->memories()[0]);
    return {memory->UnsafeData(), static_cast<size_t>(memory->ByteSize())};
  }
  Store& store() override { return store_; }

 private:
  wi::Thread& thread_;
  Store& store_;
};

class InterpStore final : public runtime::BackendStore {
 public:
  InterpStore(Store& owner) : owner_(owner), store_(wasm::accepted_features()), refs_(store_) {}

  Result<uint32_t> instantiate(const runtime::BackendModule& module, std::span<const Extern> imports,
                               const runtime::InstantiateOptions& options, std::optional<Trap>* out_trap) override;

  std::optional<Extern> instance_export(uint32_t index, std::string_view name) const override;
  std::optional<Extern> instance_memory(uint32_t index) const override;

  Extern new_host_func(const HostFunc& func) override;
  Extern new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) override;
  Extern new_table(ValType element, uint32_t min, std::optional<uint32_t> max) override;
  Extern new_global(Value value, bool is_mutable) override;

  Value global_get(Extern global) const override;
  void global_set(Extern global, Value value) override;
  std::span<uint8_t> memory_data(Extern memory) const override;
  CallResult call(Extern func, std::span<const Value> args) override;
  FuncType func_type(Extern func) const override;
  std::optional<uint64_t> memory_grow(Extern memory, uint64_t delta_pages, uint64_t max_pages) override;

 private:
  Result<wi::Module::Ptr> module_for(const InterpModule& module, uint64_t max_pages);
  std::optional<std::string> check_imports(wi::Module& module, const wi::RefVec& imports);
  CallResult finish_trapped_call(const wi::Trap::Ptr& trap);
  Trap trap_from(const wi::Trap::Ptr& trap);

  static wi::Ref ref_of(Extern item) { return wi::Ref{static_cast<size_t>(item.handle)}; }
  static Extern extern_of(ExternKind kind, wi::Ref ref) { return Extern{kind, ref.index}; }

  Store& owner_;
  wi::Store store_;
  mutable RefMapper refs_;
  std::vector<wi::Instance::Ptr> instances_;
  std::vector<wi::Object::Ptr> host_items_;  // roots for host-made objects
  std::optional<wi::Thread> thread_;  // for outermost calls
  bool thread_busy_ = false;
  // Module objects of this store, per backend module and memory cap.
  std::map<std::pair<const InterpModule*, uint64_t>, wi::Module::Ptr> modules_;
  // Set by a host function that trapped or exited, read when the call unwinds.
  std::optional<HostResult> host_outcome_;
};

ExternKind kind_of(wi::ExternKind kind) {
  switch (kind) {
    case wi::ExternKind::Func: return ExternKind::Func;
    case wi::ExternKind::Table: return ExternKind::Table;
    case wi::ExternKind::Memory: return ExternKind::Memory;
    default: return ExternKind::Global;
  }
}

Result<wi::Module::Ptr> InterpStore::module_for(const InterpModule& module, uint64_t max_pages) {
  auto key = std::make_pair(&module, max_pages);
  if (auto it = modules_.find(key); it != modules_.end()) return it->second;
  wi::ModuleDesc desc = module.desc;
  for (size_t i = 0; i < desc.memories.size(); ++i) {
    wabt::Limits& limits = desc.memories[i].type.limits;
    if (limits.initial > max_pages) {
      return make_error(ErrorKind::Link, "memory " + std::to_string(i) + " starts at " + std::to_string(limits.initial) +
                        " pages, over the memory limit of " + std::to_string(max_pages) + " pages");
    }
    if (!limits.has_max || limits.max > max_pages) {
      limits.max = max_pages;
      limits.has_max = true;
    }
  }
  auto object = wi::Module::New(store_, std::move(desc));
  modules_.emplace(key, object);
  return object;
}

Result<uint32_t> InterpStore::instantiate(const runtime::BackendModule& module, std::span<const Extern> imports,
                                          const runtime::InstantiateOptions& options,
                                          std::optional<Trap>* out_trap) {
  auto object = module_for(static_cast<const InterpModule&>(module), options.max_memory_pages);
  if (!object) return object.error();
  wi::RefVec refs;
  for (const Extern& item : imports) refs.push_back(ref_of(item));
  if (auto error = check_imports(**object, refs)) return make_error(ErrorKind::Link, *error);
  wi::Trap::Ptr trap;
  host_outcome_.reset();
  auto instance = wi::Instance::Instantiate(store_, object->ref(), refs, &trap);
  if (!instance || trap) {
    // Imports matched above, so what failed is initialization: a segment
    // out of bounds or the start function.
    Trap kiln_trap = trap ? finish_trapped_call(trap).trap : Trap{TrapKind::HostError, "instantiation failed"};
    *out_trap = kiln_trap;
    return make_error(error_kind(kiln_trap.kind), "instantiation trapped: " + kiln_trap.describe());
  }
  instances_.push_back(instance);
  return static_cast<uint32_t>(instances_.size() - 1);
}

// Link errors (a missing import, a mismatched type or limits) are checked
// before instantiating, with WABT's own matching rules, so they are never
// mistaken for traps in initialization.
std::optional<std::string> InterpStore::check_imports(wi::Module& module, const wi::RefVec& imports) {
  const auto& types = module.import_types();
  if (types.size() != imports.size()) return "expected " + std::to_string(types.size()) + " imports";
  for (size_t i = 0; i < types.size(); ++i) {
    wi::Extern::Ptr item;
    if (!wabt::Succeeded(store_.Get(imports[i], &item))) return "import " + types[i].module + "." + types[i].name + " is not an extern";
    wi::Trap::Ptr trap;
    if (!wabt::Succeeded(item->Match(store_, types[i], &trap))) {
      return "incompatible import type for " + types[i].module + "." + types[i].name + ": " +
             (trap ? trap->message() : std::string("mismatch"));
    }
  }
  return std::nullopt;
}

std::optional<Extern> InterpStore::instance_export(uint32_t index, std::string_view name) const {
  const wi::Instance::Ptr& instance = instances_[index];
  auto module = const_cast<wi::Store&>(store_).UnsafeGet<wi::Module>(instance->module());
  const auto& exports = module->export_types();
  for (size_t i = 0; i < exports.size(); ++i) {
    if (exports[i].name == name) return extern_of(kind_of(exports[i].type->kind), instance->exports()[i]);
  }
  return std::nullopt;
}

std::optional<Extern> InterpStore::instance_memory(uint32_t index) const {
  const auto& memories = instances_[index]->memories();
  if (memories.empty()) return std::nullopt;
  return extern_of(ExternKind::Memory, memories[0]);
}

Extern InterpStore::new_host_func(const HostFunc& func) {
  FuncType type = func.type;
  HostCallback callback = func.callback;
  auto object = wi::HostFunc::New(
      store_, to_wabt(type),
      [this, type, callback](wi::Thread& thread, const wi::Values& params, wi::Values& results,
                             wi::Trap::Ptr* out_trap) -> wabt::Result {
        std::vector<Value> args(params.size());
        for (size_t i = 0; i < params.size(); ++i) args[i] = refs_.to_kiln(to_wabt(type.params[i]), params[i]);
        std::vector<Value> outs(type.results.size());
        for (size_t i = 0; i < outs.size(); ++i) outs[i].type = type.results[i];
        InterpHostContext context(thread, owner_);
        HostResult outcome = runtime::call_host_function(callback, context, args, outs);
        if (outcome.status != HostResult::Status::Ok) {
          *out_trap = wi::Trap::New(store_, outcome.status == HostResult::Status::Exit ? "exit" : outcome.trap.message);
          host_outcome_ = std::move(outcome);
          return wabt::Result::Error;
        }
        for (size_t i = 0; i < outs.size(); ++i) results[i] = refs_.to_wabt(outs[i]);
        return wabt::Result::Ok;
      });
  host_items_.push_back(object);
  return extern_of(ExternKind::Func, object.ref());
}

Extern InterpStore::new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) {
  wabt::Limits limits = max_pages ? wabt::Limits(min_pages, *max_pages) : wabt::Limits(min_pages);
  auto object = wi::Memory::New(store_, wi::MemoryType(limits));
  host_items_.push_back(object);
  return extern_of(ExternKind::Memory, object.ref());
}

Extern InterpStore::new_table(ValType element, uint32_t min, std::optional<uint32_t> max) {
  wabt::Limits limits = max ? wabt::Limits(min, *max) : wabt::Limits(min);
  auto object = wi::Table::New(store_, wi::TableType(to_wabt(element), limits));
  host_items_.push_back(object);
  return extern_of(ExternKind::Table, object.ref());
}

Extern InterpStore::new_global(Value value, bool is_mutable) {
  wi::GlobalType type(to_wabt(value.type), is_mutable ? wi::Mutability::Var : wi::Mutability::Const);
  auto object = wi::Global::New(store_, type, refs_.to_wabt(value));
  host_items_.push_back(object);
  return extern_of(ExternKind::Global, object.ref());
}

Value InterpStore::global_get(Extern global) const {
  auto object = const_cast<wi::Store&>(store_).UnsafeGet<wi::Global>(ref_of(global));
  return refs_.to_kiln(object->type().type, object->Get());
}

void InterpStore::global_set(Extern global, Value value) {
  auto object = store_.UnsafeGet<wi::Global>(ref_of(global));
  object->UnsafeSet(refs_.to_wabt(value));
}

std::span<uint8_t> InterpStore::memory_data(Extern memory) const {
  auto object = const_cast<wi::Store&>(store_).UnsafeGet<wi::Memory>(ref_of(memory));
  return {object->UnsafeData(), static_cast<size_t>(object->ByteSize())};
}

FuncType InterpStore::func_type(Extern func) const {
  auto object = const_cast<wi::Store&>(store_).UnsafeGet<wi::Func>(ref_of(func));
  FuncType type;
  for (wabt::Type param : object->type().params) type.params.push_back(*wasm::to_val_type(param));
  for (wabt::Type result : object->type().results) type.results.push_back(*wasm::to_val_type(result));
  return type;
}

std::optional<uint64_t> InterpStore::memory_grow(Extern memory, uint64_t delta_pages, uint64_t max_pages) {
  auto object = store_.UnsafeGet<wi::Memory>(ref_of(memory));
  uint64_t before = object->PageSize();
  if (delta_pages > max_pages || before > max_pages - delta_pages) return std::nullopt;
  if (!wabt::Succeeded(object->Grow(delta_pages))) return std::nullopt;
  return before;
}

Trap InterpStore::trap_from(const wi::Trap::Ptr& trap) {
  return Trap{classify_trap(trap->message()), trap->message()};
}

CallResult InterpStore::finish_trapped_call(const wi::Trap::Ptr& trap) {
  CallResult result;
  if (host_outcome_ && host_outcome_->status == HostResult::Status::Exit) {
    result.status = CallResult::Status::Exited;
    result.exit_code = host_outcome_->exit_code;
  } else {
    result.status = CallResult::Status::Trapped;
    result.trap = host_outcome_ ? host_outcome_->trap : trap_from(trap);
  }
  host_outcome_.reset();
  return result;
}

CallResult InterpStore::call(Extern func, std::span<const Value> args) {
  CallResult result;
  wi::Func::Ptr object;
  if (func.kind != ExternKind::Func || !wabt::Succeeded(store_.Get(ref_of(func), &object))) {
    result.status = CallResult::Status::Failed;
    result.error = "not a function";
    return result;
  }
  const wi::FuncType& type = object->type();
  if (args.size() != type.params.size()) {
    result.status = CallResult::Status::Failed;
    result.error = "expected " + std::to_string(type.params.size()) + " arguments, got " + std::to_string(args.size());
    return result;
  }
  wi::Values params;
  for (size_t i = 0; i < args.size(); ++i) {
    if (to_wabt(args[i].type) != type.params[i]) {
      result.status = CallResult::Status::Failed;
      result.error = "argument " + std::to_string(i) + " has type " + to_string(args[i].type) + ", expected " +
                     type.params[i].GetName();
      return result;
    }
    params.push_back(refs_.to_wabt(args[i]));
  }
  wi::Values results;
  wi::Trap::Ptr trap;
  host_outcome_.reset();
  // A Thread reserves two 64 KiB stacks: the outermost call reuses one kept
  // per store; a call made from inside a host function gets its own. A trap
  // can leave frames on a Thread's stacks, so a Thread that saw one is
  // dropped.
  std::optional<wi::Thread> nested;
  bool outermost = !thread_busy_;
  if (outermost && !thread_) thread_.emplace(store_);
  wi::Thread& thread = outermost ? *thread_ : nested.emplace(store_);
  thread_busy_ = true;
  struct Release {
    bool& busy;
    bool outermost;
    ~Release() { if (outermost) busy = false; }
  } release{thread_busy_, outermost};
  // WABT 1.0.32 can report success yet set the trap (a frame push that
  // overflows the call stack inside call_indirect): the trap wins.
  if (!wabt::Succeeded(object->Call(thread, params, results, &trap)) || trap) {
    if (outermost) thread_.reset();
    return finish_trapped_call(trap);
  }
  for (size_t i = 0; i < results.size(); ++i) result.values.push_back(refs_.to_kiln(type.results[i], results[i]));
  return result;
}

class InterpBackend final : public runtime::Backend {
 public:
  std::string_view name() const override { return "interp"; }

  Result<std::shared_ptr<const runtime::BackendModule>> load(std::span<const uint8_t> wasm,
                                                            std::string_view name) const override {
    auto module = std::make_shared<InterpModule>();
    wabt::Errors errors;
    wabt::ReadBinaryOptions options(wasm::accepted_features(), nullptr, /*read_debug_names=*/false,
                                    /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
    auto result = wi::ReadBinaryInterp(std::string(name), wasm.data(), wasm.size(), options, &errors, &module->desc);
    if (!wabt::Succeeded(result)) {
      std::string message = errors.empty() ? "cannot load module" : errors.front().message;
      return make_error(ErrorKind::InvalidModule, std::string(name) + ": interpreter: " + message);
    }
    return std::shared_ptr<const runtime::BackendModule>(std::move(module));
  }

  std::unique_ptr<runtime::BackendStore> new_store(Store& store) const override {
    return std::make_unique<InterpStore>(store);
  }
};

}  // namespace

std::unique_ptr<runtime::Backend> make_interp_backend() { return std::make_unique<InterpBackend>(); }

}  // namespace kiln::backends
