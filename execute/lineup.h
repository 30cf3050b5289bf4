// Lineup: which of the extensions bound at an extension point run for a
// scope, and in which order — the one rule behind combine single, chain
// and all (docs/extension-points.md, "Several extensions at one point").
// Computed when the executor rebuilds its index, never per call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "registry/extension_point.h"
#include "registry/registry.h"

namespace kiln::execute {

// The order several extensions run in: priority, high first; among equals
// the most recently deployed (the one single would pick), then the scope's
// own before "*"'s, then by name.
bool runs_before(const registry::Extension& a, const registry::Extension& b);

// Per scope ("*" included), the enabled extensions `bound` to `ep` that run
// there, in order: single — the scope's first (a scope's binding replaces
// "*"'s); chain and all — the scope's and "*"'s together (a shop runs the
// apps installed on it and the platform-wide ones).
std::map<std::string, std::vector<const registry::Extension*>> lineups(
    const registry::ExtensionPoint& ep, const std::vector<const registry::Extension*>& bound);

}  // namespace kiln::execute
