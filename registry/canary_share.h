// Which scopes a canary runs for. A scope's place among the 100 shares is
// a stable hash of its name alone — the same on every machine, in every
// process and across deploys — so a canary at 10% always reaches the same
// tenth of the scopes, and raising it to 20% keeps that tenth and adds
// another.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln::registry {

// 0..99: FNV-1a (64 bit) of the scope's bytes, modulo 100.
inline int canary_bucket(std::string_view scope) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : scope) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return static_cast<int>(hash % 100);
}

// True when a canary at `percent` (0-100) runs for `scope`.
inline bool runs_canary(std::string_view scope, int percent) { return canary_bucket(scope) < percent; }

}  // namespace kiln::registry
