#!/usr/bin/env python3
"""The seed's proxy benchmark (seeds/002, issue 15): h2load against Traffic
Server on loopback, the seed's filter (read User-Agent, add X-Kiln-Agent to
the request) done four ways, in one run:

  none            no plugin: the proxy's own cost
  header_rewrite  ATS's native header_rewrite plugin
  lua             ATS's Lua plugin (tslua, LuaJIT)
  kiln            kiln_ats.so running tests/guests/proxy_add_header.c on AOT

Each is its own Traffic Server (private runroot, same thread count),
started once and warmed; the origin is ATS's generator plugin inside each
proxy (64-byte responses, no cache), so that an origin process does not
share the cores. Rounds alternate between the four in a rotating order;
the comparisons are medians of ratios within a round, since a shared VM's
speed drifts from one minute to the next. The table shows each one's median
round (requests/s, latency p50/p99 from h2load's per-request log),
traffic_server's resident memory and the plugin's share (its RSS minus
none's). For kiln, also the VMs alive and the
linear memory they hold (plugin.kiln.vms, plugin.kiln.vm_memory_bytes).

usage: bench-ats.py --plugin build/kiln_ats.so --kiln build/kiln --guests build/guests
                    [--cache-dir DIR] [--requests N] [--clients N] [--rounds N] [--work DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ats_sandbox  # noqa: E402

VARIANTS = ("none", "header_rewrite", "lua", "kiln")
LOAD_CPUS = None  # --load-cpus
LUA_FILTER = """function do_remap()
  local agent = ts.client_request.header['User-Agent'] or 'none'
  ts.client_request.header['X-Kiln-Agent'] = agent
  return 0
end
"""


def plugin_params(variant, args, work):
    if variant == "none":
        return ""
    if variant == "header_rewrite":
        rules = os.path.join(work, "header_rewrite.conf")
        with open(rules, "w") as f:
            f.write("set-header X-Kiln-Agent %{HEADER:User-Agent}\n")
        return "@plugin=header_rewrite.so @pparam=" + rules
    if variant == "lua":
        script = os.path.join(work, "filter.lua")
        with open(script, "w") as f:
            f.write(LUA_FILTER)
        return "@plugin=tslua.so @pparam=" + script
    return ("@plugin=%s @pparam=--module=%s @pparam=--kiln=%s @pparam=--cache-dir=%s" %
            (os.path.abspath(args.plugin), os.path.join(os.path.abspath(args.guests), "proxy_add_header.wasm"),
             os.path.abspath(args.kiln), os.path.abspath(args.cache_dir)))


def resident_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def h2load(port, requests, clients, log_file=None):
    command = ["h2load", "--h1", "-t", "1", "-c", str(clients), "-n", str(requests),
               "-H", "User-Agent: h2load-bench/1", "http://127.0.0.1:%d/nocache/64" % port]
    if log_file:
        command.insert(1, "--log-file=" + log_file)
    if LOAD_CPUS:
        command = ["taskset", "-c", LOAD_CPUS] + command
    out = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout
    rate = None
    for line in out.splitlines():
        if line.startswith("finished in"):
            rate = float(line.split(",")[1].split()[0])
        if line.startswith("requests:") and " 0 failed" not in line:
            raise RuntimeError("h2load saw failures: " + line)
        if line.startswith("status codes:") and not line.split(":")[1].strip().startswith(str(requests) + " 2xx"):
            raise RuntimeError("h2load saw non-2xx answers: " + line)
    if rate is None:
        raise RuntimeError("h2load printed no rate:\n" + out)
    return rate


def latencies_us(log_file):
    with open(log_file) as f:
        values = sorted(int(line.split("\t")[2]) for line in f if line.strip())
    return values[len(values) // 2], values[min(len(values) - 1, len(values) * 99 // 100)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--guests", required=True)
    parser.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/kiln"))
    parser.add_argument("--requests", type=int, default=30000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--work", default="/tmp/kiln-bench-ats")
    parser.add_argument("--proxy-cpus", default="1", help="taskset CPU list for the proxies ('' for none)")
    parser.add_argument("--load-cpus", default="0", help="taskset CPU list for h2load ('' for none)")
    args = parser.parse_args()
    global LOAD_CPUS
    LOAD_CPUS = args.load_cpus or None
    args.proxy_cpus = args.proxy_cpus or None
    if not ats_sandbox.traffic_server_found() or not shutil.which("h2load"):
        print("SKIP: needs Traffic Server (trafficserver) and h2load (nghttp2-client)")
        sys.exit(77)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    proxies = {}
    try:
        for variant in VARIANTS:
            ats = ats_sandbox.AtsSandbox(os.path.join(args.work, variant))
            ats.prepare(["map / http://127.0.0.1/ %s @plugin=generator.so" % plugin_params(variant, args, args.work)])
            ats.start(cpus=args.proxy_cpus)
            h2load(ats.port, max(1000, args.requests // 10), args.clients)  # warm up
            proxies[variant] = ats
        samples = {variant: [] for variant in VARIANTS}
        for round_index in range(args.rounds):
            order = VARIANTS[round_index % len(VARIANTS):] + VARIANTS[:round_index % len(VARIANTS)]
            for variant in order:
                log_file = os.path.join(args.work, "%s-%d.log" % (variant, round_index))
                rate = h2load(proxies[variant].port, args.requests, args.clients, log_file)
                p50, p99 = latencies_us(log_file)
                os.remove(log_file)
                samples[variant].append((rate, p50, p99))
        memory = {variant: resident_kib(proxies[variant].server) for variant in VARIANTS}
        kiln_vms = proxies["kiln"].metric("plugin.kiln.vms")
        kiln_vm_bytes = proxies["kiln"].metric("plugin.kiln.vm_memory_bytes")
    finally:
        for ats in proxies.values():
            ats.stop()

    print("h2load --h1 -c %d, %d requests per round, %d rounds; Traffic Server %s, 2 net threads, "
          "generator.so as origin" % (args.clients, args.requests, args.rounds, ats_version()))
    print("req/s and latencies: each plugin's median round; 'of none': the median over rounds of the ratio "
          "within a round (this VM's speed drifts between rounds, not within one)")
    print("%-15s | %9s | %8s | %7s | %7s | %8s | %10s" %
          ("plugin", "req/s", "of none", "p50 us", "p99 us", "RSS MiB", "plugin MiB"))
    for variant in VARIANTS:
        rounds = sorted(samples[variant])
        rate, p50, p99 = rounds[len(rounds) // 2]
        print("%-15s | %9.0f | %7.1f%% | %7d | %7d | %8.1f | %10.1f" %
              (variant, rate, 100.0 * paired_ratio(samples, variant, "none"), p50, p99, memory[variant] / 1024.0,
               (memory[variant] - memory["none"]) / 1024.0))
    print("kiln against lua: %+.1f%% req/s; against header_rewrite: %+.1f%% req/s (medians of per-round ratios; "
          "the target: within -5%%)" % (100.0 * (paired_ratio(samples, "kiln", "lua") - 1),
                                        100.0 * (paired_ratio(samples, "kiln", "header_rewrite") - 1)))
    if kiln_vms:
        print("kiln: %d VMs alive (one per net thread that served a request), %.1f KiB of linear memory each" %
              (kiln_vms, kiln_vm_bytes / 1024.0 / kiln_vms))


def paired_ratio(samples, variant, baseline):
    """The median over rounds of variant's req/s over baseline's in the same round."""
    ratios = sorted(v[0] / b[0] for v, b in zip(samples[variant], samples[baseline]))
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


def ats_version():
    out = subprocess.run(["traffic_server", "--version"], capture_output=True, text=True)
    words = (out.stdout + out.stderr).split()
    return words[2] if len(words) > 2 else "?"


if __name__ == "__main__":
    main()
