/* The artifact ABI: how kiln and an AOT artifact (a shared object compiled
 * from wasm2c output plus kiln's generated glue) talk to each other.
 *
 * An artifact exports exactly one symbol, KILN_ARTIFACT_SYMBOL, a
 * kiln_artifact_t. Everything else in it is hidden (-fvisibility=hidden),
 * so any number of artifacts with the same import and export names coexist
 * in one process, loaded RTLD_LOCAL, whether or not the host exports its
 * own symbols (-rdynamic).
 *
 * The generated code calls the wasm_rt_* functions of kiln's rt/wasm-rt.h.
 * The glue defines them inside the artifact, forwarding each to a
 * kiln_host_api_t that kiln hands over once, through `bind`, before
 * anything else runs. Imports are bound per instance: every import (of any
 * kind) is resolved through the instance's import context, so an artifact
 * links against any set of host functions without being recompiled.
 *
 * Values cross the boundary as kiln_slot_t arrays: arguments in slots
 * [0, params), results written back from slot 0 on. A funcref (three words
 * in wasm2c) crosses as a pointer to a wasm_rt_funcref_t, NULL for null;
 * the caller owns that storage: for results, it puts the address of a
 * scratch array of one wasm_rt_funcref_t per result in slot
 * max(params, results) (so such a call takes one slot more), and the callee
 * copies funcref result i to element i and points slot i at it. The
 * pointers are valid until the caller's next use of the array.
 *
 * Bump KILN_ARTIFACT_ABI_VERSION on any change to this file or to the glue's
 * contract: it is part of the artifact cache key. */
#ifndef KILN_ARTIFACT_ABI_H_
#define KILN_ARTIFACT_ABI_H_

#include <stdint.h>

/* Artifacts are C, compiled with kiln's rt/ first on the include path; kiln
 * itself is C++ and names the header from its source root. */
#ifdef __cplusplus
#include "rt/wasm-rt.h"
#else
#include "wasm-rt.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ARTIFACT_ABI_VERSION 2
#define KILN_ARTIFACT_SYMBOL "kiln_artifact_v1"

/** One wasm value: i32 and f32 in the low 32 bits, externref as a pointer,
 * funcref as a pointer to a wasm_rt_funcref_t. */
typedef union {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  void* ref;
} kiln_slot_t;

/** An instance's import context. Opaque to the artifact except for its first
 * field, which points to the context itself: generated code passes either
 * the context or the address of an instance field holding it (funcref table
 * entries of imported functions), and the glue dereferences once to get the
 * context in both cases. */
typedef struct kiln_import_ctx {
  struct kiln_import_ctx* self;
} kiln_import_ctx_t;

/** What kiln gives the artifact: the wasm_rt_* implementation and the import
 * trampolines. */
typedef struct {
  uint32_t abi_version;
  WASM_RT_NO_RETURN void (*trap)(wasm_rt_trap_t code);
  const char* (*strerror)(wasm_rt_trap_t code);
  uint32_t (*register_func_type)(uint32_t params, uint32_t results, const wasm_rt_type_t* types);
  void (*allocate_memory)(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages, bool guard_pages);
  uint32_t (*grow_memory)(wasm_rt_memory_t* memory, uint32_t pages);
  void (*free_memory)(wasm_rt_memory_t* memory);
  void (*allocate_funcref_table)(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements);
  void (*free_funcref_table)(wasm_rt_funcref_table_t* table);
  uint32_t (*grow_funcref_table)(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init);
  void (*allocate_externref_table)(wasm_rt_externref_table_t* table, uint32_t elements, uint32_t max_elements);
  void (*free_externref_table)(wasm_rt_externref_table_t* table);
  uint32_t (*grow_externref_table)(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init);
  uint32_t (*register_tag)(uint32_t size);
  void (*load_exception)(uint32_t tag, uint32_t size, const void* values);
  WASM_RT_NO_RETURN void (*throw_exception)(void);
  WASM_RT_UNWIND_TARGET* (*get_unwind_target)(void);
  void (*set_unwind_target)(WASM_RT_UNWIND_TARGET* target);
  uint32_t (*exception_tag)(void);
  uint32_t (*exception_size)(void);
  void* (*exception)(void);
  /** Calls function import `index` of the instance owning `ctx`. */
  void (*call_import)(kiln_import_ctx_t* ctx, uint32_t index, kiln_slot_t* slots);
  /** The memory, table or global (pointer to its value) bound to import `index`. */
  void* (*import_item)(kiln_import_ctx_t* ctx, uint32_t index);
} kiln_host_api_t;

enum { KILN_EXTERN_FUNC = 0, KILN_EXTERN_TABLE = 1, KILN_EXTERN_MEMORY = 2, KILN_EXTERN_GLOBAL = 3 };

/** One export, in the module's export order. Functions have `call`; the
 * other kinds have `get`, returning the wasm_rt_memory_t*, table or pointer
 * to the global's value inside the instance. */
typedef struct {
  const char* name;
  uint32_t kind;
  void (*call)(void* instance, kiln_slot_t* slots);
  void* (*get)(void* instance);
} kiln_export_t;

typedef struct {
  uint32_t abi_version;
  uint32_t instance_size;
  uint32_t import_count;
  uint32_t export_count;
  const kiln_export_t* exports;
  /** Hands over kiln's functions; called once per process, first. */
  void (*bind)(const kiln_host_api_t* api);
  /** Registers the module's types; once per process, after bind. */
  void (*init_module)(void);
  /** Fills a zeroed instance of instance_size bytes. Can trap: run it guarded. */
  void (*instantiate)(void* instance, kiln_import_ctx_t* imports);
  void (*free_instance)(void* instance);
  /** Memory 0 of the instance (defined or imported), or NULL. */
  wasm_rt_memory_t* (*memory0)(void* instance);
} kiln_artifact_t;

#ifdef __cplusplus
}
#endif

#endif /* KILN_ARTIFACT_ABI_H_ */
