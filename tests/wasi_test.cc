// WASI preview1: guests built with wasi-libc (and a few .wat guests) run
// through the embedding API with in-memory stdio, and through `kiln run`
// with the process's own stdio. Every preview1 function links; what kiln
// implements behaves as POSIX programs expect; what it refuses answers with
// the proper errno; a bad pointer is EFAULT, never a crash.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "kiln/wasi.h"
#include "kiln/wasi_tape.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

using namespace std::chrono_literals;

constexpr int kWasiEfault = 21;
constexpr int kWasiEinval = 28;
constexpr int kWasiEnosys = 52;

struct GuestRun {
  CallResult result;
  std::string out;
  std::string err;
  uint64_t dropped = 0;
};

class WasiTest : public testing::Test {
 protected:
  WasiTest() { host::add_wasi(linker_); }

  Module load(const std::string& stem) const {
    auto module = Module::from_file(engine_, test::guest_path(stem));
    if (!module.ok()) throw std::runtime_error(module.error().message);
    return std::move(module).value();
  }

  // Runs a WASI command's _start in a fresh Store with in-memory stdio.
  GuestRun run(const std::string& stem, host::WasiConfig config, Limits limits = {}) const {
    config.args.insert(config.args.begin(), stem);
    Store store(engine_);
    store.limits() = limits;
    auto wasi = std::make_shared<host::WasiContext>(std::move(config));
    host::attach_wasi(store, wasi);
    auto instance = store.instantiate(load(stem), linker_);
    if (!instance.ok()) throw std::runtime_error(instance.error().message);
    CallResult result = instance->call("_start", {});
    return {std::move(result), std::string(wasi->stdout_data()), std::string(wasi->stderr_data()),
            wasi->output_dropped_bytes()};
  }

  GuestRun run(const std::string& stem, std::vector<std::string> args = {}, std::string stdin_data = "") const {
    return run(stem, host::WasiConfig{.args = std::move(args), .stdin_data = std::move(stdin_data)});
  }

  static Engine make_engine() {
    auto engine = Engine::create();
    if (!engine.ok()) throw std::runtime_error(engine.error().message);
    return std::move(engine).value();
  }

  Engine engine_ = make_engine();
  Linker linker_;
};

// wasi-libc's _start returns for exit status 0 and calls proc_exit otherwise;
// exit(0) calls proc_exit(0). All of these are a clean end.
bool ended_cleanly(const CallResult& result) {
  return result.returned() || (result.exited() && result.exit_code == 0);
}

std::string describe(const CallResult& result) {
  if (result.trapped()) return result.trap.describe();
  if (result.exited()) return "exited " + std::to_string(result.exit_code);
  if (result.status == CallResult::Status::Failed) return "failed: " + result.error;
  return "returned";
}

// ---- linking ------------------------------------------------------------------

TEST_F(WasiTest, EveryPreview1FunctionLinksWithItsExactSignature) {
  Store store(engine_);
  host::attach_wasi(store, std::make_shared<host::WasiContext>(host::WasiConfig{}));
  auto instance = store.instantiate(load("wasi_all_imports"), linker_);
  ASSERT_TRUE(instance.ok()) << instance.error().message;

  CallResult raised = instance->call("raise", {});
  ASSERT_TRUE(raised.returned()) << describe(raised);
  EXPECT_EQ(raised.values.at(0).i32, uint32_t{kWasiEnosys});
  CallResult yielded = instance->call("yield", {});
  ASSERT_TRUE(yielded.returned()) << describe(yielded);
  EXPECT_EQ(yielded.values.at(0).i32, 0u);
}

TEST_F(WasiTest, CallingWasiInAStoreWithoutContextIsAHostErrorTrap) {
  Store store(engine_);
  auto instance = store.instantiate(load("wasi_stderr"), linker_);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("_start", {});
  ASSERT_TRUE(result.trapped()) << describe(result);
  EXPECT_EQ(result.trap.kind, TrapKind::HostError);
  EXPECT_NE(result.trap.message.find("no WASI context"), std::string::npos) << result.trap.message;
}

// ---- stdio ----------------------------------------------------------------------

TEST_F(WasiTest, UpperCopiesALargeInputThroughManyReads) {
  std::string input;
  for (int i = 0; input.size() < 300'000; ++i) input += "line " + std::to_string(i) + ": the quick brown fox\n";
  std::string expected = input;
  for (char& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  GuestRun run = this->run("wasi_upper", {}, input);
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out.size(), expected.size());
  EXPECT_TRUE(run.out == expected);
  EXPECT_EQ(run.dropped, 0u);
}

TEST_F(WasiTest, EmptyStdinIsEndOfFile) {
  GuestRun run = this->run("wasi_upper");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out, "");
}

TEST_F(WasiTest, StdoutAndStderrAreSeparate) {
  GuestRun run = this->run("wasi_stderr");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out, "to stdout\n");
  EXPECT_EQ(run.err, "to stderr\n");
}

TEST_F(WasiTest, OutputBeyondTheCapIsDroppedAndCountedWhileTheGuestSeesItWritten) {
  host::WasiConfig config{.args = {"100000"}, .max_output_bytes = 10'000};
  GuestRun run = this->run("wasi_flood", std::move(config));
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out, std::string(10'000, 'x'));
  EXPECT_EQ(run.dropped, 90'000u);
  EXPECT_EQ(run.err, "wrote 100000\n");  // under its own cap, untouched
}

TEST_F(WasiTest, PollReportsInMemoryStdinAndStdoutReadyAtOnce) {
  GuestRun run = this->run("wasi_poll", {}, "abc");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out, "ready=2 stdin=in stdout=out read=3\n");
}

// ---- args, environment, exit ----------------------------------------------------------

TEST_F(WasiTest, ArgsAndEnvironmentRoundTrip) {
  host::WasiConfig config{.args = {"one", "two words", ""}, .env = {"A=1", "EMPTY=", "UTF8=\xc3\xbc"}};
  GuestRun run = this->run("wasi_args_env", std::move(config));
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out,
            "argc=4\n"
            "argv[0]=wasi_args_env\n"
            "argv[1]=one\n"
            "argv[2]=two words\n"
            "argv[3]=\n"
            "env A=1\n"
            "env EMPTY=\n"
            "env UTF8=\xc3\xbc\n");
}

TEST_F(WasiTest, ExitEndsTheCallWithTheGuestsCodeAndFlushesOutput) {
  for (int code : {0, 3, 42, 255}) {
    GuestRun run = this->run("wasi_exit", {std::to_string(code)});
    ASSERT_TRUE(run.result.exited()) << code << ": " << describe(run.result);
    EXPECT_EQ(run.result.exit_code, code);
    EXPECT_EQ(run.out, "exiting with " + std::to_string(code));
  }
}

// ---- clocks, sleep, random ------------------------------------------------------------

TEST_F(WasiTest, ClocksTickAndSleepsLastAtLeastTheirTime) {
  GuestRun run = this->run("wasi_clock");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result) << "\n" << run.out;
  EXPECT_EQ(run.out,
            "monotonic: ok\n"
            "resolution: ok\n"
            "realtime: ok\n"
            "nanosleep: ok\n"
            "absolute sleep: ok\n"
            "cputime: ok\n");
}

TEST_F(WasiTest, SleepWithinTheDeadlineCompletes) {
  GuestRun run = this->run("wasi_sleep", host::WasiConfig{.args = {"10"}}, Limits{.timeout = 10s});
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out, "awake\n");
}

TEST_F(WasiTest, SleepPastTheDeadlineTrapsWithDeadline) {
  GuestRun run = this->run("wasi_sleep", host::WasiConfig{.args = {"60000"}}, Limits{.timeout = 100ms});
  ASSERT_TRUE(run.result.trapped()) << describe(run.result);
  EXPECT_EQ(run.result.trap.kind, TrapKind::Deadline);
  EXPECT_EQ(run.out, "");
}

TEST_F(WasiTest, RandomBytesDifferBetweenRuns) {
  GuestRun first = run("wasi_random");
  GuestRun second = run("wasi_random");
  ASSERT_TRUE(ended_cleanly(first.result)) << describe(first.result);
  ASSERT_TRUE(ended_cleanly(second.result)) << describe(second.result);
  EXPECT_EQ(first.out.size(), 65u);  // 32 bytes in hex and a newline
  EXPECT_NE(first.out, second.out);
  EXPECT_NE(first.out, std::string(64, '0') + "\n");
}

// A recording tape keeps what the guest read; a replaying one gives it
// the same again, and a guest that reads more than was recorded traps.
TEST_F(WasiTest, ATapeReplaysTheClocksAndRandomBytesItRecorded) {
  auto recording = host::WasiTape::recording();
  GuestRun first = run("wasi_time_random", host::WasiConfig{.tape = recording});
  ASSERT_TRUE(ended_cleanly(first.result)) << describe(first.result);
  std::vector<host::TapeEvent> events = recording->events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].kind, host::TapeEvent::Kind::Clock);
  EXPECT_EQ(events.back().kind, host::TapeEvent::Kind::Random);
  EXPECT_EQ(events.back().bytes.size(), 16u);

  GuestRun again = run("wasi_time_random", host::WasiConfig{.tape = host::WasiTape::replaying(events)});
  ASSERT_TRUE(ended_cleanly(again.result)) << describe(again.result);
  EXPECT_EQ(again.out, first.out);
  EXPECT_NE(run("wasi_time_random").out, first.out);  // without the tape: the host's own values

  events.pop_back();
  GuestRun diverged = run("wasi_time_random", host::WasiConfig{.tape = host::WasiTape::replaying(events)});
  ASSERT_TRUE(diverged.result.trapped()) << describe(diverged.result);
  EXPECT_EQ(diverged.result.trap.kind, TrapKind::HostError);
  EXPECT_NE(diverged.result.trap.message.find("replay diverged"), std::string::npos) << diverged.result.trap.message;
}

// ---- what guests may not do ------------------------------------------------------------

TEST_F(WasiTest, FilesystemAccessFailsCleanly) {
  GuestRun run = this->run("wasi_fs_denied");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  EXPECT_EQ(run.out,
            "fopen /etc/passwd: Capabilities insufficient\n"
            "fopen out.txt: Capabilities insufficient\n"
            "opendir .: Capabilities insufficient\n");
}

TEST_F(WasiTest, RefusedAndLimitedCallsAnswerWithTheProperErrno) {
  GuestRun run = this->run("wasi_errnos");
  EXPECT_TRUE(ended_cleanly(run.result)) << describe(run.result);
  // WASI errnos: BADF 8, INVAL 28, NOTDIR 54, NOTSOCK 57, NOTSUP 58, SPIPE 70, NOTCAPABLE 76.
  EXPECT_EQ(run.out,
            "fd_prestat_get(3)=8\n"
            "fd_prestat_get(0)=8\n"
            "fd_prestat_dir_name(3)=8\n"
            "path_open(3)=8\n"
            "path_open(0)=76\n"
            "path_create_directory(0)=76\n"
            "path_filestat_get(1)=76\n"
            "path_filestat_set_times(1)=76\n"
            "path_link(0,9)=8\n"
            "path_readlink(2)=76\n"
            "path_remove_directory(0)=76\n"
            "path_rename(0,1)=76\n"
            "path_symlink(0)=76\n"
            "path_unlink_file(5)=8\n"
            "fd_readdir(0)=54\n"
            "sock_accept(0)=57\n"
            "sock_recv(9)=8\n"
            "sock_send(1)=57\n"
            "sock_shutdown(2)=57\n"
            "fd_seek(1)=70\n"
            "fd_seek(1,whence=7)=28\n"
            "fd_seek(7)=8\n"
            "fd_tell(0)=70\n"
            "fd_pread(0)=70\n"
            "fd_pwrite(1)=70\n"
            "fd_advise(1)=70\n"
            "fd_allocate(1)=70\n"
            "fd_sync(1)=28\n"
            "fd_datasync(2)=28\n"
            "fd_filestat_set_size(1)=28\n"
            "fd_filestat_set_times(1)=76\n"
            "fd_read(1)=76\n"
            "fd_read(3)=8\n"
            "fd_write(0)=76\n"
            "fd_fdstat_get(0)=0 type=2 flags=0 read=1 write=0 seek=0\n"
            "fd_filestat_get(0)=0 type=2 size=0\n"
            "fd_fdstat_get(1)=0 type=2 flags=0 read=0 write=1 seek=0\n"
            "fd_filestat_get(1)=0 type=2 size=0\n"
            "fd_fdstat_get(4)=8\n"
            "fd_fdstat_set_flags(0,nonblock)=0\n"
            "fd_fdstat_get(0)=0 type=2 flags=4 read=1 write=0 seek=0\n"
            "fd_filestat_get(0)=0 type=2 size=0\n"
            "fd_fdstat_set_flags(0,sync)=58\n"
            "fd_fdstat_set_flags(0,0)=0\n"
            "fd_fdstat_set_rights(2,+seek)=76\n"
            "fd_fdstat_set_rights(2,-write)=0\n"
            "fd_write(2)=76\n"
            "fd_renumber(1,2)=0\n");
  EXPECT_EQ(run.err, "");  // fd 2 lost its write right before anything reached it
}

TEST_F(WasiTest, PointersOutsideMemoryGetEfaultNotACrash) {
  Store store(engine_);
  // Some input and environment, so that reading them has something to put out of bounds.
  auto wasi = std::make_shared<host::WasiContext>(host::WasiConfig{.env = {"K=V"}, .stdin_data = "input"});
  host::attach_wasi(store, wasi);
  auto instance = store.instantiate(load("wasi_bad_iovec"), linker_);
  ASSERT_TRUE(instance.ok()) << instance.error().message;

  for (const char* name : {"iovs_outside", "iovs_count_huge", "buffer_outside", "buffer_wraps",
                           "second_buffer_outside", "nwritten_outside", "read_buffer_outside", "random_outside",
                           "args_sizes_outside", "environ_outside", "clock_outside", "poll_outside",
                           "fdstat_outside"}) {
    CallResult result = instance->call(name, {});
    ASSERT_TRUE(result.returned()) << name << ": " << describe(result);
    EXPECT_EQ(result.values.at(0).i32, uint32_t{kWasiEfault}) << name;
  }
  CallResult too_many = instance->call("too_many_iovecs", {});
  ASSERT_TRUE(too_many.returned()) << describe(too_many);
  EXPECT_EQ(too_many.values.at(0).i32, uint32_t{kWasiEinval});
  EXPECT_EQ(wasi->stdout_data(), "");  // no partial write

  CallResult valid = instance->call("valid", {});
  ASSERT_TRUE(valid.returned()) << describe(valid);
  EXPECT_EQ(valid.values.at(0).i32, 0u);
  EXPECT_EQ(wasi->stdout_data(), "hello");
}

// A host call made straight through the Linker, as a backend would make it,
// on a memory the test owns.
class DirectCall : public HostContext {
 public:
  DirectCall(Store& store, std::vector<uint8_t>& memory) : store_(store), memory_(memory) {}
  std::span<uint8_t> memory() override { return memory_; }
  Store& store() override { return store_; }

 private:
  Store& store_;
  std::vector<uint8_t>& memory_;
};

// Pointers land inside the 64 KiB memory, near its end, or anywhere.
Value random_arg(ValType type, std::mt19937_64& rng) {
  uint64_t bits = rng();
  if (type == ValType::I64) return Value::from_i64(static_cast<int64_t>(bits));
  switch (bits % 4) {
    case 0: return Value::from_i32(static_cast<int32_t>(bits >> 32));
    case 1: return Value::from_i32(static_cast<int32_t>((bits >> 32) % 65536));
    case 2: return Value::from_i32(static_cast<int32_t>(65536 - (bits >> 32) % 64));
    default: return Value::from_i32(static_cast<int32_t>((bits >> 32) % 8));
  }
}

TEST_F(WasiTest, RandomArgumentsGetAnErrnoNeverAHostCrash) {
  Store store(engine_);
  store.limits().timeout = 1ms;  // random clock subscriptions sleep at most this long
  host::attach_wasi(store, std::make_shared<host::WasiContext>(
                               host::WasiConfig{.args = {"a", "b"}, .env = {"K=V"}, .stdin_data = "input"}));
  std::mt19937_64 rng(42);
  std::vector<uint8_t> memory(65536);
  int successes = 0;
  Module all_imports = load("wasi_all_imports");
  for (const ImportDesc& import : all_imports.info().imports) {
    const auto* func = std::get_if<HostFunc>(linker_.find(import.module, import.name));
    ASSERT_NE(func, nullptr) << import.name;
    for (uint8_t& byte : memory) byte = static_cast<uint8_t>(rng());
    for (int round = 0; round < 300; ++round) {
      std::vector<Value> args;
      for (ValType type : func->type.params) args.push_back(random_arg(type, rng));
      std::vector<Value> results(func->type.results.size());
      DirectCall call(store, memory);
      HostResult outcome = func->callback(call, args, results);
      if (outcome.status == HostResult::Status::Trap) {
        EXPECT_EQ(outcome.trap.kind, TrapKind::Deadline) << import.name << ": " << outcome.trap.describe();
        continue;
      }
      if (results.empty()) continue;  // proc_exit
      EXPECT_LE(results[0].i32, 76u) << import.name;  // a WASI errno
      successes += results[0].i32 == 0;
    }
  }
  EXPECT_GT(successes, 1000);  // the arguments got past the checks often enough to matter
}

// ---- through the CLI, with the process's own stdio ------------------------------------

TEST(WasiCliTest, RunStreamsStdinToStdout) {
  // Below a pipe's 64 KiB: run_kiln writes all of stdin in one blocking write
  // before it reads any output, so a larger input would deadlock the harness.
  std::string input;
  for (int i = 0; input.size() < 60'000; ++i) input += "row " + std::to_string(i) + " abc\n";
  std::string expected = input;
  for (char& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  test::ProcessResult run = test::run_kiln({"run", test::guest_path("wasi_upper")}, input);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.size(), expected.size());
  EXPECT_TRUE(run.out == expected);
}

TEST(WasiCliTest, RunPassesEnvAndArgs) {
  std::string module = test::guest_path("wasi_args_env");
  test::ProcessResult run = test::run_kiln({"run", "--env", "K=V", "--env", "X=y z", module, "--", "a", "b c"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "argc=3\nargv[0]=" + module + "\nargv[1]=a\nargv[2]=b c\nenv K=V\nenv X=y z\n");
}

TEST(WasiCliTest, RunExitsWithTheGuestsExitCode) {
  test::ProcessResult run = test::run_kiln({"run", test::guest_path("wasi_exit"), "--", "7"});
  EXPECT_EQ(run.exit_code, 7) << run.err;
  EXPECT_EQ(run.out, "exiting with 7");
}

TEST(WasiCliTest, RunWritesGuestStderrToStderr) {
  test::ProcessResult run = test::run_kiln({"run", test::guest_path("wasi_stderr")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "to stdout\n");
  EXPECT_EQ(run.err, "to stderr\n");
}

}  // namespace
}  // namespace kiln
