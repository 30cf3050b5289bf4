// Crash points: named places in multi-step writes (a deploy) where a test
// can make the process die as a `kill -9` would, to prove that no such
// death loses or corrupts state. Set KILN_CRASH_POINT=<name> in the
// environment; reaching that point raises SIGKILL. Unset, a crash point
// costs one cached comparison.
#pragma once

namespace kiln::base {

void crash_point(const char* name);

}  // namespace kiln::base
