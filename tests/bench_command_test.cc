// `kiln bench` runs a benchmark program natively and on kiln, checks both
// printed the same checksum and reports the ratio. Only the shape of the
// report is checked here, never a time.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "cli/exit_codes.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

// Ten rounds of fib(27) keep the interpreter's part to a couple of seconds.
TEST(BenchCommandTest, ReportsRatioAndGeomeanForOneProgram) {
  auto run = test::run_kiln({"bench", "--repeat", "1", "--rounds", "10", "--program", "fib"});
  ASSERT_EQ(run.exit_code, cli::kExitOk) << run.err;
  const std::string number = R"(\d+\.\d+)";
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\nfib +" + number + " +" + number + " +" + number + "x")))
      << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\ngeomean +" + number + "x\n"))) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\nmachine: \\d+ CPUs, .+; \\d{4}-\\d\\d-\\d\\d"))) << run.out;
  EXPECT_EQ(run.out.find("sieve"), std::string::npos) << "--program fib runs fib alone";
}

// Each variant of fib is compiled once into the test cache; later runs only
// time them.
TEST(BenchCommandTest, BreakdownShowsEveryBuildOfTheModule) {
  auto run = test::run_kiln(
      {"bench", "--backend", "aot", "--breakdown", "--repeat", "1", "--rounds", "4", "--program", "fib"});
  ASSERT_EQ(run.exit_code, cli::kExitOk) << run.err;
  const std::string ratio = R"( +\d+\.\d+x)";
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\| +plain +\+conform +\+fuel +bounds\n)"))) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\nfib .*\|)" + ratio + ratio + ratio + ratio + "\n"))) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\ngeomean .*\|)" + ratio + ratio + ratio + ratio + "\n")))
      << run.out;
}

TEST(BenchCommandTest, BreakdownIsForTheAotBackend) {
  auto run = test::run_kiln({"bench", "--backend", "interp", "--breakdown", "--program", "fib"});
  EXPECT_EQ(run.exit_code, cli::kExitUsage);
  EXPECT_NE(run.err.find("--breakdown"), std::string::npos) << run.err;
}

TEST(BenchCommandTest, StartupComparesWholeProcessesWithNative) {
  auto run = test::run_kiln({"bench", "--backend", "aot", "--startup", "--startup-runs", "3"});
  ASSERT_EQ(run.exit_code, cli::kExitOk) << run.err;
  const std::string number = R"(\d+\.\d+)";
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\nhello.native +" + number + " +" + number + "\n"))) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\nkiln run --backend aot +" + number + " +" + number + "\n")))
      << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex("\nratio +" + number + "x +" + number + "x\n"))) << run.out;
}

TEST(BenchCommandTest, UnknownProgramIsAnError) {
  auto run = test::run_kiln({"bench", "--repeat", "1", "--program", "no_such_program"});
  EXPECT_EQ(run.exit_code, cli::kExitUnreadable);
  EXPECT_NE(run.err.find("no_such_program"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace kiln
