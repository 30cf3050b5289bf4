// Decoding and validation: valid modules load, and every malformed or
// hostile input gets one line naming the problem and where, never a crash.
#include "wasm/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/test_support.h"
#include "wasm/wat_parser.h"

namespace kiln::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes assemble(std::string_view wat) {
  Result<Bytes> bytes = wat_to_wasm(wat, "test.wat");
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : Bytes{};
}

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

// A module made of the header and `sections`, each given as id + payload.
Bytes module_with(std::initializer_list<std::pair<uint8_t, Bytes>> sections) {
  Bytes bytes = kHeader;
  for (const auto& [id, payload] : sections) {
    bytes.push_back(id);
    bytes.push_back(static_cast<uint8_t>(payload.size()));  // every test payload is < 128 bytes
    bytes.insert(bytes.end(), payload.begin(), payload.end());
  }
  return bytes;
}

std::string decode_error(const Bytes& bytes, const DecodeOptions& options = {}) {
  Result<DecodedModule> decoded = decode(bytes, "m.wasm", options);
  if (decoded.ok()) return "(decoded without error)";
  return decoded.error().message;
}

std::string hex(size_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%zx", value);
  return buffer;
}

TEST(Decoder, DecodesAValidModuleAndDescribesIt) {
  Bytes bytes = assemble(R"((module
    (import "env" "f" (func (param i32)))
    (memory (export "memory") 1)
    (func (export "run") (result i32) i32.const 7))
  )");
  Result<DecodedModule> decoded = decode(bytes, "m.wasm");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_NE(decoded->ir, nullptr);
  EXPECT_EQ(decoded->info.imports.size(), 1u);
  EXPECT_EQ(decoded->info.exports.size(), 2u);
  EXPECT_EQ(decoded->info.defined_functions, 1u);
  EXPECT_EQ(decoded->info.size_bytes, bytes.size());
}

TEST(Decoder, AcceptsThreadsTailCallsMemory64AndMultiMemory) {
  Bytes bytes = assemble(R"((module
    (memory 1 1 shared)
    (memory i64 1)
    (func $f (result i32) i32.const 0 i32.atomic.load return)
    (func (result i32) return_call $f))
  )");
  DecodeOptions options;
  options.multi_memory = true;
  Result<DecodedModule> decoded = decode(bytes, "m.wasm", options);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(decoded->info.features.threads);
  EXPECT_TRUE(decoded->info.features.tail_call);
  EXPECT_TRUE(decoded->info.features.memory64);
  EXPECT_TRUE(decoded->info.features.multi_memory);
}

TEST(Decoder, MultiMemoryIsOptIn) {
  // The 2.0 spec's answers by default (the testsuite's memory.wast and
  // binary.wast), the proposal's when asked for.
  Bytes two = assemble("(module (memory 1) (memory 1))");
  Result<DecodedModule> strict = decode(two, "two.wasm");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.error().message.find("only one memory"), std::string::npos) << strict.error().message;
  DecodeOptions options;
  options.multi_memory = true;
  EXPECT_TRUE(decode(two, "two.wasm", options).ok());
  // memory.size with memory index 1 encoded in its reserved byte.
  Bytes sized = module_with({{1, {0x01, 0x60, 0x00, 0x01, 0x7f}},
                             {3, {0x01, 0x00}},
                             {5, {0x01, 0x00, 0x01}},
                             {10, {0x01, 0x04, 0x00, 0x3f, 0x01, 0x0b}}});
  Result<DecodedModule> reserved = decode(sized, "sized.wasm");
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.error().message.find("memory.size reserved value must be 0"), std::string::npos)
      << reserved.error().message;
}

TEST(Decoder, RejectsExceptionHandling) {
  // A function whose body is `try end`: opcode 0x06, not an accepted feature.
  Bytes bytes = module_with({{1, {0x01, 0x60, 0x00, 0x00}},
                             {3, {0x01, 0x00}},
                             {10, {0x01, 0x05, 0x00, 0x06, 0x40, 0x0b, 0x0b}}});
  EXPECT_EQ(decode_error(bytes), "m.wasm: function 0 at offset 0x18: unexpected opcode: 0x6");
}

TEST(Decoder, RejectsEmptyInput) { EXPECT_EQ(decode_error({}), "m.wasm: empty file, not a WebAssembly module"); }

TEST(Decoder, RejectsBadMagic) {
  EXPECT_EQ(decode_error({0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00}), "m.wasm: at offset 0x4: bad magic value");
}

TEST(Decoder, RejectsBadVersion) {
  EXPECT_EQ(decode_error({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}),
            "m.wasm: at offset 0x8: bad wasm file version: 0x2 (expected 0x1)");
}

TEST(Decoder, RejectsTruncatedSection) {
  // A type section that claims 10 bytes and holds 3.
  Bytes bytes = kHeader;
  bytes.insert(bytes.end(), {0x01, 0x0a, 0x01, 0x60, 0x00});
  EXPECT_EQ(decode_error(bytes), "m.wasm: at offset 0xa: invalid section size: extends past end");
}

TEST(Decoder, RejectsOverlongLeb) {
  // A section size LEB128 that never ends within 5 bytes.
  Bytes bytes = kHeader;
  bytes.insert(bytes.end(), {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_EQ(decode_error(bytes), "m.wasm: at offset 0x9: unable to read u32 leb128: section size");
}

TEST(Decoder, RejectsHugeCountsWithoutAllocating) {
  // A type section that claims 4 billion types in a 5-byte payload.
  Bytes bytes = module_with({{1, {0xff, 0xff, 0xff, 0xff, 0x0f}}});
  EXPECT_EQ(decode_error(bytes), "m.wasm: at offset 0xf: invalid type count 4294967295, only 0 bytes left in section");
}

TEST(Decoder, NamesTheFunctionAndOffsetOfAValidationError) {
  Bytes bytes = assemble(R"((module
    (import "env" "f" (func))
    (func (result i32) i32.const 1)
    (func (result i32) i32.const 1 i64.const 2 i32.add))
  )");
  // WABT reports the offset just past the offending instruction.
  const Bytes bad_code = {0x41, 0x01, 0x42, 0x02, 0x6a};
  auto at = std::search(bytes.begin(), bytes.end(), bad_code.begin(), bad_code.end());
  ASSERT_NE(at, bytes.end());
  size_t after_add = static_cast<size_t>(at - bytes.begin()) + bad_code.size();
  EXPECT_EQ(decode_error(bytes), "m.wasm: function 2 at offset " + hex(after_add) +
                                     ": type mismatch in i32.add, expected [i32, i32] but got [i32, i64]");
  // The same, as data: a caller never parses the message.
  Result<DecodedModule> decoded = decode(bytes, "m.wasm");
  ASSERT_FALSE(decoded.ok());
  const Error& error = decoded.error();
  EXPECT_EQ(error.kind, ErrorKind::InvalidModule);
  EXPECT_EQ(error.where.file, "m.wasm");
  EXPECT_EQ(error.where.func_index, std::optional<uint32_t>(2));
  EXPECT_EQ(error.where.offset, std::optional<uint64_t>(after_add));
}

TEST(Decoder, AMalformedModuleIsAnInvalidModuleErrorWithItsOffset) {
  Bytes bytes = kHeader;
  bytes.insert(bytes.end(), {0x01, 0x0a, 0x01, 0x60, 0x00});
  Result<DecodedModule> decoded = decode(bytes, "m.wasm");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().kind, ErrorKind::InvalidModule);
  EXPECT_EQ(decoded.error().where.offset, std::optional<uint64_t>(0xa));
  EXPECT_FALSE(decoded.error().where.func_index.has_value());
  Result<DecodedModule> empty = decode({}, "m.wasm");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, ErrorKind::InvalidModule);
}

TEST(Decoder, NamesTheFunctionOfAMalformedBody) {
  // Function 0 is fine; function 1's body holds the undefined opcode 0xff.
  Bytes bytes = module_with({{1, {0x01, 0x60, 0x00, 0x00}},
                             {3, {0x02, 0x00, 0x00}},
                             {10, {0x02, 0x02, 0x00, 0x0b, 0x03, 0x00, 0xff, 0x0b}}});
  std::string error = decode_error(bytes);
  EXPECT_EQ(error.rfind("m.wasm: function 1 at offset 0x", 0), 0u) << error;
  EXPECT_NE(error.find("unexpected opcode"), std::string::npos) << error;
}

TEST(Decoder, RefusesModulesOverTheSizeLimit) {
  DecodeOptions options;
  options.max_module_bytes = 16;
  EXPECT_EQ(decode_error(Bytes(20, 0), options), "m.wasm: module is 20 bytes, over the limit of 16");
  // The default limit is 16 MiB, checked before any decoding.
  EXPECT_EQ(decode_error(Bytes((16u << 20) + 1, 0)), "m.wasm: module is 16777217 bytes, over the limit of 16777216");
}

TEST(Decoder, RejectsBlocksInInitializersThatWouldAbortWabt) {
  // A global initializer `i32.const 0; if` cut off by the end of its section,
  // then an element segment: WABT 1.0.32's IR reader asserts on this input.
  Bytes bytes = module_with({{6, {0x01, 0x7f, 0x00, 0x41, 0x00, 0x04, 0x40}},
                             {9, {0x01, 0x00, 0x41, 0x00, 0x0b, 0x00}}});
  EXPECT_EQ(decode_error(bytes), "m.wasm: at offset 0x10: constant expression required, found if");
}

TEST(Decoder, RejectsAnInitializerWithoutEnd) {
  Bytes bytes = module_with({{6, {0x01, 0x7f, 0x00, 0x41, 0x00}}});
  EXPECT_EQ(decode_error(bytes), "m.wasm: at offset 0xf: unexpected end of initializer expression, expected end opcode");
}

TEST(Decoder, RefusesFunctionsWithTooManyLocals) {
  // One function declaring 50,001 i32 locals in a single entry.
  Bytes bytes = module_with({{1, {0x01, 0x60, 0x00, 0x00}},
                             {3, {0x01, 0x00}},
                             {10, {0x01, 0x06, 0x01, 0xd1, 0x86, 0x03, 0x7f, 0x0b}}});
  std::string error = decode_error(bytes);
  EXPECT_EQ(error.rfind("m.wasm: function 0 at offset 0x", 0), 0u) << error;
  EXPECT_NE(error.find("function has 50001 locals, over the limit of 50000"), std::string::npos) << error;
}

// A function body of `depth` nested empty blocks; `closed` adds the ends.
Bytes nested_blocks(size_t depth, bool closed) {
  Bytes body = {0x00};
  for (size_t i = 0; i < depth; ++i) body.insert(body.end(), {0x02, 0x40});
  if (closed) body.insert(body.end(), depth + 1, 0x0b);
  Bytes code = {0x01};
  uint64_t size = body.size();
  do {  // LEB128 body size
    code.push_back(static_cast<uint8_t>((size & 0x7f) | (size > 0x7f ? 0x80 : 0)));
    size >>= 7;
  } while (size);
  code.insert(code.end(), body.begin(), body.end());
  Bytes bytes = module_with({{1, {0x01, 0x60, 0x00, 0x00}}, {3, {0x01, 0x00}}});
  bytes.push_back(10);
  uint64_t section = code.size();
  do {
    bytes.push_back(static_cast<uint8_t>((section & 0x7f) | (section > 0x7f ? 0x80 : 0)));
    section >>= 7;
  } while (section);
  bytes.insert(bytes.end(), code.begin(), code.end());
  return bytes;
}

TEST(Decoder, RefusesDeeplyNestedBlocks) {
  std::string error = decode_error(nested_blocks(20000, /*closed=*/true));
  EXPECT_EQ(error.rfind("m.wasm: function 0 at offset 0x", 0), 0u) << error;
  EXPECT_NE(error.find("blocks nested more than 10000 deep"), std::string::npos) << error;
}

TEST(Decoder, SurvivesAMillionUnclosedBlocks) {
  // WABT frees nested IR recursively; a million levels would overflow the
  // stack if the decoder did not tear the partial IR down itself.
  Bytes bytes = nested_blocks(1000000, /*closed=*/false);
  EXPECT_EQ(decode_error(bytes),
            "m.wasm: function 0 at offset " + hex(bytes.size()) + ": function body must end with END opcode");
}

// Byte-level mutations of valid modules: each mutant decodes or gets one
// line naming the module; none crashes (the test binary would die).
TEST(Decoder, MutatedModulesNeverCrash) {
  std::vector<Bytes> seeds = {
      kiln::test::read_file(kiln::test::guest_path("wasm_inspect")),
      assemble(R"((module (memory 1) (global (mut i32) (i32.const 0))
        (table 2 funcref) (elem (i32.const 0) $f $f) (data (i32.const 8) "abc")
        (func $f (export "f") (param i32) (result i32)
          (block (result i32) (loop (br_if 0 (local.get 0))) (local.get 0)))))"),
  };
  std::mt19937 random(12345);  // fixed: a failure must be reproducible
  int decoded = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes bytes = seeds[i % seeds.size()];
    int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations && !bytes.empty(); ++m) {
      size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0: bytes[at] = static_cast<uint8_t>(random()); break;
        case 1: bytes.erase(bytes.begin() + static_cast<long>(at)); break;
        case 2: bytes.resize(at); break;
      }
    }
    Result<DecodedModule> result = decode(bytes, "mutant.wasm");
    if (result.ok()) {
      ++decoded;
      continue;
    }
    const std::string& message = result.error().message;
    ASSERT_EQ(message.rfind("mutant.wasm: ", 0), 0u) << message;
    ASSERT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_LT(decoded, 3000);  // the mutations did break modules
}

}  // namespace
}  // namespace kiln::wasm
