// Every ErrorKind maps one to one onto a kiln_status_t, has a name of its
// own, and has an exit code (cli/exit_codes.h): callers decide by the kind.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "cli/exit_codes.h"
#include "kiln/error.h"
#include "kiln/kiln.h"
#include "kiln/module.h"
#include "kiln/engine.h"

namespace kiln {
namespace {

constexpr int kFirstKind = static_cast<int>(ErrorKind::InvalidArgument);
constexpr int kLastKind = static_cast<int>(kLastErrorKind);

TEST(ErrorKinds, EachIsADistinctStatusWithADistinctName) {
  std::set<std::string> names;
  for (int raw = kFirstKind; raw <= kLastKind; ++raw) {
    auto kind = static_cast<ErrorKind>(raw);
    auto status = static_cast<kiln_status_t>(kind);
    EXPECT_NE(status, KILN_OK);
    EXPECT_STREQ(kiln_status_name(status), to_string(kind)) << raw;
    EXPECT_STRNE(to_string(kind), "unknown") << raw;
    EXPECT_TRUE(names.insert(to_string(kind)).second) << "two kinds are named " << to_string(kind);
  }
  EXPECT_STREQ(kiln_status_name(static_cast<kiln_status_t>(kLastKind + 1)), "unknown status");
  EXPECT_STREQ(kiln_status_name(KILN_ERR_EXTENSION_FAILED), "extension failed");
}

TEST(ErrorKinds, EachHasAnExitCodeOfItsOwn) {
  // These are "other failure" (1) for the CLI: a guest's own exit passes
  // through, and the CLI never pools instances or expects a bug.
  const std::set<ErrorKind> shared_failure = {ErrorKind::Exit, ErrorKind::PoolExhausted, ErrorKind::Internal};
  std::map<int, ErrorKind> seen;
  for (int raw = kFirstKind; raw <= kLastKind; ++raw) {
    auto kind = static_cast<ErrorKind>(raw);
    int code = cli::exit_code_for(kind);
    EXPECT_GE(code, 1) << to_string(kind);
    EXPECT_LT(code, 124) << to_string(kind) << ": 124 and above are the shell's";
    if (shared_failure.count(kind)) {
      EXPECT_EQ(code, cli::kExitFailure) << to_string(kind);
      continue;
    }
    EXPECT_NE(code, cli::kExitFailure) << to_string(kind);
    auto [at, fresh] = seen.emplace(code, kind);
    EXPECT_TRUE(fresh) << to_string(kind) << " and " << to_string(at->second) << " share exit code " << code;
  }
  EXPECT_EQ(cli::exit_code_for(ErrorKind::Io), cli::kExitUnreadable);
  EXPECT_EQ(cli::exit_code_for(ErrorKind::InvalidModule), cli::kExitInvalidModule);
  EXPECT_EQ(cli::exit_code_for(ErrorKind::Link), cli::kExitLinkError);
  EXPECT_EQ(cli::exit_code_for(ErrorKind::Contract), cli::kExitContract);
}

TEST(ErrorKinds, AnUnreadableModuleFileIsAnIoError) {
  auto engine = Engine::create();
  ASSERT_TRUE(engine.ok());
  auto module = Module::from_file(*engine, "/nonexistent/guest.wasm");
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace kiln
