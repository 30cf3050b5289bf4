#include "backends/aot/aot_backend.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <new>
#include <tuple>
#include <type_traits>

#include "backends/aot/artifact_abi.h"
#include "backends/aot/artifact_cache.h"
#include "backends/aot/artifact_loader.h"
#include "backends/aot/c_translator.h"
#include "kiln/store.h"
#include "runtime/host_call.h"
#include "rt/func_types.h"
#include "rt/guest_stack.h"
#include "rt/memory_pool.h"
#include "rt/signals.h"
#include "rt/trap.h"

namespace kiln::backends {

namespace {

using namespace aot;

// ---- the host API handed to every artifact ----------------------------------

// The memory cap of the instantiation running on this thread; generated code
// allocates its memories from inside instantiate.
thread_local uint32_t t_max_memory_pages = rt::kMaxMemoryPages;

struct AotStore;
struct AotInstance;

// An instance's import context: the ABI's self-pointing header first.
struct ImportContext {
  kiln_import_ctx_t header;
  AotStore* store;
  AotInstance* instance;
};

WASM_RT_NO_RETURN void api_trap(wasm_rt_trap_t code) { rt::trap(static_cast<rt::TrapCode>(code)); }

void api_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial, uint32_t max, bool guard_pages) {
  kiln_rt_allocate_memory(memory, initial, std::min(max, t_max_memory_pages), guard_pages);
}

void api_call_import(kiln_import_ctx_t* ctx, uint32_t index, kiln_slot_t* slots);
void* api_import_item(kiln_import_ctx_t* ctx, uint32_t index);

const kiln_host_api_t kHostApi = {
    KILN_ARTIFACT_ABI_VERSION,
    api_trap,
    wasm_rt_strerror,
    kiln_rt_register_func_type,
    api_allocate_memory,
    wasm_rt_grow_memory,
    wasm_rt_free_memory,
    wasm_rt_allocate_funcref_table,
    wasm_rt_free_funcref_table,
    wasm_rt_grow_funcref_table,
    wasm_rt_allocate_externref_table,
    wasm_rt_free_externref_table,
    wasm_rt_grow_externref_table,
    wasm_rt_register_tag,
    wasm_rt_load_exception,
    wasm_rt_throw,
    wasm_rt_get_unwind_target,
    wasm_rt_set_unwind_target,
    wasm_rt_exception_tag,
    wasm_rt_exception_size,
    wasm_rt_exception,
    api_call_import,
    api_import_item,
};

// ---- values -----------------------------------------------------------------

// externref handles cross as pointers: null is NULL, handle h is h + 1.
void* ref_to_ptr(uint64_t ref) { return ref == kNullRef ? nullptr : reinterpret_cast<void*>(ref + 1); }
uint64_t ptr_to_ref(void* ptr) { return ptr ? reinterpret_cast<uint64_t>(ptr) - 1 : kNullRef; }

bool has_funcref(const FuncType& type) {
  auto is_funcref = [](ValType t) { return t == ValType::FuncRef; };
  return std::any_of(type.params.begin(), type.params.end(), is_funcref) ||
         std::any_of(type.results.begin(), type.results.end(), is_funcref);
}

TrapKind trap_kind(rt::TrapCode code) {
  using C = rt::TrapCode;
  switch (code) {
    case C::Oob:
    case C::MemoryOob: return TrapKind::MemoryOutOfBounds;
    case C::TableOob: return TrapKind::TableOutOfBounds;
    case C::IntOverflow: return TrapKind::IntegerOverflow;
    case C::DivByZero: return TrapKind::IntegerDivideByZero;
    case C::InvalidConversion: return TrapKind::InvalidConversion;
    case C::Unreachable: return TrapKind::Unreachable;
    case C::CallIndirect:
    case C::CallIndirectType: return TrapKind::IndirectCallTypeMismatch;
    case C::CallIndirectNull: return TrapKind::IndirectCallNull;
    case C::Exhaustion: return TrapKind::CallStackExhausted;
    case C::OutOfFuel: return TrapKind::OutOfFuel;
    case C::Deadline: return TrapKind::Deadline;
    default: return TrapKind::HostError;
  }
}

// ---- store items ------------------------------------------------------------

struct FuncItem {
  FuncType type;
  // A guest function: its instance and generic entry.
  void* instance = nullptr;
  void (*call)(void*, kiln_slot_t*) = nullptr;
  // A host function.
  const HostFunc* host = nullptr;
  // Takes or returns funcrefs: its slots carry pointers and a scratch array
  // (artifact_abi.h), which only call() sets up.
  bool passes_funcref = false;
};

struct MemoryItem {
  wasm_rt_memory_t* memory = nullptr;
  std::optional<uint64_t> max;  // declared maximum
};

struct TableItem {
  void* table = nullptr;  // wasm_rt_funcref_table_t* or wasm_rt_externref_table_t*
  ValType element = ValType::FuncRef;
  std::optional<uint64_t> max;
  uint32_t size() const {
    return element == ValType::ExternRef ? static_cast<wasm_rt_externref_table_t*>(table)->size
                                         : static_cast<wasm_rt_funcref_table_t*>(table)->size;
  }
};

struct GlobalItem {
  void* value = nullptr;  // u32*, u64*, f32*, f64*, wasm_rt_externref_t* or wasm_rt_funcref_t*
  ValType type = ValType::I32;
  bool is_mutable = false;
};

struct AotModule final : runtime::BackendModule, std::enable_shared_from_this<AotModule> {
  std::shared_ptr<const LoadedArtifact> artifact;  // null for a fallback module
  ArtifactInfo info;
  std::shared_ptr<const runtime::BackendModule> interp;  // the interpreter's, for a fallback module
};

// Externs of the interpreter store behind fallback instances carry this bit.
constexpr uint64_t kInterpTag = uint64_t{1} << 63;
bool is_interp(Extern item) { return (item.handle & kInterpTag) != 0; }
Extern to_interp(Extern item) { return Extern{item.kind, item.handle & ~kInterpTag}; }
Extern from_interp(Extern item) { return Extern{item.kind, item.handle | kInterpTag}; }

struct AotInstance {
  ImportContext context{};
  // Shared: the module must outlive the instance, whoever drops it first.
  std::shared_ptr<const AotModule> module;
  void* data = nullptr;  // the generated instance struct
  bool initialized = false;
  std::vector<const FuncItem*> import_funcs;  // by import index; null for other kinds
  std::vector<void*> import_items;            // by import index; null for functions
  std::vector<Extern> exports;                // by export index
  wasm_rt_memory_t* memory0 = nullptr;
  std::optional<uint32_t> interp_index;  // a fallback instance, in the interpreter store
};

// What a host function sees when guest code calls it.
class AotHostContext final : public HostContext {
 public:
  AotHostContext(wasm_rt_memory_t* memory, Store& store) : memory_(memory), store_(store) {}
  std::span<uint8_t> memory() override {
    if (!memory_ || !memory_->data) return {};
    return {memory_->data, memory_->size};
  }
  Store& store() override { return store_; }

 private:
  wasm_rt_memory_t* memory_;
  Store& store_;
};

struct AotStore final : runtime::BackendStore {
  AotStore(Store& owner, const runtime::Backend& interp_backend) : owner(owner), interp_backend(interp_backend) {}
  ~AotStore() override;

  Result<uint32_t> instantiate(const runtime::BackendModule& module, std::span<const Extern> imports,
                               const runtime::InstantiateOptions& options, std::optional<Trap>* out_trap) override;
  std::optional<Extern> instance_export(uint32_t instance, std::string_view name) const override;
  std::optional<Extern> instance_memory(uint32_t instance) const override;
  Extern new_host_func(const HostFunc& func) override;
  Extern new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) override;
  Extern new_table(ValType element, uint32_t min, std::optional<uint32_t> max) override;
  Extern new_global(Value value, bool is_mutable) override;
  Value global_get(Extern global) const override;
  void global_set(Extern global, Value value) override;
  std::span<uint8_t> memory_data(Extern memory) const override;
  CallResult call(Extern func, std::span<const Value> args) override;
  FuncType func_type(Extern func) const override;
  void call_raw(Extern func, RawValue* slots, RawCallStatus& status) override;
  int64_t* i64_global_cell(Extern global) override;
  std::optional<uint64_t> memory_grow(Extern memory, uint64_t delta_pages, uint64_t max_pages) override;
  bool can_reset(uint32_t instance) const override;
  Result<void> reset_instance(uint32_t instance, const runtime::InstantiateOptions& options,
                              std::optional<Trap>* out_trap, uint64_t memory0_pages) override;

  std::optional<std::string> bind_imports(AotInstance& instance, std::span<const Extern> imports);
  CallResult finish_trapped(rt::TrapCode code);
  // Hot path: a guest calls a host function. Traps (never returns) when the
  // host function trapped or exited, with the outcome stashed.
  void call_host(AotInstance& caller, const FuncItem& func, kiln_slot_t* slots);

  // Fallback instances: the interpreter store, mirrors of AOT-side imports,
  // and the mutable globals to copy in before and out after each call.
  runtime::BackendStore& interp();
  Result<uint32_t> instantiate_fallback(const AotModule& module, std::span<const Extern> imports,
                                        const runtime::InstantiateOptions& options, std::optional<Trap>* out_trap);
  Result<Extern> mirror(Extern item);
  void sync_to_interp();
  void sync_from_interp();
  CallResult call_interp(Extern func, std::span<const Value> args);
  Value raw_global_get(const GlobalItem& item) const;
  void raw_global_set(const GlobalItem& item, Value value);

  // Values in and out of slots. A funcref Value is an index into
  // `funcrefs`; its slot is a pointer to that entry (artifact_abi.h).
  kiln_slot_t to_slot(const Value& value) const;
  Value from_slot(ValType type, const kiln_slot_t& slot) const;
  uint64_t intern_funcref(const wasm_rt_funcref_t& ref) const;
  wasm_rt_funcref_t funcref_at(uint64_t handle) const;
  // False for a funcref Value that this store never handed out.
  bool is_known_ref(const Value& value) const;

  Store& owner;
  const runtime::Backend& interp_backend;
  std::unique_ptr<runtime::BackendStore> interp_store;
  std::map<std::pair<ExternKind, uint64_t>, Extern> mirrors;
  std::vector<std::pair<uint64_t, Extern>> mirrored_globals;  // AOT global handle, interpreter global
  int interp_depth = 0;  // > 0 while the interpreter runs: the mirrors hold the live values
  std::deque<FuncItem> funcs;
  std::deque<MemoryItem> memories;
  std::deque<TableItem> tables;
  std::deque<GlobalItem> globals;
  std::deque<HostFunc> host_funcs;
  std::deque<kiln_slot_t> host_global_values;
  std::deque<wasm_rt_funcref_t> host_funcref_globals;  // three words: no slot holds one
  // Every funcref that crossed to the host, once per (type, function,
  // instance), so the same function reads back as the same Value. Grown by
  // reads (global_get is const); entries never move, slots point at them.
  // Kept for the Store's life, as the instances they close over are.
  mutable std::deque<wasm_rt_funcref_t> funcrefs;
  mutable std::map<std::tuple<uint32_t, uintptr_t, uintptr_t>, uint64_t> funcref_handles;
  std::deque<wasm_rt_memory_t> host_memories;
  std::deque<wasm_rt_funcref_table_t> host_funcref_tables;
  std::deque<wasm_rt_externref_table_t> host_externref_tables;
  std::vector<std::unique_ptr<AotInstance>> instances;  // listed ones
  std::vector<std::unique_ptr<AotInstance>> failed;     // trapped in initialization, kept for shared tables
  std::optional<HostResult> host_outcome;
};

kiln_slot_t AotStore::to_slot(const Value& value) const {
  kiln_slot_t slot;
  slot.i64 = 0;
  switch (value.type) {
    case ValType::I32:
    case ValType::F32: slot.i32 = value.i32; break;
    case ValType::I64:
    case ValType::F64: slot.i64 = value.i64; break;
    case ValType::FuncRef:
      // Callers checked is_known_ref(); an unknown handle crosses as null.
      slot.ref = value.ref < funcrefs.size() ? &funcrefs[value.ref] : nullptr;
      break;
    default: slot.ref = ref_to_ptr(value.ref); break;
  }
  return slot;
}

Value AotStore::from_slot(ValType type, const kiln_slot_t& slot) const {
  Value value;
  value.type = type;
  switch (type) {
    case ValType::I32:
    case ValType::F32: value.i32 = slot.i32; break;
    case ValType::I64:
    case ValType::F64: value.i64 = slot.i64; break;
    case ValType::FuncRef:
      value.ref = slot.ref ? intern_funcref(*static_cast<const wasm_rt_funcref_t*>(slot.ref)) : kNullRef;
      break;
    default: value.ref = ptr_to_ref(slot.ref); break;
  }
  return value;
}

uint64_t AotStore::intern_funcref(const wasm_rt_funcref_t& ref) const {
  if (!ref.func) return kNullRef;
  auto key = std::make_tuple(ref.func_type, reinterpret_cast<uintptr_t>(ref.func),
                             reinterpret_cast<uintptr_t>(ref.module_instance));
  auto [it, added] = funcref_handles.try_emplace(key, funcrefs.size());
  if (added) funcrefs.push_back(ref);
  return it->second;
}

wasm_rt_funcref_t AotStore::funcref_at(uint64_t handle) const {
  return handle < funcrefs.size() ? funcrefs[handle] : wasm_rt_funcref_null_value;
}

bool AotStore::is_known_ref(const Value& value) const {
  return value.type != ValType::FuncRef || value.ref == kNullRef || value.ref < funcrefs.size();
}

void api_call_import(kiln_import_ctx_t* ctx, uint32_t index, kiln_slot_t* slots) {
  auto* context = reinterpret_cast<ImportContext*>(ctx);
  const FuncItem& func = *context->instance->import_funcs[index];
  if (func.call) {
    func.call(func.instance, slots);  // another instance's function: same guarded call
    return;
  }
  context->store->call_host(*context->instance, func, slots);
}

void* api_import_item(kiln_import_ctx_t* ctx, uint32_t index) {
  return reinterpret_cast<ImportContext*>(ctx)->instance->import_items[index];
}

void AotStore::call_host(AotInstance& caller, const FuncItem& func, kiln_slot_t* slots) {
  rt::TrapCode code = rt::TrapCode::None;
  {
    constexpr size_t kInline = 16;
    const FuncType& type = func.type;
    // Raw storage: only the values the call has are constructed (zeroing 32
    // Values on every host call showed in profiles).
    static_assert(std::is_trivially_destructible_v<Value>);
    alignas(Value) unsigned char inline_args[sizeof(Value) * kInline];
    alignas(Value) unsigned char inline_results[sizeof(Value) * kInline];
    std::vector<Value> heap_args, heap_results;
    std::span<Value> args(reinterpret_cast<Value*>(inline_args), type.params.size());
    std::span<Value> results(reinterpret_cast<Value*>(inline_results), type.results.size());
    if (type.params.size() > kInline) args = heap_args = std::vector<Value>(type.params.size());
    if (type.results.size() > kInline) results = heap_results = std::vector<Value>(type.results.size());
    for (size_t i = 0; i < args.size(); ++i) new (&args[i]) Value(from_slot(type.params[i], slots[i]));
    for (size_t i = 0; i < results.size(); ++i) {
      new (&results[i]) Value();
      results[i].type = type.results[i];
    }
    AotHostContext context(caller.memory0, owner);
    HostResult outcome = runtime::call_host_function(func.host->callback, context, args, results);
    for (size_t i = 0; outcome.status == HostResult::Status::Ok && i < results.size(); ++i) {
      if (!is_known_ref(results[i])) {
        outcome = HostResult::trapped(TrapKind::HostError, "a host function returned a funcref of another store");
      }
    }
    if (outcome.status == HostResult::Status::Ok) {
      for (size_t i = 0; i < results.size(); ++i) slots[i] = to_slot(results[i]);
    } else {
      code = outcome.status == HostResult::Status::Exit ? rt::TrapCode::Exit : rt::TrapCode::Host;
      host_outcome = std::move(outcome);
    }
  }
  // Every C++ object above is destroyed: trapping skips only plain frames.
  if (code != rt::TrapCode::None) rt::trap(code);
}

AotStore::~AotStore() {
  for (auto* list : {&instances, &failed}) {
    for (auto& instance : *list) {
      if (instance->interp_index || !instance->data) continue;
      instance->module->artifact->descriptor->free_instance(instance->data);
      std::free(instance->data);
    }
  }
  for (wasm_rt_memory_t& memory : host_memories) rt::free_memory(memory);
  for (wasm_rt_funcref_table_t& table : host_funcref_tables) wasm_rt_free_funcref_table(&table);
  for (wasm_rt_externref_table_t& table : host_externref_tables) wasm_rt_free_externref_table(&table);
}

std::string limits_text(uint64_t initial, std::optional<uint64_t> max) {
  return "{min " + std::to_string(initial) + (max ? ", max " + std::to_string(*max) : std::string()) + "}";
}

bool limits_match(uint64_t size, std::optional<uint64_t> max, const Limits& wanted) {
  if (size < wanted.initial) return false;
  if (!wanted.max) return true;
  return max && *max <= *wanted.max;
}

std::optional<std::string> AotStore::bind_imports(AotInstance& instance, std::span<const Extern> imports) {
  const ArtifactInfo& info = instance.module->info;
  if (imports.size() != info.imports.size()) return "expected " + std::to_string(info.imports.size()) + " imports";
  instance.import_funcs.assign(imports.size(), nullptr);
  instance.import_items.assign(imports.size(), nullptr);
  for (size_t i = 0; i < imports.size(); ++i) {
    const ImportInfo& want = info.imports[i];
    const Extern& item = imports[i];
    const std::string where = "incompatible import type for " + want.module + "." + want.name + ": ";
    if (item.kind != want.type.kind) {
      return where + "expected a " + to_string(want.type.kind) + ", got a " + to_string(item.kind);
    }
    switch (item.kind) {
      case ExternKind::Func: {
        const FuncItem& func = funcs.at(item.handle);
        if (func.type != want.type.func) {
          return where + "expected " + to_string(want.type.func) + ", got " + to_string(func.type);
        }
        instance.import_funcs[i] = &func;
        break;
      }
      case ExternKind::Memory: {
        const MemoryItem& memory = memories.at(item.handle);
        if (!limits_match(memory.memory->pages, memory.max, want.type.limits)) {
          return where + "memory limits " + limits_text(memory.memory->pages, memory.max) + " do not match " +
                 limits_text(want.type.limits.initial, want.type.limits.max);
        }
        if (rt::memory_bounds_check(*memory.memory) != rt::BoundsCheck::GuardPages) {
          return where + "the memory was allocated for explicit bounds checks";
        }
        instance.import_items[i] = memory.memory;
        break;
      }
      case ExternKind::Table: {
        const TableItem& table = tables.at(item.handle);
        if (table.element != want.type.value || !limits_match(table.size(), table.max, want.type.limits)) {
          return where + "table limits " + limits_text(table.size(), table.max) + " do not match " +
                 limits_text(want.type.limits.initial, want.type.limits.max);
        }
        instance.import_items[i] = table.table;
        break;
      }
      case ExternKind::Global: {
        const GlobalItem& global = globals.at(item.handle);
        if (global.type != want.type.value || global.is_mutable != want.type.is_mutable) {
          return where + "global type mismatch";
        }
        instance.import_items[i] = global.value;
        break;
      }
    }
  }
  return std::nullopt;
}

Result<uint32_t> AotStore::instantiate(const runtime::BackendModule& backend_module, std::span<const Extern> imports,
                                       const runtime::InstantiateOptions& options, std::optional<Trap>* out_trap) {
  const auto& module = static_cast<const AotModule&>(backend_module);
  if (module.interp) return instantiate_fallback(module, imports, options, out_trap);
  for (const Extern& item : imports) {
    if (is_interp(item)) return make_error(ErrorKind::Link, "an AOT instance cannot import from an instance that runs on the interpreter");
  }
  const kiln_artifact_t& artifact = *module.artifact->descriptor;
  if (module.info.memory && module.info.memory->initial > options.max_memory_pages) {
    return make_error(ErrorKind::Link, "memory 0 starts at " + std::to_string(module.info.memory->initial) +
                      " pages, over the memory limit of " + std::to_string(options.max_memory_pages) + " pages");
  }
  auto instance = std::make_unique<AotInstance>();
  instance->module = module.shared_from_this();
  instance->context.header.self = &instance->context.header;
  instance->context.store = this;
  instance->context.instance = instance.get();
  if (auto error = bind_imports(*instance, imports)) return make_error(ErrorKind::Link, *error);

  instance->data = std::calloc(1, std::max<uint32_t>(artifact.instance_size, 1));
  if (!instance->data) return make_error(ErrorKind::Internal, "out of memory for an instance");
  host_outcome.reset();
  t_max_memory_pages = static_cast<uint32_t>(std::min<uint64_t>(options.max_memory_pages, rt::kMaxMemoryPages));
  void* data = instance->data;
  kiln_import_ctx_t* context = &instance->context.header;
  rt::TrapCode code = rt::call_guarded([&] { artifact.instantiate(data, context); });
  t_max_memory_pages = rt::kMaxMemoryPages;
  if (code != rt::TrapCode::None) {
    failed.push_back(std::move(instance));
    CallResult result = finish_trapped(code);
    Trap trap = result.exited() ? Trap{TrapKind::HostError, "exit during instantiation"} : result.trap;
    *out_trap = trap;
    return make_error(error_kind(trap.kind), "instantiation trapped: " + trap.describe());
  }
  instance->initialized = true;
  instance->memory0 = artifact.memory0(data);
  for (uint32_t i = 0; i < artifact.export_count; ++i) {
    const kiln_export_t& entry = artifact.exports[i];
    const ExportInfo& info = module.info.exports[i];
    switch (info.type.kind) {
      case ExternKind::Func:
        funcs.push_back(FuncItem{info.type.func, data, entry.call, nullptr, has_funcref(info.type.func)});
        instance->exports.push_back(Extern{ExternKind::Func, funcs.size() - 1});
        break;
      case ExternKind::Memory:
        memories.push_back(MemoryItem{static_cast<wasm_rt_memory_t*>(entry.get(data)), info.type.limits.max});
        instance->exports.push_back(Extern{ExternKind::Memory, memories.size() - 1});
        break;
      case ExternKind::Table:
        tables.push_back(TableItem{entry.get(data), info.type.value, info.type.limits.max});
        instance->exports.push_back(Extern{ExternKind::Table, tables.size() - 1});
        break;
      case ExternKind::Global:
        globals.push_back(GlobalItem{entry.get(data), info.type.value, info.type.is_mutable});
        instance->exports.push_back(Extern{ExternKind::Global, globals.size() - 1});
        break;
    }
  }
  instances.push_back(std::move(instance));
  return static_cast<uint32_t>(instances.size() - 1);
}

std::optional<Extern> AotStore::instance_export(uint32_t index, std::string_view name) const {
  const AotInstance& instance = *instances.at(index);
  if (instance.interp_index) {
    auto item = interp_store->instance_export(*instance.interp_index, name);
    return item ? std::optional<Extern>(from_interp(*item)) : std::nullopt;
  }
  const auto& exports = instance.module->info.exports;
  for (size_t i = 0; i < exports.size(); ++i) {
    if (exports[i].name == name) return instance.exports[i];
  }
  return std::nullopt;
}

std::optional<Extern> AotStore::instance_memory(uint32_t index) const {
  const AotInstance& instance = *instances.at(index);
  if (instance.interp_index) {
    auto item = interp_store->instance_memory(*instance.interp_index);
    return item ? std::optional<Extern>(from_interp(*item)) : std::nullopt;
  }
  if (!instance.memory0) return std::nullopt;
  for (size_t i = 0; i < memories.size(); ++i) {
    if (memories[i].memory == instance.memory0) return Extern{ExternKind::Memory, i};
  }
  auto& self = const_cast<AotStore&>(*this);
  self.memories.push_back(MemoryItem{instance.memory0, instance.module->info.memory
                                                          ? instance.module->info.memory->max
                                                          : std::nullopt});
  return Extern{ExternKind::Memory, memories.size() - 1};
}

Extern AotStore::new_host_func(const HostFunc& func) {
  host_funcs.push_back(func);
  funcs.push_back(FuncItem{func.type, nullptr, nullptr, &host_funcs.back()});
  return Extern{ExternKind::Func, funcs.size() - 1};
}

Extern AotStore::new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) {
  wasm_rt_memory_t& memory = host_memories.emplace_back();
  uint32_t max = static_cast<uint32_t>(std::min<uint64_t>(max_pages.value_or(rt::kMaxMemoryPages), rt::kMaxMemoryPages));
  uint32_t initial = static_cast<uint32_t>(std::min<uint64_t>(min_pages, rt::kMaxMemoryPages));
  if (!rt::allocate_memory(memory, initial, max, rt::BoundsCheck::GuardPages)) {
    // No region: an empty memory that cannot grow; imports then fail to match.
    memory = wasm_rt_memory_t{};
  }
  memories.push_back(MemoryItem{&memory, max_pages});
  return Extern{ExternKind::Memory, memories.size() - 1};
}

Extern AotStore::new_table(ValType element, uint32_t min, std::optional<uint32_t> max) {
  uint32_t limit = max.value_or(0xffffffffu);
  void* table;
  if (element == ValType::ExternRef) {
    wasm_rt_externref_table_t& t = host_externref_tables.emplace_back();
    wasm_rt_allocate_externref_table(&t, min, limit);
    table = &t;
  } else {
    wasm_rt_funcref_table_t& t = host_funcref_tables.emplace_back();
    wasm_rt_allocate_funcref_table(&t, min, limit);
    table = &t;
  }
  tables.push_back(TableItem{table, element, max ? std::optional<uint64_t>(*max) : std::nullopt});
  return Extern{ExternKind::Table, tables.size() - 1};
}

Extern AotStore::new_global(Value value, bool is_mutable) {
  void* storage;
  if (value.type == ValType::FuncRef) {
    storage = &host_funcref_globals.emplace_back(funcref_at(value.ref));
  } else {
    storage = &host_global_values.emplace_back(to_slot(value));
  }
  globals.push_back(GlobalItem{storage, value.type, is_mutable});
  return Extern{ExternKind::Global, globals.size() - 1};
}

Value AotStore::global_get(Extern global) const {
  if (is_interp(global)) return interp_store->global_get(to_interp(global));
  if (interp_depth > 0) {
    if (auto it = mirrors.find({ExternKind::Global, global.handle}); it != mirrors.end()) {
      return interp_store->global_get(it->second);
    }
  }
  return raw_global_get(globals.at(global.handle));
}

Value AotStore::raw_global_get(const GlobalItem& item) const {
  kiln_slot_t slot;
  slot.i64 = 0;
  switch (item.type) {
    case ValType::I32:
    case ValType::F32: std::memcpy(&slot.i32, item.value, 4); break;
    case ValType::I64:
    case ValType::F64: std::memcpy(&slot.i64, item.value, 8); break;
    case ValType::FuncRef: return Value::from_ref(item.type, intern_funcref(*static_cast<wasm_rt_funcref_t*>(item.value)));
    default: std::memcpy(&slot.ref, item.value, sizeof(void*)); break;
  }
  return from_slot(item.type, slot);
}

void AotStore::global_set(Extern global, Value value) {
  if (is_interp(global)) return interp_store->global_set(to_interp(global), value);
  if (interp_depth > 0) {
    if (auto it = mirrors.find({ExternKind::Global, global.handle}); it != mirrors.end()) {
      return interp_store->global_set(it->second, value);
    }
  }
  raw_global_set(globals.at(global.handle), value);
}

void AotStore::raw_global_set(const GlobalItem& item, Value value) {
  if (item.type == ValType::FuncRef) {
    *static_cast<wasm_rt_funcref_t*>(item.value) = funcref_at(value.ref);
    return;
  }
  kiln_slot_t slot = to_slot(value);
  switch (item.type) {
    case ValType::I32:
    case ValType::F32: std::memcpy(item.value, &slot.i32, 4); break;
    case ValType::I64:
    case ValType::F64: std::memcpy(item.value, &slot.i64, 8); break;
    default: std::memcpy(item.value, &slot.ref, sizeof(void*)); break;
  }
}

std::span<uint8_t> AotStore::memory_data(Extern memory) const {
  if (is_interp(memory)) return interp_store->memory_data(to_interp(memory));
  const wasm_rt_memory_t* m = memories.at(memory.handle).memory;
  if (!m->data) return {};
  return {m->data, m->size};
}

CallResult AotStore::finish_trapped(rt::TrapCode code) {
  CallResult result;
  if (code == rt::TrapCode::Exit && host_outcome && host_outcome->status == HostResult::Status::Exit) {
    result.status = CallResult::Status::Exited;
    result.exit_code = host_outcome->exit_code;
  } else {
    result.status = CallResult::Status::Trapped;
    if (code == rt::TrapCode::Host && host_outcome) {
      result.trap = host_outcome->trap;
    } else {
      result.trap = Trap{trap_kind(code), rt::trap_message(code)};
    }
  }
  host_outcome.reset();
  return result;
}

// Hot path: marshal into slots, one guarded call, unmarshal.
CallResult AotStore::call(Extern func, std::span<const Value> args) {
  if (is_interp(func)) return call_interp(func, args);
  CallResult result;
  if (func.kind != ExternKind::Func || func.handle >= funcs.size()) {
    result.status = CallResult::Status::Failed;
    result.error = "not a function";
    return result;
  }
  const FuncItem& item = funcs[func.handle];
  const FuncType& type = item.type;
  if (args.size() != type.params.size()) {
    result.status = CallResult::Status::Failed;
    result.error = "expected " + std::to_string(type.params.size()) + " arguments, got " + std::to_string(args.size());
    return result;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != type.params[i]) {
      result.status = CallResult::Status::Failed;
      result.error = "argument " + std::to_string(i) + " has type " + to_string(args[i].type) + ", expected " +
                     to_string(type.params[i]);
      return result;
    }
    if (!is_known_ref(args[i])) {
      result.status = CallResult::Status::Failed;
      result.error = "argument " + std::to_string(i) + " is not a funcref of this store";
      return result;
    }
  }
  if (item.host) {
    // A host function called from the host: no guest, no memory.
    std::vector<Value> outs(type.results.size());
    for (size_t i = 0; i < outs.size(); ++i) outs[i].type = type.results[i];
    AotHostContext context(nullptr, owner);
    HostResult outcome = runtime::call_host_function(item.host->callback, context, args, outs);
    if (outcome.status == HostResult::Status::Exit) {
      result.status = CallResult::Status::Exited;
      result.exit_code = outcome.exit_code;
    } else if (outcome.status == HostResult::Status::Trap) {
      result.status = CallResult::Status::Trapped;
      result.trap = outcome.trap;
    } else {
      result.values = std::move(outs);
    }
    return result;
  }
  constexpr size_t kInline = 16;
  size_t count = std::max(type.params.size(), type.results.size());
  // One slot more: the address of the funcref results' scratch array.
  std::array<kiln_slot_t, kInline + 1> inline_slots;
  std::array<wasm_rt_funcref_t, kInline> inline_scratch;
  std::vector<kiln_slot_t> heap_slots;
  std::vector<wasm_rt_funcref_t> heap_scratch;
  kiln_slot_t* slots = inline_slots.data();
  wasm_rt_funcref_t* scratch = inline_scratch.data();
  if (count > kInline) {
    heap_slots.resize(count + 1);
    heap_scratch.resize(count);
    slots = heap_slots.data();
    scratch = heap_scratch.data();
  }
  for (size_t i = 0; i < args.size(); ++i) slots[i] = to_slot(args[i]);
  slots[count].ref = scratch;
  host_outcome.reset();
  void* instance = item.instance;
  auto entry = item.call;
  // Called back from the interpreter: AOT code reads the globals' own storage.
  int saved_depth = interp_depth;
  if (saved_depth > 0) sync_from_interp();
  interp_depth = 0;
  rt::TrapCode code = rt::call_guarded([&] { entry(instance, slots); });
  interp_depth = saved_depth;
  if (saved_depth > 0) sync_to_interp();
  if (code != rt::TrapCode::None) return finish_trapped(code);
  result.values.reserve(type.results.size());
  for (size_t i = 0; i < type.results.size(); ++i) result.values.push_back(from_slot(type.results[i], slots[i]));
  return result;
}

FuncType AotStore::func_type(Extern func) const {
  if (is_interp(func)) return interp_store->func_type(to_interp(func));
  return funcs.at(func.handle).type;
}

// The typed fast path: the caller checked the types, the slots are the
// artifact's own calling convention, nothing to marshal.
void AotStore::call_raw(Extern func, RawValue* slots, RawCallStatus& status) {
  static_assert(sizeof(RawValue) == sizeof(kiln_slot_t));
  if (is_interp(func) || interp_depth > 0 || funcs.at(func.handle).host || funcs[func.handle].passes_funcref) {
    return BackendStore::call_raw(func, slots, status);
  }
  const FuncItem& item = funcs[func.handle];
  host_outcome.reset();
  void* instance = item.instance;
  auto entry = item.call;
  auto* raw = reinterpret_cast<kiln_slot_t*>(slots);
  rt::TrapCode code = rt::call_guarded([&] { entry(instance, raw); });
  if (code == rt::TrapCode::None) return;
  CallResult result = finish_trapped(code);
  status.status = result.status;
  status.trap = std::move(result.trap);
  status.exit_code = result.exit_code;
}

// While no interpreter instance runs, an AOT global's own storage holds its
// value (the mirrors matter only during interp_depth > 0).
int64_t* AotStore::i64_global_cell(Extern global) {
  if (is_interp(global)) return nullptr;
  const GlobalItem& item = globals.at(global.handle);
  return item.type == ValType::I64 ? static_cast<int64_t*>(item.value) : nullptr;
}

std::optional<uint64_t> AotStore::memory_grow(Extern memory, uint64_t delta_pages, uint64_t max_pages) {
  if (is_interp(memory)) return interp_store->memory_grow(to_interp(memory), delta_pages, max_pages);
  wasm_rt_memory_t* m = memories.at(memory.handle).memory;
  uint64_t before = m->pages;
  if (delta_pages > max_pages || before > max_pages - delta_pages) return std::nullopt;
  uint32_t previous = rt::grow_memory(*m, static_cast<uint32_t>(delta_pages));
  if (previous == UINT32_MAX) return std::nullopt;
  return previous;
}

bool AotStore::can_reset(uint32_t index) const {
  const AotInstance& instance = *instances.at(index);
  return !instance.interp_index && instance.initialized;
}

// Frees what the instance allocated (its memory goes back to rt's pool,
// zeroed over the range it used, pages still resident) and runs the
// artifact's instantiation again on the same struct, so every export
// handle stays valid and the state is exactly a fresh instance's. The
// memory comes back from the pool with its protection unchanged when its
// size is too (rt/memory_pool.h): no syscall.
Result<void> AotStore::reset_instance(uint32_t index, const runtime::InstantiateOptions& options,
                                      std::optional<Trap>* out_trap, uint64_t memory0_pages) {
  AotInstance& instance = *instances.at(index);
  const kiln_artifact_t& artifact = *instance.module->artifact->descriptor;
  artifact.free_instance(instance.data);
  std::memset(instance.data, 0, std::max<uint32_t>(artifact.instance_size, 1));
  instance.initialized = false;
  instance.memory0 = nullptr;
  host_outcome.reset();
  t_max_memory_pages = static_cast<uint32_t>(std::min<uint64_t>(options.max_memory_pages, rt::kMaxMemoryPages));
  void* data = instance.data;
  kiln_import_ctx_t* context = &instance.context.header;
  // The hint goes to the first memory the artifact allocates: memory 0 only
  // when the module defines it rather than importing it.
  const uint64_t grow_to = instance.module->info.memory ? std::min<uint64_t>(memory0_pages, t_max_memory_pages) : 0;
  rt::TrapCode code = rt::TrapCode::None;
  {
    rt::RetainAccessible retain(grow_to * rt::kWasmPageSize);
    code = rt::call_guarded([&] { artifact.instantiate(data, context); });
  }
  t_max_memory_pages = rt::kMaxMemoryPages;
  if (code != rt::TrapCode::None) {
    // No page kept for the grow may stay reachable past the memory's size.
    if (wasm_rt_memory_t* memory = artifact.memory0(data); memory != nullptr && grow_to > 0) {
      rt::settle_protection(*memory);
    }
    CallResult result = finish_trapped(code);
    Trap trap = result.exited() ? Trap{TrapKind::HostError, "exit during instantiation"} : result.trap;
    if (out_trap) *out_trap = trap;
    return make_error(error_kind(trap.kind), "instantiation trapped: " + trap.describe());
  }
  instance.initialized = true;
  instance.memory0 = artifact.memory0(data);
  if (wasm_rt_memory_t* memory = instance.memory0; memory != nullptr && grow_to > 0) {
    // A failed grow leaves the memory at its initial size: the caller's
    // restore then grows it (or reports why not) as without the hint.
    if (memory->pages < grow_to) rt::grow_memory(*memory, static_cast<uint32_t>(grow_to - memory->pages));
    if (!rt::settle_protection(*memory)) return make_error(ErrorKind::Internal, "cannot protect a reset memory");
  }
  return {};
}

runtime::BackendStore& AotStore::interp() {
  if (!interp_store) interp_store = interp_backend.new_store(owner);
  return *interp_store;
}

Result<Extern> AotStore::mirror(Extern item) {
  auto key = std::make_pair(item.kind, item.handle);
  if (auto it = mirrors.find(key); it != mirrors.end()) return it->second;
  Extern made;
  switch (item.kind) {
    case ExternKind::Func: {
      const FuncItem& func = funcs.at(item.handle);
      if (func.host) {
        made = interp().new_host_func(*func.host);
      } else if (has_funcref(func.type)) {
        // The two stores number funcref Values each their own way.
        return make_error(ErrorKind::Link, "an instance that runs on the interpreter cannot import a function of the AOT backend "
                          "that passes funcref values");
      } else {
        // An AOT instance's function, called from the interpreter.
        made = interp().new_host_func(HostFunc{func.type, [this, item](HostContext&, std::span<const Value> args,
                                                                       std::span<Value> results) {
          CallResult result = call(item, args);
          if (result.exited()) return HostResult::exited(result.exit_code);
          if (!result.returned()) return HostResult::trapped(result.trap.kind, result.trap.message);
          std::copy(result.values.begin(), result.values.end(), results.begin());
          return HostResult::ok();
        }});
      }
      break;
    }
    case ExternKind::Global: {
      const GlobalItem& global = globals.at(item.handle);
      if (global.type == ValType::FuncRef) {
        return make_error(ErrorKind::Link, "an instance that runs on the interpreter cannot import a funcref global of the AOT backend");
      }
      made = interp().new_global(raw_global_get(global), global.is_mutable);
      if (global.is_mutable) mirrored_globals.emplace_back(item.handle, made);
      break;
    }
    default:
      return make_error(ErrorKind::Link, std::string("an instance that runs on the interpreter cannot import a ") +
                        to_string(item.kind) + " of the AOT backend");
  }
  mirrors.emplace(key, made);
  return made;
}

void AotStore::sync_to_interp() {
  for (const auto& [handle, mirror] : mirrored_globals) interp_store->global_set(mirror, raw_global_get(globals[handle]));
}

void AotStore::sync_from_interp() {
  for (const auto& [handle, mirror] : mirrored_globals) raw_global_set(globals[handle], interp_store->global_get(mirror));
}

CallResult AotStore::call_interp(Extern func, std::span<const Value> args) {
  if (interp_depth == 0) sync_to_interp();
  ++interp_depth;
  CallResult result = interp().call(to_interp(func), args);
  if (--interp_depth == 0) sync_from_interp();
  return result;
}

Result<uint32_t> AotStore::instantiate_fallback(const AotModule& module, std::span<const Extern> imports,
                                                const runtime::InstantiateOptions& options,
                                                std::optional<Trap>* out_trap) {
  std::vector<Extern> mapped;
  for (const Extern& item : imports) {
    if (is_interp(item)) {
      mapped.push_back(to_interp(item));
      continue;
    }
    auto made = mirror(item);
    if (!made) return made.error();
    mapped.push_back(*made);
  }
  if (interp_depth == 0) sync_to_interp();
  ++interp_depth;
  auto index = interp().instantiate(*module.interp, mapped, options, out_trap);
  if (--interp_depth == 0) sync_from_interp();
  if (!index) return index.error();
  auto instance = std::make_unique<AotInstance>();
  instance->module = module.shared_from_this();
  instance->interp_index = *index;
  instances.push_back(std::move(instance));
  return static_cast<uint32_t>(instances.size() - 1);
}

class AotBackend final : public runtime::Backend {
 public:
  // `interp` is injected: the full library hands in WABT's interpreter,
  // libkiln.so (no WABT) a stand-in whose load() always fails.
  AotBackend(std::string cache_dir, bool interp_fallback, std::unique_ptr<runtime::Backend> interp)
      : cache_(std::move(cache_dir)), interp_fallback_(interp_fallback), interp_(std::move(interp)) {
    rt::install_fault_handler();
  }

  std::string_view name() const override { return "aot"; }

  Result<std::shared_ptr<const runtime::BackendModule>> load(std::span<const uint8_t> wasm,
                                                            std::string_view name) const override {
    auto cached = cache_.get_or_build(wasm, name);
    if (!cached && interp_fallback_ && cached.error().kind == ErrorKind::Unsupported) {
      auto loaded = interp_->load(wasm, name);
      if (!loaded) return loaded.error();
      auto module = std::make_shared<AotModule>();
      module->interp = std::move(*loaded);
      return std::shared_ptr<const runtime::BackendModule>(std::move(module));
    }
    if (!cached && cached.error().kind == ErrorKind::Unsupported) {
      // The translator's bare reason (c_translator.h), named here.
      return prefix_error(std::string(name) + ": aot: ", cached.error());
    }
    if (!cached) return cached.error();
    return load_cached_artifact(std::move(*cached), name);
  }

  std::unique_ptr<runtime::BackendStore> new_store(Store& store) const override {
    return std::make_unique<AotStore>(store, *interp_);
  }

 private:
  ArtifactCache cache_;
  bool interp_fallback_;
  std::unique_ptr<runtime::Backend> interp_;
};

}  // namespace

Result<std::shared_ptr<const runtime::BackendModule>> load_cached_artifact(aot::CachedArtifact cached,
                                                                           std::string_view name) {
  auto loaded = load_artifact(cached.so_path, cached.info.artifact_sha256, kHostApi);
  if (!loaded) return loaded.error();
  auto module = std::make_shared<AotModule>();
  module->artifact = std::move(*loaded);
  module->info = std::move(cached.info);
  if (module->artifact->descriptor->export_count != module->info.exports.size() ||
      module->artifact->descriptor->import_count != module->info.imports.size()) {
    return make_error(ErrorKind::Internal, std::string(name) + ": aot: the artifact does not match its metadata");
  }
  return std::shared_ptr<const runtime::BackendModule>(std::move(module));
}

std::unique_ptr<runtime::Backend> make_aot_backend(std::string cache_dir, bool interp_fallback,
                                                   std::unique_ptr<runtime::Backend> interp) {
  return std::make_unique<AotBackend>(std::move(cache_dir), interp_fallback, std::move(interp));
}

bool is_interp_fallback(const runtime::BackendModule& module) {
  auto* aot = dynamic_cast<const AotModule*>(&module);
  return aot && aot->interp;
}

}  // namespace kiln::backends
