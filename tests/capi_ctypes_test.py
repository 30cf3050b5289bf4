#!/usr/bin/env python3
"""libkiln.so driven from Python ctypes, as an FFI host would.

  capi_ctypes_test.py LIBKILN_SO KILN_BINARY GUEST_DIR WORK_DIR

libkiln.so is the run-time half of kiln (no WABT): it loads compiled
artifacts through the module index and has `kiln compile` (a real
subprocess) build the ones it lacks. WORK_DIR holds an isolated cache and is
emptied first. Exits non-zero, naming the failed check, on any failure.
"""
import ctypes
import os
import shutil
import subprocess
import sys

LIB, KILN, GUESTS, WORK = sys.argv[1:5]
CACHE = os.path.join(WORK, "cache")

KILN_OK, KILN_ERR_INVALID_ARGUMENT, KILN_ERR_INVALID_MODULE = 0, 1, 2
KILN_ERR_TRAP, KILN_ERR_OUT_OF_FUEL, KILN_ERR_UNSUPPORTED = 4, 5, 10
KILN_BACKEND_AOT, KILN_BACKEND_INTERP = 0, 1
KILN_I32 = 0
KILN_TRAP_INTEGER_DIVIDE_BY_ZERO, KILN_TRAP_OUT_OF_FUEL, KILN_TRAP_HOST_ERROR = 4, 10, 12
UNLIMITED = 2**64 - 1


class Val(ctypes.Structure):
    class Of(ctypes.Union):
        _fields_ = [("i32", ctypes.c_int32), ("i64", ctypes.c_int64),
                    ("f32", ctypes.c_float), ("f64", ctypes.c_double)]
    _fields_ = [("kind", ctypes.c_int), ("of", Of)]


class EngineConfig(ctypes.Structure):
    _fields_ = [("backend", ctypes.c_int), ("cache_dir", ctypes.c_char_p),
                ("compiler", ctypes.c_char_p), ("max_module_bytes", ctypes.c_uint64),
                ("aot_interp_fallback", ctypes.c_bool)]


class Limits(ctypes.Structure):
    _fields_ = [("fuel", ctypes.c_uint64), ("max_memory_bytes", ctypes.c_uint64),
                ("timeout_ns", ctypes.c_uint64)]


class CallResult(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("trap_kind", ctypes.c_int),
                ("trap_message", ctypes.c_char_p), ("exit_code", ctypes.c_int32),
                ("fuel_used", ctypes.c_uint64), ("memory_peak_bytes", ctypes.c_uint64),
                ("elapsed_ns", ctypes.c_uint64),
                ("stdout_data", ctypes.c_void_p), ("stdout_size", ctypes.c_size_t),
                ("stderr_data", ctypes.c_void_p), ("stderr_size", ctypes.c_size_t)]


HostCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Val),
                                ctypes.c_size_t, ctypes.POINTER(Val), ctypes.c_size_t)

kiln = ctypes.CDLL(LIB)
P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
for name, args in {
    "kiln_engine_config_init": [ctypes.POINTER(EngineConfig)],
    "kiln_engine_new": [ctypes.POINTER(EngineConfig), PP],
    "kiln_module_new": [P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, PP],
    "kiln_module_from_file": [P, ctypes.c_char_p, PP],
    "kiln_linker_new": [PP],
    "kiln_linker_define_func": [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                ctypes.c_size_t, ctypes.POINTER(ctypes.c_int), ctypes.c_size_t,
                                HostCallback, P, P],
    "kiln_linker_define_wasi": [P],
    "kiln_store_new": [P, PP],
    "kiln_store_get_limits": [P, ctypes.POINTER(Limits)],
    "kiln_store_set_limits": [P, ctypes.POINTER(Limits)],
    "kiln_store_set_wasi": [P, P],
    "kiln_store_instantiate": [P, P, P, PP],
    "kiln_instance_call": [P, ctypes.c_char_p, ctypes.POINTER(Val), ctypes.c_size_t,
                           ctypes.POINTER(Val), ctypes.c_size_t, ctypes.POINTER(CallResult)],
    "kiln_instance_write_input": [P, ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)],
    "kiln_caller_trap": [P, ctypes.c_char_p],
}.items():
    getattr(kiln, name).argtypes = args
kiln.kiln_last_error.restype = ctypes.c_char_p
kiln.kiln_trap_kind_name.restype = ctypes.c_char_p
for name in ["kiln_store_delete", "kiln_module_delete", "kiln_linker_delete", "kiln_engine_delete"]:
    getattr(kiln, name).argtypes = [P]

failures = []


def check(condition, what, detail=None):
    """`detail` (the last error, say) is shown only when the check fails."""
    if not condition and detail is not None:
        what += ": " + detail
    print(("ok    " if condition else "FAIL  ") + what)
    if not condition:
        failures.append(what)


def last_error():
    return kiln.kiln_last_error().decode()


def engine(backend=KILN_BACKEND_AOT, compiler=None):
    config = EngineConfig()
    kiln.kiln_engine_config_init(ctypes.byref(config))
    config.backend = backend
    config.cache_dir = CACHE.encode()
    config.compiler = compiler.encode() if compiler else None
    handle = P()
    status = kiln.kiln_engine_new(ctypes.byref(config), ctypes.byref(handle))
    return status, handle


def module_from(eng, path):
    handle = P()
    status = kiln.kiln_module_from_file(eng, path.encode(), ctypes.byref(handle))
    return status, handle


def instantiate(eng, module, linker):
    store = P()
    kiln.kiln_store_new(eng, ctypes.byref(store))
    instance = P()
    status = kiln.kiln_store_instantiate(store, module, linker, ctypes.byref(instance))
    return status, store, instance


def call(instance, name, args, nresults):
    argv = (Val * max(1, len(args)))()
    for i, value in enumerate(args):
        argv[i].kind = KILN_I32
        argv[i].of.i32 = value
    out = (Val * max(1, nresults))()
    result = CallResult()
    status = kiln.kiln_instance_call(instance, name.encode(), argv, len(args), out, nresults,
                                     ctypes.byref(result))
    return status, [out[i].of.i32 for i in range(nresults)], result


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# ---- 0. the library's face: the C API and nothing else, under a SONAME.
symbols = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True, text=True).stdout.split()
exported = [name for name in symbols[2::3]]
check(exported and all(name.startswith("kiln_") and not name.startswith("kiln_rt_") for name in exported),
      "libkiln.so exports only kiln.h's functions", "also: %s" % [n for n in exported if not n.startswith("kiln_")][:5])
check("kiln_instance_call" in exported and "kiln_last_error" in exported, "the C API is exported")
dynamic = subprocess.run(["readelf", "-d", LIB], capture_output=True, text=True).stdout
check("Library soname: [libkiln.so.0]" in dynamic, "libkiln.so has the SONAME libkiln.so.0")
inside = subprocess.run(["nm", "-C", LIB], capture_output=True, text=True).stdout
check("wabt::" not in inside, "libkiln.so contains no WABT code (the run-time half)")
# The index's folder names the metering and translator versions
# (backends/aot/module_index.h): modules-m<N>-t<N>.
def index_entries():
    layout = os.path.join(CACHE, "aot-v1")
    folders = [f for f in os.listdir(layout) if f.startswith("modules-")] if os.path.isdir(layout) else []
    return [e for f in folders for e in os.listdir(os.path.join(layout, f))]

# ---- 1. an artifact-backed module: compiled ahead by `kiln compile`, then
# loaded by libkiln.so with a compiler that does not exist, which proves
# that loading starts no compile.
trap_kinds = os.path.join(GUESTS, "trap_kinds.wasm")
done = subprocess.run([KILN, "compile", "--cache-dir", CACHE, trap_kinds], capture_output=True, text=True)
check(done.returncode == 0, "kiln compile trap_kinds.wasm: " + done.stdout + done.stderr)
check(len(index_entries()) == 1, "kiln compile recorded the module in the module index")

status, eng = engine(compiler="/nonexistent/kiln")
check(status == KILN_OK, "libkiln.so makes an AOT engine")
status, module = module_from(eng, trap_kinds)
check(status == KILN_OK, "artifact-backed module loads without a compiler", last_error())
linker = P()
kiln.kiln_linker_new(ctypes.byref(linker))
status, store, instance = instantiate(eng, module, linker)
check(status == KILN_OK, "instantiate", last_error())
status, values, result = call(instance, "answer", [], 1)
check(status == KILN_OK and values == [42], "answer() returns 42, got %s %s" % (status, values))
check(result.fuel_used > 0, "the call reports the fuel it used")

status, values, result = call(instance, "divide_by_zero", [], 1)
check(status == KILN_ERR_TRAP, "divide_by_zero traps, status %d" % status)
check(result.trap_kind == KILN_TRAP_INTEGER_DIVIDE_BY_ZERO,
      "trap kind: " + kiln.kiln_trap_kind_name(result.trap_kind).decode())
check("integer divide by zero" in last_error() and "divide_by_zero" in last_error(),
      "the message names the trap and the export: " + last_error())
status, values, result = call(instance, "answer", [], 1)
check(status == KILN_OK and values == [42], "the instance carries on after the trap")

limits = Limits()
kiln.kiln_store_get_limits(store, ctypes.byref(limits))
check(limits.fuel == UNLIMITED, "fuel is unlimited by default")
limits.fuel = 5000
kiln.kiln_store_set_limits(store, ctypes.byref(limits))
status, _, result = call(instance, "recurse_forever", [], 0)
check(status in (KILN_ERR_OUT_OF_FUEL, KILN_ERR_TRAP), "recursion stops, status %d: %s" % (status, last_error()))
kiln.kiln_store_delete(store)

# ---- 2. a module with no artifact: libkiln.so has the real `kiln compile`
# build it (a subprocess), then runs it with a host function from Python.
status, eng2 = engine(compiler=KILN)
discount = os.path.join(GUESTS, "..", "examples", "checkout_discount.wasm")
status, module2 = module_from(eng2, discount)
check(status == KILN_OK, "libkiln.so compiles a new module through kiln compile", last_error())
check(len(index_entries()) == 2, "the new module is in the module index")

calls = []


@HostCallback
def tier_rate(user_data, caller, args, nargs, results, nresults):
    calls.append(args[0].of.i32)
    if args[0].of.i32 > 3:
        kiln.kiln_caller_trap(caller, b"no such tier")
        return
    results[0].of.i32 = 10 * args[0].of.i32


linker2 = P()
kiln.kiln_linker_new(ctypes.byref(linker2))
kiln.kiln_linker_define_wasi(linker2)
i32 = (ctypes.c_int * 1)(KILN_I32)
status = kiln.kiln_linker_define_func(linker2, b"env", b"tier_rate", i32, 1, i32, 1, tier_rate, None, None)
check(status == KILN_OK, "define env.tier_rate from Python")
status, store2, instance2 = instantiate(eng2, module2, linker2)
check(status == KILN_OK, "instantiate checkout_discount", last_error())


class WasiConfig(ctypes.Structure):
    _fields_ = [("args", P), ("nargs", ctypes.c_size_t), ("env", P), ("nenv", ctypes.c_size_t),
                ("stdin_data", P), ("stdin_size", ctypes.c_size_t), ("inherit_stdio", ctypes.c_bool),
                ("max_output_bytes", ctypes.c_uint64)]


kiln.kiln_store_set_wasi(store2, ctypes.byref(WasiConfig()))
cart = b"3 2000"
at = ctypes.c_uint32()
status = kiln.kiln_instance_write_input(instance2, cart, len(cart), ctypes.byref(at))
check(status == KILN_OK, "write the input into guest memory", last_error())
status, values, result = call(instance2, "discount", [at.value, len(cart)], 1)
check(status == KILN_OK and values == [600], "discount(3, 2000 cents) is 600, got %s %s" % (status, values))
check(calls == [3], "the Python host function saw tier 3")
said = ctypes.string_at(result.stdout_data, result.stdout_size).decode()
check(said == "tier 3: 30% off 2000 cents\n", "captured guest output: %r" % said)

cart = b"9 100"
kiln.kiln_instance_write_input(instance2, cart, len(cart), ctypes.byref(at))
status, values, result = call(instance2, "discount", [at.value, len(cart)], 1)
check(status == KILN_ERR_TRAP and result.trap_kind == KILN_TRAP_HOST_ERROR and result.trap_message == b"no such tier",
      "a trap raised in Python comes back as a host-error trap: %d %r" % (status, result.trap_message))
kiln.kiln_store_delete(store2)

# ---- 3. an index entry whose artifact was evicted is a miss: the module
# is compiled again, not reported broken.
artifacts = os.path.join(CACHE, "aot-v1")
for name in os.listdir(artifacts):
    if name.endswith(".so"):
        os.remove(os.path.join(artifacts, name))
status, module3 = module_from(eng2, trap_kinds)
check(status == KILN_OK, "a module whose artifact was evicted is compiled again", last_error())
check(any(name.endswith(".so") for name in os.listdir(artifacts)), "the artifact is back in the cache")

# ---- 4. what libkiln.so refuses, with a message saying why.
status, _ = engine(backend=KILN_BACKEND_INTERP)
check(status == KILN_ERR_UNSUPPORTED and "libkiln.so" in last_error(),
      "no interpreter in libkiln.so: " + last_error())

garbage = b"\0asm\1\0\0\0\x01\x05"
handle = P()
status = kiln.kiln_module_new(eng2, garbage, len(garbage), b"garbage.wasm", ctypes.byref(handle))
check(status == KILN_ERR_INVALID_MODULE and last_error().startswith("garbage.wasm: ")
      and "tmp-module" not in last_error(),
      "a malformed module fails in kiln compile, named as the host named it: " + last_error())

status, eng3 = engine(compiler="/nonexistent/kiln")
status, handle = module_from(eng3, os.path.join(GUESTS, "capi_host_calls.wasm"))
check(status == KILN_ERR_UNSUPPORTED and "/nonexistent/kiln" in last_error(),
      "a missing compiler is named: " + last_error())

simd = os.path.join(GUESTS, "capi_simd.wasm")
status, handle = module_from(eng2, simd)
check(status == KILN_ERR_UNSUPPORTED and "needs the interpreter" in last_error() and "simd" in last_error(),
      "a module only the interpreter runs is refused with the reason: " + last_error())

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
