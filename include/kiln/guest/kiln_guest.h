/* kiln_guest.h: writing a kiln-reactor extension in C (docs/abi.md).
 *
 * A kiln-reactor guest is a WebAssembly *reactor*: a library of exports,
 * built without main, whose `_initialize` (made by the toolchain; it runs
 * your constructors) kiln runs once per pooled instance, never per call.
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 \
 *           -I<kiln prefix>/include -o ext.wasm ext.c
 *
 * One call, as the host makes it:
 *
 *   1. kiln calls your `kiln_alloc(size)` for the input and copies it there:
 *      the caller's JSON object with the extension's config as its last
 *      member, `"config": {...}` — the same bytes a wasi-command guest reads
 *      on stdin. That is the input's one copy; the buffer is yours.
 *   2. kiln calls your entry, `run(ptr, len)` (the extension point's
 *      "entry"), which returns the output as kiln_output(ptr, len): a JSON
 *      value in your memory. kiln reads it in place when you return, so it
 *      must stay valid until then (static or heap memory; not your stack).
 *      kiln_fail(code) instead ends the call as "extension failed".
 *   3. Between calls kiln puts the instance back as `_initialize` left it:
 *      nothing one call writes, heap included, reaches the next.
 *
 * kiln_log(text, len) adds a line to the call's log. WASI preview1 without
 * files or sockets is allowed by default, as for wasi-command (what the
 * guest writes to stderr joins the log); a guest that imports no WASI
 * function pays nothing for it.
 *
 *     #include <kiln/guest/kiln_guest.h>
 *     static int64_t run(const char* input, uint32_t len) {
 *       static const char out[] = "{\"ok\":true}";
 *       kiln_log_str("hello");
 *       return kiln_output(out, sizeof out - 1);
 *     }
 *     KILN_ALLOCATOR_MALLOC()
 *     KILN_ENTRY(run)
 *
 * Plain C99; any language that can export these two functions and import
 * kiln.log speaks the ABI. */
#ifndef KILN_GUEST_KILN_GUEST_H
#define KILN_GUEST_KILN_GUEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__wasm__)
#define KILN_IMPORT(name) __attribute__((import_module("kiln"), import_name(name)))
#define KILN_EXPORT(name) __attribute__((export_name(name)))
#else /* a native build of the same code (tests, benchmarks): the host provides these */
#define KILN_IMPORT(name)
#define KILN_EXPORT(name)
#endif

/* ---- imports: module "kiln" ------------------------------------------------ */

/* Appends bytes [text, text + len) and a newline to the call's log (cut at
 * the extension point's limits.max_log). A range outside memory traps.
 * Lines logged by _initialize are dropped: there is no call yet. */
KILN_IMPORT("log") void kiln_log(const char* text, uint32_t len);

static inline void kiln_log_str(const char* text) { kiln_log(text, (uint32_t)strlen(text)); }

/* ---- results ------------------------------------------------------------------ */

/* The entry's return value for output [data, data + len): (ptr << 32) | len. */
static inline int64_t kiln_output(const void* data, uint32_t len) {
  return (int64_t)(((uint64_t)(uintptr_t)data << 32) | len);
}

/* The entry's return value for a failure: the call ends "extension failed"
 * with exit_code `code` (1 or more), the log says why. */
static inline int64_t kiln_fail(int32_t code) { return -(int64_t)(code > 0 ? code : 1); }

/* ---- exports --------------------------------------------------------------- */

/* Defines `kiln_alloc(size) -> ptr` with malloc: what kiln writes the input
 * into. Nothing need free it: the instance is reset after the call. */
#define KILN_ALLOCATOR_MALLOC()                               \
  KILN_EXPORT("kiln_alloc") void* kiln_alloc(uint32_t size) { \
    return malloc(size ? size : 1);                           \
  }

/* Exports `fn`, of type int64_t fn(const char* input, uint32_t len), as the
 * entry `name` (the extension point's "entry"). */
#define KILN_ENTRY_NAMED(name, fn)                                            \
  KILN_EXPORT(name) int64_t kiln_entry_##fn(const char* input, uint32_t len) { \
    return fn(input, len);                                                    \
  }

/* The usual entry: `run`. */
#define KILN_ENTRY(fn) KILN_ENTRY_NAMED("run", fn)

#ifdef __cplusplus
}
#endif

#endif /* KILN_GUEST_KILN_GUEST_H */
