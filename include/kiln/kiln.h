/*
 * kiln.h: the C API of kiln, a low-latency WebAssembly engine.
 *
 * For C hosts and for FFI hosts (Python ctypes, Ruby, Go). The nouns are
 * the C++ API's (the other headers in include/kiln/), which are Wasmtime's:
 *
 *   engine    configuration and the backend that runs modules; share one.
 *   module    a validated, compiled module; immutable, shareable.
 *   linker    what imports resolve to: host functions by "module.name".
 *   store     one tenant's state: limits (fuel, memory, time), WASI, and
 *             the instances made in it. One thread at a time.
 *   instance  a module instantiated in a store; owned by the store.
 *   pool      ready instances of one module, leased and reset on return.
 *
 * Two libraries implement this header:
 *
 *   libkiln.a   everything: decodes and compiles modules in process, on
 *               either backend (interpreter or AOT).
 *   libkiln.so  the run-time half (Debian's libwabt.a cannot go into a
 *               shared object): AOT only. It loads compiled artifacts from
 *               the artifact cache and, for a module it has no artifact for,
 *               runs `kiln compile` to make one. Which `kiln`: the engine's
 *               `compiler` option, else $KILN_COMPILE, else the kiln
 *               installed beside the library (<prefix>/bin), else PATH.
 *
 * Errors. Every call that can fail returns a kiln_status_t. When it is not
 * KILN_OK, kiln_last_error() returns one line saying what failed and where
 * ("guest.wasm: function 3 at offset 0x2a: type mismatch"). That string
 * belongs to the calling thread and stays valid until that thread's next
 * failing kiln call; copy it to keep it. No C++ exception crosses this API.
 *
 * A guest that traps, runs out of fuel or time, or exits is an ordinary
 * outcome, reported by status and in a kiln_call_result_t; the host, the
 * store and every other guest carry on.
 *
 * Ownership. Objects made by kiln_*_new (and kiln_module_from_file) are
 * freed by the matching kiln_*_delete, in any order: an engine, module or
 * linker stays alive internally as long as something made from it needs
 * it. Instances and function handles belong to their store and go with it;
 * a lease goes with kiln_lease_release. Pointers into guest memory are
 * valid until the guest next runs (memory.grow may move it).
 *
 * Threads. Engines, modules and pools may be used from any thread at once;
 * a linker once its definitions are made. A store, and everything in it,
 * is used by one thread at a time.
 */
#ifndef KILN_KILN_H
#define KILN_KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KILN_API __attribute__((visibility("default")))
#else
#define KILN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Errors ============================================================ */

typedef enum kiln_status_t {
  KILN_OK = 0,
  KILN_ERR_INVALID_ARGUMENT = 1, /* a NULL handle, a wrong value type or count, a range outside memory */
  KILN_ERR_INVALID_MODULE = 2,   /* malformed, invalid or too large a module, or compiling it failed */
  KILN_ERR_LINK = 3,             /* an import is missing or has another type; no such export */
  KILN_ERR_TRAP = 4,             /* the guest trapped (see kiln_trap_kind_t) */
  KILN_ERR_OUT_OF_FUEL = 5,      /* the store's fuel budget ran out */
  KILN_ERR_DEADLINE = 6,         /* the store's time limit passed */
  KILN_ERR_EXIT = 7,             /* the guest ended itself (WASI proc_exit); see exit_code */
  KILN_ERR_POOL_EXHAUSTED = 8,   /* every instance of the pool is leased */
  KILN_ERR_IO = 9,               /* a file or database could not be read or written */
  KILN_ERR_UNSUPPORTED = 10,     /* not available here: the interpreter in libkiln.so, or a module feature
                                    (SIMD, threads, ...) the AOT backend lacks when it may not fall back */
  KILN_ERR_INTERNAL = 11,        /* a bug or resource exhaustion in kiln itself */
  /* The extension platform's (extension points, deploy, execute): */
  KILN_ERR_NOT_FOUND = 12,          /* no such extension point, extension or version */
  KILN_ERR_INVALID_DEFINITION = 13, /* an extension point definition or schema that kiln refuses */
  KILN_ERR_CONTRACT = 14,           /* a module breaks its extension point's contract (imports, exports, size) */
  KILN_ERR_INVALID_CONFIG = 15,     /* an extension's config fails the config schema */
  KILN_ERR_INVALID_INPUT = 16,      /* an input that is not JSON, too large, or fails the input schema */
  KILN_ERR_INVALID_OUTPUT = 17,     /* an output that is too large, not JSON, or fails the output schema */
  KILN_ERR_EXTENSION_FAILED = 18,   /* the extension exited non-zero (its log says why) */
  KILN_ERR_ALREADY_EXISTS = 19      /* creating what exists: an extension point of that name */
} kiln_status_t;

/* The failure most recently reported on this thread (see the top). Never NULL. */
KILN_API const char* kiln_last_error(void);

/* A short stable name: "ok", "trap", "out of fuel", ... */
KILN_API const char* kiln_status_name(kiln_status_t status);

/* ==== Values ============================================================ */

typedef enum kiln_valkind_t {
  KILN_I32 = 0,
  KILN_I64 = 1,
  KILN_F32 = 2,
  KILN_F64 = 3,
} kiln_valkind_t;

/* One argument or result. Only numbers cross the C API; a function with a
 * v128 or reference parameter or result cannot be called or defined here. */
typedef struct kiln_val_t {
  kiln_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
  } of;
} kiln_val_t;

/* ==== Engine ============================================================ */

typedef struct kiln_engine_t kiln_engine_t;

typedef enum kiln_backend_t {
  KILN_BACKEND_AOT = 0,    /* compiled to native code through C; cached */
  KILN_BACKEND_INTERP = 1, /* WABT's interpreter; libkiln.a only */
} kiln_backend_t;

typedef struct kiln_engine_config_t {
  kiln_backend_t backend;
  /* The artifact cache. NULL: $KILN_CACHE_DIR, $XDG_CACHE_HOME/kiln or ~/.cache/kiln. */
  const char* cache_dir;
  /* libkiln.so: the `kiln` executable that compiles modules. NULL: see the top. */
  const char* compiler;
  /* Modules larger than this are refused before they are decoded. */
  uint64_t max_module_bytes;
  /* libkiln.a, AOT: run modules the C translator cannot handle (SIMD,
   * threads, ...) on the interpreter instead of refusing them. */
  bool aot_interp_fallback;
} kiln_engine_config_t;

/* Fills `config` with the defaults: AOT, default cache, 16 MiB, fallback on. */
KILN_API void kiln_engine_config_init(kiln_engine_config_t* config);

/* `config` NULL: the defaults. The strings are copied. Thread-safe once made. */
KILN_API kiln_status_t kiln_engine_new(const kiln_engine_config_t* config, kiln_engine_t** out);
KILN_API void kiln_engine_delete(kiln_engine_t* engine);

/* ==== Module ============================================================ */

typedef struct kiln_module_t kiln_module_t;

/* Decodes, validates and compiles (libkiln.so: finds or has `kiln compile`
 * make the artifact). `name` (may be NULL) names the module in messages. */
KILN_API kiln_status_t kiln_module_new(kiln_engine_t* engine, const uint8_t* bytes, size_t size, const char* name,
                                       kiln_module_t** out);
/* The same from a file; KILN_ERR_IO when it cannot be read. */
KILN_API kiln_status_t kiln_module_from_file(kiln_engine_t* engine, const char* path, kiln_module_t** out);
KILN_API void kiln_module_delete(kiln_module_t* module);

/* The module's exports and imports, as the guest declared them. The names
 * are owned by the module. */
KILN_API size_t kiln_module_export_count(const kiln_module_t* module);
KILN_API const char* kiln_module_export_name(const kiln_module_t* module, size_t index);
KILN_API size_t kiln_module_import_count(const kiln_module_t* module);
KILN_API const char* kiln_module_import_module(const kiln_module_t* module, size_t index);
KILN_API const char* kiln_module_import_name(const kiln_module_t* module, size_t index);

/* ==== Linker and host functions ========================================= */

typedef struct kiln_linker_t kiln_linker_t;

/* The call in progress, as a host function sees it. Valid only during
 * that host call. */
typedef struct kiln_caller_t kiln_caller_t;

/* A host function. `args` holds the parameters, `results` (kinds set,
 * values zero) receives the results. To trap, call kiln_caller_trap()
 * before returning; to end the guest program, kiln_caller_exit(). */
typedef void (*kiln_host_callback_t)(void* user_data, kiln_caller_t* caller, const kiln_val_t* args, size_t nargs,
                                     kiln_val_t* results, size_t nresults);

KILN_API kiln_status_t kiln_linker_new(kiln_linker_t** out);
KILN_API void kiln_linker_delete(kiln_linker_t* linker);

/* Defines module.name as a host function of the given type. `finalizer`
 * (may be NULL) is called with `user_data` when the last user of the
 * definition (the linker, a store, a pool) is gone. Defining a name again
 * replaces it. */
KILN_API kiln_status_t kiln_linker_define_func(kiln_linker_t* linker, const char* module, const char* name,
                                               const kiln_valkind_t* params, size_t nparams,
                                               const kiln_valkind_t* results, size_t nresults,
                                               kiln_host_callback_t callback, void* user_data,
                                               void (*finalizer)(void* user_data));

/* Every export of `instance` (functions, memories, tables, globals)
 * becomes importable as module.<export name>: one module linked to
 * another's instance, as a Shopify function to its provider. The linker
 * then serves only instantiations into the instance's own store (another
 * store's kiln_store_instantiate fails with KILN_ERR_LINK). Defining a
 * name again replaces it. */
typedef struct kiln_instance_t kiln_instance_t;
KILN_API kiln_status_t kiln_linker_define_instance(kiln_linker_t* linker, const char* module,
                                                   kiln_instance_t* instance);

/* Memory 0 of the instance that called; NULL (and *size 0) if it has none. */
KILN_API uint8_t* kiln_caller_memory(kiln_caller_t* caller, size_t* size);
/* Makes the call trap with a host error carrying `message` (copied). */
KILN_API void kiln_caller_trap(kiln_caller_t* caller, const char* message);
/* Ends the guest program with `code`: the call reports KILN_ERR_EXIT. */
KILN_API void kiln_caller_exit(kiln_caller_t* caller, int32_t code);

/* ==== Store and limits ================================================== */

typedef struct kiln_store_t kiln_store_t;

/* Per-call limits. A guest that hits one traps (fuel, time) or sees
 * memory.grow fail (memory). */
typedef struct kiln_limits_t {
  uint64_t fuel;             /* about one unit per instruction; KILN_UNLIMITED_FUEL: none */
  uint64_t max_memory_bytes; /* cap on each linear memory */
  uint64_t timeout_ns;       /* wall-clock budget per call; 0: none */
} kiln_limits_t;

#define KILN_UNLIMITED_FUEL UINT64_MAX

KILN_API kiln_status_t kiln_store_new(kiln_engine_t* engine, kiln_store_t** out);
/* Frees the store and its instances. A lease's store goes with its lease
 * (kiln_lease_release) and takes no further instances. */
KILN_API void kiln_store_delete(kiln_store_t* store);
KILN_API void kiln_store_get_limits(const kiln_store_t* store, kiln_limits_t* out);
KILN_API kiln_status_t kiln_store_set_limits(kiln_store_t* store, const kiln_limits_t* limits);

/* ==== Per-call results ================================================== */

/* How a trap happened. */
typedef enum kiln_trap_kind_t {
  KILN_TRAP_NONE = 0,
  KILN_TRAP_UNREACHABLE,
  KILN_TRAP_MEMORY_OUT_OF_BOUNDS,
  KILN_TRAP_TABLE_OUT_OF_BOUNDS,
  KILN_TRAP_INTEGER_DIVIDE_BY_ZERO,
  KILN_TRAP_INTEGER_OVERFLOW,
  KILN_TRAP_INVALID_CONVERSION,
  KILN_TRAP_CALL_STACK_EXHAUSTED,
  KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH,
  KILN_TRAP_INDIRECT_CALL_NULL,
  KILN_TRAP_OUT_OF_FUEL,
  KILN_TRAP_DEADLINE,
  KILN_TRAP_HOST_ERROR,
} kiln_trap_kind_t;

/* What one call produced besides its results. The strings are owned by
 * the store and valid until its next call (or instantiation). */
typedef struct kiln_call_result_t {
  kiln_status_t status;        /* KILN_OK, or why the call ended otherwise */
  kiln_trap_kind_t trap_kind;  /* when status is TRAP, OUT_OF_FUEL or DEADLINE */
  const char* trap_message;    /* "" when none */
  int32_t exit_code;           /* when status is EXIT */
  uint64_t fuel_used;
  uint64_t memory_peak_bytes;  /* largest size of memory 0 seen */
  uint64_t elapsed_ns;
  /* What the guest wrote, when its store has a WASI context with captured
   * output (kiln_wasi_config_t.inherit_stdio false). Not NUL-terminated. */
  const char* stdout_data;
  size_t stdout_size;
  const char* stderr_data;
  size_t stderr_size;
} kiln_call_result_t;

/* A short stable name for a trap kind: "out of fuel", "unreachable", ... */
KILN_API const char* kiln_trap_kind_name(kiln_trap_kind_t kind);

/* ==== Instances, calls, guest memory ==================================== */

/* Resolves the module's imports through `linker`, instantiates it in
 * `store` and runs its start function. KILN_ERR_LINK names the import that
 * is missing or mistyped; KILN_ERR_TRAP (or OUT_OF_FUEL, DEADLINE) when
 * initialization trapped. The instance belongs to the store. */
KILN_API kiln_status_t kiln_store_instantiate(kiln_store_t* store, kiln_module_t* module, kiln_linker_t* linker,
                                              kiln_instance_t** out);

/* Calls an exported function under the store's limits. `args` must match
 * its parameters; `results` (may be NULL when nresults is 0) receives
 * exactly as many results as it returns. `result` (may be NULL) receives
 * the per-call figures. Returns KILN_OK, KILN_ERR_TRAP / OUT_OF_FUEL /
 * DEADLINE / EXIT for the guest's outcome, KILN_ERR_LINK for no such
 * export, KILN_ERR_INVALID_ARGUMENT for mismatched arguments. */
KILN_API kiln_status_t kiln_instance_call(kiln_instance_t* instance, const char* export_name, const kiln_val_t* args,
                                          size_t nargs, kiln_val_t* results, size_t nresults,
                                          kiln_call_result_t* result);

/* An exported function resolved once, for hosts that call it many times:
 * calls through it skip the name lookup and the type check of the name.
 * It belongs to the instance's store (for a lease: until the release). */
typedef struct kiln_func_t kiln_func_t;

/* KILN_ERR_LINK when there is no such exported function; KILN_ERR_INVALID_ARGUMENT
 * when its type has a value kind the C API does not pass. */
KILN_API kiln_status_t kiln_instance_get_func(kiln_instance_t* instance, const char* export_name, kiln_func_t** out);
/* As kiln_instance_call. */
KILN_API kiln_status_t kiln_func_call(kiln_func_t* func, const kiln_val_t* args, size_t nargs, kiln_val_t* results,
                                      size_t nresults, kiln_call_result_t* result);

/* Memory 0 of the instance (exported or not); NULL and *size 0 if none. */
KILN_API uint8_t* kiln_instance_memory(kiln_instance_t* instance, size_t* size);
/* Bounds-checked copies; nothing is copied when the range does not fit. */
KILN_API kiln_status_t kiln_instance_read_memory(kiln_instance_t* instance, uint32_t offset, void* out,
                                                 size_t length);
KILN_API kiln_status_t kiln_instance_write_memory(kiln_instance_t* instance, uint32_t offset, const void* data,
                                                  size_t length);
/* Allocates `size` bytes with the allocator the guest exports (kiln_alloc,
 * cabi_realloc or malloc) and copies `data` there: the usual way to pass an
 * input. *out_offset receives the guest address. */
KILN_API kiln_status_t kiln_instance_write_input(kiln_instance_t* instance, const void* data, uint32_t size,
                                                 uint32_t* out_offset);
/* For guests without an allocator: grows memory 0 by enough pages for
 * `size` bytes and gives the host that range, which no guest data uses. */
KILN_API kiln_status_t kiln_instance_reserve_host_region(kiln_instance_t* instance, uint32_t size,
                                                         uint32_t* out_offset);

/* ==== Instance pools ===================================================== */

typedef struct kiln_pool_t kiln_pool_t;
typedef struct kiln_lease_t kiln_lease_t;

typedef struct kiln_pool_config_t {
  size_t max_instances;        /* leased + idle at once; 0: 64 */
  uint64_t max_resident_bytes; /* memory idle instances may keep; 0: 256 MiB */
  kiln_limits_t limits;        /* every lease's store starts with these */
} kiln_pool_config_t;

typedef struct kiln_pool_stats_t {
  size_t idle;
  size_t leased;
  uint64_t resident_bytes;
  uint64_t created;   /* instantiations from scratch */
  uint64_t reused;    /* leases served by a reset instance */
  uint64_t discarded;
} kiln_pool_stats_t;

/* Fills `config` with the defaults: 64 instances, 256 MiB, no limits. */
KILN_API void kiln_pool_config_init(kiln_pool_config_t* config);

/* Resolves the module's imports through `linker` once (KILN_ERR_LINK names
 * the first that fails). Thread-safe: any thread may acquire and release. */
KILN_API kiln_status_t kiln_pool_new(kiln_module_t* module, kiln_linker_t* linker, const kiln_pool_config_t* config,
                                     kiln_pool_t** out);
/* Leases remain valid after the pool is deleted (they keep it alive). */
KILN_API void kiln_pool_delete(kiln_pool_t* pool);
KILN_API void kiln_pool_stats(const kiln_pool_t* pool, kiln_pool_stats_t* out);

/* An idle instance, else a new one. KILN_ERR_POOL_EXHAUSTED when
 * max_instances are leased; KILN_ERR_TRAP when a new instance's
 * initialization trapped. */
KILN_API kiln_status_t kiln_pool_acquire(kiln_pool_t* pool, kiln_lease_t** out);
/* The leased instance and its store (for limits and WASI), valid until
 * the lease is released. */
KILN_API kiln_instance_t* kiln_lease_instance(kiln_lease_t* lease);
KILN_API kiln_store_t* kiln_lease_store(kiln_lease_t* lease);
/* Returns the instance to the pool, reset to a fresh instantiation's state
 * (memory, globals, tables; WASI contexts dropped), and frees the lease. */
KILN_API void kiln_lease_release(kiln_lease_t* lease);

/* ==== WASI =============================================================== */

/* WASI preview 1 with no filesystem and no network. */
typedef struct kiln_wasi_config_t {
  const char* const* args; /* argv; args[0] is the program name */
  size_t nargs;
  const char* const* env; /* "KEY=VALUE" */
  size_t nenv;
  const uint8_t* stdin_data; /* what the guest reads from stdin */
  size_t stdin_size;
  bool inherit_stdio;        /* true: the process's own stdin/stdout/stderr */
  uint64_t max_output_bytes; /* captured stdout and stderr cap, each; 0: 1 MiB */
} kiln_wasi_config_t;

/* Defines every wasi_snapshot_preview1 function in `linker`. */
KILN_API kiln_status_t kiln_linker_define_wasi(kiln_linker_t* linker);
/* Gives the store's guests a WASI context (args, env, stdin, captured
 * output). On a lease's store it lasts until the lease is released. */
KILN_API kiln_status_t kiln_store_set_wasi(kiln_store_t* store, const kiln_wasi_config_t* config);

/* ==== Executing extensions =============================================== */

/* The extension platform's one execution API (docs/platform.md): run the
 * extension bound to an extension point for a scope, in this process on a
 * registry file that `kiln deploy` fills, or on a kiln service over HTTP.
 * Which one is configuration, not code: the same calls, the same results. */
typedef struct kiln_executor_t kiln_executor_t;
typedef struct kiln_exec_result_t kiln_exec_result_t;

typedef struct kiln_executor_config_t {
  /* Remote when set: "http://host:port" or "unix:/path/to.sock" (a kiln
   * service, docs/http-api.md). Otherwise in process. */
  const char* url;
  /* The service's execute token (remote only; NULL: none). Never logged. */
  const char* token;
  /* Remote: the whole call's time limit; 0: 250 ms. A call that exceeds it,
   * or finds the service down, is "not run" (see below). */
  uint32_t timeout_ms;
  /* In process: the registry file; NULL: the one `kiln` uses by default
   * ($KILN_HOME/registry.db, else $XDG_DATA_HOME/kiln/registry.db, else
   * ~/.local/share/kiln/registry.db). Deploys made meanwhile, by this or
   * another process, are picked up within poll_ms (0: 200 ms). */
  const char* registry;
  uint32_t poll_ms;
} kiln_executor_config_t;

/* Zeroes `config`: in process, on the default registry. */
KILN_API void kiln_executor_config_init(kiln_executor_config_t* config);
/* Opens an executor. In process this opens the registry (an error if it
 * cannot); remote, it checks the URL and connects on the first call. */
KILN_API kiln_status_t kiln_executor_new(const kiln_executor_config_t* config, kiln_executor_t** out);
/* Frees the executor. Every call on it, on any thread, must have returned;
 * results already made stay valid. */
KILN_API void kiln_executor_delete(kiln_executor_t* executor);

/* Runs the extension bound to `extension_point` for `scope` on `input` (a
 * JSON object, size bytes). Safe from many threads at once. Returns KILN_OK
 * with a result whenever the call was made — whatever happened to the
 * extension: the result's status says — and an error only for a bad
 * argument (NULL pointers). Free the result with kiln_exec_result_delete. */
KILN_API kiln_status_t kiln_executor_execute(kiln_executor_t* executor, const char* extension_point,
                                             const char* scope, const uint8_t* input, size_t size,
                                             kiln_exec_result_t** out);

/* The caller's data format: JSON text or MessagePack (docs/abi.md,
 * "Formats"). Values are stable. */
typedef enum kiln_data_format_t { KILN_FORMAT_JSON = 0, KILN_FORMAT_MSGPACK = 1 } kiln_data_format_t;

/* What one call may choose beyond kiln_executor_execute's arguments. Set
 * it up with kiln_exec_options_init: fields may be added at the end, and
 * init sets them to what kiln_executor_execute does. */
typedef struct kiln_exec_options_t {
  kiln_data_format_t input_format;  /* what `input` is; JSON by default */
  kiln_data_format_t output_format; /* what the result's output is to be; JSON by default */
} kiln_exec_options_t;

/* JSON in, JSON out: kiln_executor_execute's choices. */
KILN_API void kiln_exec_options_init(kiln_exec_options_t* options);
/* kiln_executor_execute with options (NULL: the defaults). The input is
 * read in options->input_format and the output given in
 * options->output_format; where the extension point's guest speaks the
 * other format, kiln converts in one pass. A MessagePack input with no
 * JSON meaning (bin, ext, a key that is not a string, NaN), truncated or
 * followed by more bytes is "invalid input", with a pointer to where. */
KILN_API kiln_status_t kiln_executor_execute_with(kiln_executor_t* executor, const char* extension_point,
                                                  const char* scope, const uint8_t* input, size_t size,
                                                  const kiln_exec_options_t* options, kiln_exec_result_t** out);

/* How an execution ended. Values are stable. */
typedef enum kiln_exec_status_t {
  KILN_EXEC_OK = 0,               /* ran; the output passed the output schema */
  KILN_EXEC_NOT_RUN = 1,          /* nothing enabled is bound for the scope, or a remote service
                                     is down or slow: the host goes on without customisation */
  KILN_EXEC_INVALID_INPUT = 2,    /* the input is not JSON, too large, or fails the input schema */
  KILN_EXEC_INVALID_OUTPUT = 3,   /* the output is too large, not JSON, or fails the output schema */
  KILN_EXEC_EXTENSION_FAILED = 4, /* the guest exited non-zero */
  KILN_EXEC_TRAPPED = 5,
  KILN_EXEC_OUT_OF_FUEL = 6,
  KILN_EXEC_DEADLINE = 7,
  KILN_EXEC_ERROR = 8 /* no such extension point, a module that cannot load, a kiln failure */
} kiln_exec_status_t;

/* "ok", "not run", "invalid input", ... (as in `kiln exec --json`). */
KILN_API const char* kiln_exec_status_name(kiln_exec_status_t status);

/* The stages of the execute path, in order (docs/platform.md). */
typedef enum kiln_exec_stage_t {
  KILN_STAGE_LOOKUP = 0,
  KILN_STAGE_VALIDATE_INPUT = 1,
  KILN_STAGE_SERIALIZE = 2,
  KILN_STAGE_ACQUIRE = 3,
  KILN_STAGE_RUN = 4,
  KILN_STAGE_READ_OUTPUT = 5,
  KILN_STAGE_VALIDATE_OUTPUT = 6,
  KILN_STAGE_TOTAL = 7
} kiln_exec_stage_t;
#define KILN_EXEC_STAGE_COUNT 8

/* "lookup", "validate_input", ..., "total". */
KILN_API const char* kiln_exec_stage_name(kiln_exec_stage_t stage);

/* Everything a result holds besides its output and log. Strings point into
 * the result and live as long as it; none is NULL ("" when unknown). */
typedef struct kiln_exec_details_t {
  kiln_exec_status_t status;
  kiln_status_t error_kind;   /* KILN_OK for ok and not run (unless degraded: see error_message) */
  const char* error_message;  /* "" when there is no error */
  const char* error_pointer;  /* RFC 6901 pointer to the bad value, "" when none */
  const char* extension_point;
  const char* scope;         /* as asked */
  const char* matched_scope; /* the binding that ran: the scope or "*" */
  const char* extension;
  int64_t version;
  const char* module_sha256;
  const char* backend; /* "aot" or "interp" */
  int32_t exit_code;
  bool log_truncated;
  bool input_validated; /* the input schema was checked on this call */
  uint64_t input_bytes;
  uint64_t fuel_used, fuel_limit;
  uint64_t memory_peak_bytes, memory_limit_bytes;
  uint64_t run_ns, time_limit_ns;
  uint64_t network_ns; /* remote: round trip minus the service's total; 0 in process */
  uint64_t stage_ns[KILN_EXEC_STAGE_COUNT];
} kiln_exec_details_t;

KILN_API void kiln_exec_result_details(const kiln_exec_result_t* result, kiln_exec_details_t* out);
/* True when the version that answered (details.version) is a canary, live
 * for this scope's share of scopes beside the live version
 * (docs/platform.md, "Redeploys drain; canaries"). */
KILN_API bool kiln_exec_result_canary(const kiln_exec_result_t* result);
/* The guest's output (JSON text, or MessagePack when the call asked for
 * it: kiln_exec_result_output_format), or NULL with *size 0 when it did
 * not run. */
KILN_API const char* kiln_exec_result_output(const kiln_exec_result_t* result, size_t* size);
/* The format of kiln_exec_result_output: the call's output_format. */
KILN_API kiln_data_format_t kiln_exec_result_output_format(const kiln_exec_result_t* result);
/* The guest's log (stderr), cut at the extension point's log limit. */
KILN_API const char* kiln_exec_result_log(const kiln_exec_result_t* result, size_t* size);
/* The whole result as one JSON object: the body `kiln exec --json` prints
 * and the service answers (docs/abi.md, "The result"). */
KILN_API const char* kiln_exec_result_json(kiln_exec_result_t* result, size_t* size);
KILN_API void kiln_exec_result_delete(kiln_exec_result_t* result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_KILN_H */
