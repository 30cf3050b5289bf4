// Start-up tracing: where the time of a short `kiln run` goes (docs/aot.md,
// "Start-up"). With KILN_STARTUP_TRACE=1 in the environment, each mark
// prints one line to stderr: the phase that just ended, its wall time and
// the page faults it took. The first mark, at the top of main(), reports
// what came before main (exec, the dynamic loader, static initialisers) as
// the CPU time and faults the process had used by then.
//
// Without the variable a mark is one test of a flag read once: the marks
// stay in the start-up path for good.
#pragma once

namespace kiln::base {

// `phase`: a string literal naming the work since the previous mark.
void trace_startup(const char* phase);

}  // namespace kiln::base
