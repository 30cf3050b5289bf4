#!/usr/bin/env python3
"""Fails when a file includes a layer it may not (DESIGN.md, "Layers").

Scans every `#include "..."` of the C++ sources in kiln's layer folders
and prints, for each include the table below does not allow,

    file:line: <layer> includes <header> from <layer of the header>

then exits 1. No dependencies beyond python3.

    scripts/check-layers.py [--root DIR] [--extra AS=FILE]...

--extra checks FILE as if it were at AS (a path under the root, e.g.
runtime/planted.cc): the ctest layer_check.planted uses it to prove that
an upward include is caught.
"""

import argparse
import os
import re
import sys

# Bottom to top, each layer with the layers below it that it may include
# (a layer always includes itself). Data flows top to bottom; the table is
# explicit rather than "anything lower" because some lower layers are off
# limits: runtime/ (run side) never includes wasm/ (compile side) nor a
# backend, and nothing below registry/ knows about extension points.
LAYERS = [
    ("base", []),
    ("wasm", ["base"]),
    ("rt", ["base"]),
    ("backends", ["base", "wasm", "rt"]),  # + BACKEND_INTERFACE, below
    ("runtime", ["base", "rt"]),
    ("host", ["base", "runtime"]),
    ("schema", ["base"]),
    ("registry", ["base", "runtime", "schema"]),
    ("deploy", ["base", "wasm", "backends", "runtime", "schema", "registry"]),
    # The two libraries' wiring: which backends and which deploy path each
    # library links (runtime/front.h's implementations).
    ("library", ["base", "wasm", "rt", "backends", "runtime", "host", "deploy"]),
    ("execute", ["base", "runtime", "host", "schema", "registry", "deploy"]),
    ("workflows", ["base", "runtime", "host", "schema", "registry", "execute"]),
    ("spectest", ["base", "wasm", "runtime", "host"]),
    # Front doors.
    # The C API wraps the Executor too (kiln_executor_*): execute/ and what
    # its headers name.
    ("capi", ["base", "runtime", "host", "schema", "registry", "execute"]),
    ("server", ["base", "runtime", "host", "schema", "registry", "deploy", "execute", "workflows"]),
    # The Traffic Server plugin: proxy-wasm filters on the run side.
    ("ats", ["base", "runtime", "host"]),
    ("cli", ["base", "wasm", "rt", "backends", "runtime", "host", "schema", "registry", "deploy", "library",
             "execute", "workflows", "spectest", "server"]),  # server: `kiln serve` starts it
]

# The one upward edge: backends implement the interface runtime/ declares,
# so they may include it, and the public types its signatures name.
BACKEND_INTERFACE = {
    "runtime/backend.h",
    "runtime/host_call.h",
    "kiln/store.h",
    "kiln/trap.h",
    "kiln/call_result.h",
    "kiln/host_function.h",
}

# include/kiln/: the public headers belong to the layer that implements
# them; the rest of kiln/ is runtime's (Engine, Module, Store, ...).
PUBLIC_HEADERS = {
    "kiln/error.h": "base",
    "kiln/result.h": "base",
    "kiln/value.h": "base",
    "kiln/extern.h": "base",
    "kiln/module_info.h": "base",
    "kiln/wasi.h": "host",
    "kiln/wasi_tape.h": "host",
    "kiln/kiln.hpp": "host",  # the whole C++ API, WASI included
    "kiln/kiln.h": "capi",
}

RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
MAY_INCLUDE = {name: set(allowed) | {name} for name, allowed in LAYERS}
SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".c")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of_path(path):
    """The layer of a file or header path relative to the root, or None."""
    path = path.replace(os.sep, "/")
    if path.startswith("include/"):
        path = path[len("include/"):]
    if path.startswith("kiln/"):
        return PUBLIC_HEADERS.get(path, "runtime")
    top = path.split("/", 1)[0]
    return top if top in RANK else None


def check_file(shown_path, layer, real_path):
    """Yields one message per include `layer` may not make."""
    with open(real_path, encoding="utf-8", errors="replace") as source:
        for number, line in enumerate(source, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header = match.group(1)
            if "/" not in header:
                continue  # beside the file itself (or generated C's wasm-rt.h)
            target = layer_of_path(header)
            if target is None or target in MAY_INCLUDE[layer]:
                continue  # another project's header (wabt/, ...), or allowed
            if layer == "backends" and header in BACKEND_INTERFACE:
                continue
            where = "a higher layer" if RANK[target] > RANK[layer] else f"a layer {layer} may not include"
            yield f"{shown_path}:{number}: {layer} includes {header} from {target} ({where})"


def layered_files(root):
    for top in ["include/kiln"] + [name for name, _ in LAYERS]:
        base = os.path.join(root, top)
        for folder, _, names in os.walk(base):
            for name in sorted(names):
                if name.endswith(SOURCE_SUFFIXES):
                    real = os.path.join(folder, name)
                    yield os.path.relpath(real, root), real


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("--extra", action="append", default=[], metavar="AS=FILE",
                        help="also check FILE as if it were at AS (relative to the root)")
    args = parser.parse_args()

    files = list(layered_files(args.root))
    for extra in args.extra:
        shown, _, real = extra.partition("=")
        if not real:
            parser.error(f"--extra {extra}: expected AS=FILE")
        files.append((shown, real))

    problems = []
    for shown, real in files:
        layer = layer_of_path(shown)
        if layer is None:
            problems.append(f"{shown}: not in any layer folder")
            continue
        problems.extend(check_file(shown, layer, real))
    for problem in problems:
        print(problem)
    print(f"layers: {len(files)} files, {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
