// The V8 side of kiln_function_bench (bench/function_bench.cc): runs
// Shopify Functions in Node's WebAssembly (V8) with node:wasi, the way
// function-runner runs them on Wasmtime: every execution on a fresh
// instance of the provider and of the function, each module compiled once.
//
// Usage: node function_runner.mjs JOB.json
// JOB.json: {"fixtures": [{"name", "function", "provider" (path or null),
//   "provider_name", "export", "memory_io", "input_b64", "runs"}]}
// Prints one JSON object on stdout: the Node version, each provider's
// compile time, and per fixture the p50/p95 per execution (µs), the output
// and logs of the last execution (base64) and whether it succeeded.
//
// A provider is linked by import name as kiln links it
// (host/function_providers.h): instantiated first, its exports passed as
// the function's imports under the provider's name. Input and output:
//  - over WASI (stdin/stdout/stderr are files opened per execution);
//  - memory I/O (shopify_function_v2, shopify_functions_javy_v3+): the
//    provider's initialize(length) says where to copy the input, and its
//    finalize() points at six little-endian u32s (output, then two log
//    ranges), as host/function_memory_io.h reads them.
// The WASI streams belong to the provider when there is one (a Javy
// function imports the provider's memory and calls no WASI itself).
import { readFileSync, writeFileSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'kiln-fnbench-'));
const compiled = new Map();  // path -> {module, ms}

function compile(path) {
  if (compiled.has(path)) return compiled.get(path);
  const bytes = readFileSync(path);
  const start = process.hrtime.bigint();
  const module = new WebAssembly.Module(bytes);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const entry = { module, ms };
  compiled.set(path, entry);
  return entry;
}

function importsWasi(module) {
  return WebAssembly.Module.imports(module).some((i) => i.module === 'wasi_snapshot_preview1');
}

// A WASI binding needs only the memory (and runs `_initialize` if given):
// an object shaped like an instance, for the provider's memory.
function bindWasi(wasi, instance, exportName) {
  if (exportName === '_start' && typeof instance.exports._start === 'function') return { code: wasi.start(instance) };
  wasi.initialize({ exports: { memory: instance.exports.memory } });
  return null;
}

function u32(memory, at) {
  return new DataView(memory.buffer).getUint32(at, true);
}

function bytesOf(memory, offset, length) {
  return Buffer.from(new Uint8Array(memory.buffer, offset, length));
}

// One execution; returns {ok, output, logs} (output and logs as Buffers
// for memory I/O, else read from the files by the caller).
function execute(fx, fn, provider, input, fds) {
  const wasi = new WASI({
    version: 'preview1',
    args: [fx.name],
    env: {},
    stdin: fds.stdin,
    stdout: fds.stdout,
    stderr: fds.stderr,
    returnOnExit: true,
  });
  const imports = { wasi_snapshot_preview1: wasi.wasiImport };
  let p = null;
  if (provider) {
    p = new WebAssembly.Instance(provider, imports);
    wasi.initialize({ exports: { memory: p.exports.memory } });
    imports[fx.provider_name] = p.exports;
  }
  const f = new WebAssembly.Instance(fn, imports);
  if (fx.memory_io) {
    const at = p.exports.initialize(input.length);
    new Uint8Array(p.exports.memory.buffer, at, input.length).set(input);
  }
  let ok = true;
  try {
    if (!p && importsWasi(fn)) {
      const started = bindWasi(wasi, f, fx.export);
      if (started) ok = started.code === 0;
      else f.exports[fx.export]();
    } else {
      f.exports[fx.export]();
    }
  } catch (e) {
    ok = false;
  }
  if (!fx.memory_io) return { ok };
  const header = p.exports.finalize();
  const m = p.exports.memory;
  const output = bytesOf(m, u32(m, header), u32(m, header + 4));
  const logs = Buffer.concat([bytesOf(m, u32(m, header + 8), u32(m, header + 12)),
                              bytesOf(m, u32(m, header + 16), u32(m, header + 20))]);
  return { ok, output, logs };
}

function quantile(sorted, q) {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

const result = { node: process.version, providers: {}, fixtures: [] };
try {
  for (const fx of job.fixtures) {
    const fn = compile(fx.function);
    const provider = fx.provider ? compile(fx.provider) : null;
    if (provider) result.providers[fx.provider_name] = { compile_ms: provider.ms };
    const input = Buffer.from(fx.input_b64, 'base64');
    const inputPath = join(scratch, 'input');
    const outPath = join(scratch, 'stdout');
    const errPath = join(scratch, 'stderr');
    writeFileSync(inputPath, input);
    const samples = [];
    let last = null;
    const warmup = Math.min(10, fx.runs);
    for (let i = 0; i < warmup + fx.runs; ++i) {
      // Opening the streams is left out of the time: kiln's are in memory.
      const fds = { stdin: openSync(inputPath, 'r'), stdout: openSync(outPath, 'w'), stderr: openSync(errPath, 'w') };
      const start = process.hrtime.bigint();
      const r = execute(fx, fn.module, provider ? provider.module : null, input, fds);
      const us = Number(process.hrtime.bigint() - start) / 1e3;
      closeSync(fds.stdin);
      closeSync(fds.stdout);
      closeSync(fds.stderr);
      if (i >= warmup) samples.push(us);
      last = r;
    }
    if (!fx.memory_io) {
      last.output = readFileSync(outPath);
      last.logs = readFileSync(errPath);
    }
    samples.sort((a, b) => a - b);
    result.fixtures.push({
      name: fx.name,
      compile_ms: fn.ms,
      runs: samples.length,
      p50_us: quantile(samples, 0.5),
      p95_us: quantile(samples, 0.95),
      success: last.ok,
      output_b64: last.output.toString('base64'),
      logs_b64: last.logs.toString('base64'),
    });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
