// A bounded, seeded mutation fuzz over every test guest. Each mutant must
// either fail to load with an error message, or instantiate and run its entry
// points to a clean end (returned, trapped or exited). It runs in-process on
// purpose: a mutant that crashes kiln crashes this test binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kiln/wasi.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

// Mutants per guest: enough to get past validation many times, few enough
// that the whole fuzz takes well under a minute on two cores.
constexpr int kMutantsPerGuest = 200;

// ---- LEB128, for tweaking the sizes and counts a module is built from ------

struct Leb {
  uint64_t value = 0;
  size_t length = 0;  // 0: not a well-formed u32 LEB128
};

Leb read_leb(const Bytes& bytes, size_t pos) {
  Leb leb;
  for (size_t i = 0; i < 5 && pos + i < bytes.size(); ++i) {
    leb.value |= uint64_t{bytes[pos + i] & 0x7fu} << (7 * i);
    if ((bytes[pos + i] & 0x80) == 0) {
      leb.length = i + 1;
      break;
    }
  }
  return leb;
}

// Encodes `value` in at least `min_length` bytes (padding is legal up to five
// bytes for a u32, malformed beyond).
Bytes encode_leb(uint64_t value, size_t min_length) {
  Bytes out;
  do {
    out.push_back(static_cast<uint8_t>(value & 0x7f));
    value >>= 7;
  } while (value != 0 || out.size() < min_length);
  for (size_t i = 0; i + 1 < out.size(); ++i) out[i] |= 0x80;
  return out;
}

struct Section {
  size_t size_pos;      // where its size LEB starts
  size_t payload;       // where its payload starts
  size_t payload_size;  // clipped to the end of the module
};

// The module's sections, as far as their headers can be followed.
std::vector<Section> sections(const Bytes& bytes) {
  std::vector<Section> found;
  size_t pos = 8;  // after magic and version
  while (pos + 1 < bytes.size()) {
    Leb size = read_leb(bytes, pos + 1);
    if (size.length == 0) break;
    size_t payload = pos + 1 + size.length;
    if (payload >= bytes.size()) break;
    found.push_back({pos + 1, payload, std::min<size_t>(size.value, bytes.size() - payload)});
    pos = payload + size.value;
  }
  return found;
}

// ---- mutations -------------------------------------------------------------

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  // Mostly one edit of `original`, sometimes two or three.
  Bytes mutate(const Bytes& original) {
    Bytes bytes = original;
    size_t edits = below(2) == 0 ? 1 : 2 + below(2);
    for (size_t i = 0; i < edits && !bytes.empty(); ++i) edit(bytes);
    return bytes;
  }

 private:
  void edit(Bytes& bytes) {
    switch (below(8)) {
      case 0: bytes[below(bytes.size())] ^= static_cast<uint8_t>(1u << below(8)); break;
      case 1: bytes[below(bytes.size())] = random_byte(); break;
      case 2: bytes.resize(below(bytes.size())); break;
      case 3: insert(bytes); break;
      case 4: erase(bytes); break;
      case 5: tweak_leb(bytes); break;
      default: replace_in_payload(bytes); break;
    }
  }

  void insert(Bytes& bytes) {
    size_t at = below(bytes.size() + 1);
    Bytes inserted(1 + below(4));
    for (uint8_t& b : inserted) b = random_byte();
    bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(at), inserted.begin(), inserted.end());
  }

  void erase(Bytes& bytes) {
    size_t at = below(bytes.size());
    size_t count = std::min(bytes.size() - at, 1 + below(4));
    bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(at), bytes.begin() + static_cast<ptrdiff_t>(at + count));
  }

  // Moves a section's size, or the first LEB of its payload (the item count
  // of most sections), off by one, to zero or to a huge value, sometimes in
  // an over-long encoding.
  void tweak_leb(Bytes& bytes) {
    std::vector<Section> found = sections(bytes);
    if (found.empty()) return;
    const Section& section = found[below(found.size())];
    size_t pos = below(2) == 0 ? section.size_pos : section.payload;
    Leb old = read_leb(bytes, pos);
    const uint64_t candidates[] = {old.value + 1, old.value - 1, 0, old.value * 2 + 1, 0xffffffff};
    uint64_t value = candidates[below(std::size(candidates))] & 0xffffffff;
    Bytes encoded = encode_leb(value, below(3) == 0 ? 5 + below(2) : 1);
    bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(pos), bytes.begin() + static_cast<ptrdiff_t>(pos + old.length));
    bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(pos), encoded.begin(), encoded.end());
  }

  // Changes one byte inside a section but keeps its LEB continuation bit, so
  // the framing often survives and the mutant gets past the decoder: other
  // constants, indices, opcodes, data.
  void replace_in_payload(Bytes& bytes) {
    std::vector<Section> found = sections(bytes);
    if (found.empty()) return;
    const Section& section = found[below(found.size())];
    if (section.payload_size == 0) return;
    uint8_t& b = bytes[section.payload + below(section.payload_size)];
    b = static_cast<uint8_t>((b & 0x80) | (random_byte() & 0x7f));
  }

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  uint8_t random_byte() { return static_cast<uint8_t>(below(256)); }

  std::mt19937_64 rng_;
};

// ---- running a mutant --------------------------------------------------------

// _start for WASI commands, else every exported function without
// parameters (a mutant's _start may have gained some: then it is skipped).
std::vector<std::string> entry_points(const ModuleInfo& info) {
  std::vector<std::string> names;
  for (const ExportDesc& e : info.exports) {
    if (e.kind != ExternKind::Func || !e.func_type.params.empty()) continue;
    if (e.name == "_start") return {e.name};
    names.push_back(e.name);
  }
  return names;
}

Limits fuzz_limits() {
  Limits limits;
  limits.fuel = 10'000'000;
  limits.max_memory_bytes = uint64_t{16} << 20;
  limits.timeout = 1s;
  return limits;
}

struct FuzzStats {
  int rejected = 0;      // failed to load
  int unlinkable = 0;    // loaded, failed to instantiate
  int ran = 0;           // instantiated and ran its entry points
};

class MutationFuzzTest : public testing::TestWithParam<std::string> {
 protected:
  MutationFuzzTest() { host::add_wasi(linker_); }

  static Engine make_engine() {
    auto engine = Engine::create();
    if (!engine.ok()) throw std::runtime_error(engine.error().message);
    return std::move(engine).value();
  }

  void run_mutant(const Bytes& bytes, const std::string& name, FuzzStats& stats) {
    auto module = Module::compile(engine_, bytes, name);
    if (!module.ok()) {
      EXPECT_FALSE(module.error().message.empty()) << name;
      ++stats.rejected;
      return;
    }
    Store store(engine_);
    store.limits() = fuzz_limits();
    host::attach_wasi(store, std::make_shared<host::WasiContext>(host::WasiConfig{.args = {name}}));
    auto instance = store.instantiate(*module, linker_);
    if (!instance.ok()) {
      EXPECT_FALSE(instance.error().message.empty()) << name;
      ++stats.unlinkable;
      return;
    }
    for (const std::string& entry : entry_points(module->info())) {
      CallResult result = instance->call(entry, {});
      EXPECT_NE(result.status, CallResult::Status::Failed) << name << " " << entry << ": " << result.error;
    }
    ++stats.ran;
  }

  Engine engine_ = make_engine();
  Linker linker_;
};

std::vector<std::string> all_guests() {
  std::vector<std::string> stems;
  for (const auto& entry : std::filesystem::directory_iterator(KILN_GUEST_DIR))
    if (entry.path().extension() == ".wasm") stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  return stems;
}

// Each guest gets its own fixed seed, the same on every run and machine.
uint64_t seed_for(const std::string& stem) {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (char c : stem) seed = (seed ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return seed;
}

TEST_P(MutationFuzzTest, EveryMutantLoadsWithAnErrorOrRunsToACleanEnd) {
  const std::string stem = GetParam();
  const Bytes original = test::read_file(test::guest_path(stem));
  ASSERT_TRUE(Module::compile(engine_, original, stem).ok()) << "the unmutated guest must load";

  Mutator mutator(seed_for(stem));
  FuzzStats stats;
  for (int i = 0; i < kMutantsPerGuest; ++i) {
    Bytes mutant = mutator.mutate(original);
    run_mutant(mutant, stem + "#" + std::to_string(i), stats);
  }
  // A fuzz whose mutants are all rejected tests nothing beyond the decoder.
  EXPECT_GT(stats.ran + stats.unlinkable, 0) << "no mutant of " << stem << " loaded";
  RecordProperty("rejected", stats.rejected);
  RecordProperty("unlinkable", stats.unlinkable);
  RecordProperty("ran", stats.ran);
}

INSTANTIATE_TEST_SUITE_P(AllGuests, MutationFuzzTest, testing::ValuesIn(all_guests()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace kiln
