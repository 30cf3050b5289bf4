#include "execute/combine.h"

#include <algorithm>
#include <string>
#include <vector>

#include "execute/reducer.h"
#include "execute/wasi_command.h"
#include "execute/worker_pool.h"

namespace kiln::execute {
namespace {

using Clock = std::chrono::steady_clock;
using registry::CombineMode;

// The call's budget: fuel every extension draws from (call_fuel scaled by
// the call's input), and one deadline (the extension point's timeout from
// the call's start).
class CallBudget {
 public:
  CallBudget(const registry::ExtensionPoint& ep, uint64_t input_bytes)
      : limits_(ep.limits), total_(ep.limits.call_fuel_for_input(input_bytes)), left_(total_),
        deadline_(Clock::now() + ep.limits.timeout) {}

  uint64_t total() const { return total_; }
  uint64_t own_fuel(uint64_t input_bytes) const { return limits_.fuel_for_input(input_bytes); }
  std::chrono::nanoseconds time_left() const {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_ - Clock::now());
    return std::clamp(left, std::chrono::nanoseconds(0), limits_.timeout);
  }
  LinkBudget for_link(uint64_t input_bytes) const { return {std::min(own_fuel(input_bytes), left_), time_left()}; }
  void spend(uint64_t fuel) { left_ -= std::min(fuel, left_); }

 private:
  const registry::ExtensionPointLimits& limits_;
  uint64_t total_;
  uint64_t left_;
  Clock::time_point deadline_;
};

std::string who(const ExecResult& run) { return run.extension + " v" + std::to_string(run.version); }

// Takes the run's strings: gather() is the last to read a run.
ExtensionRun summary(ExecResult& run) {
  ExtensionRun out;
  out.extension = std::move(run.extension);
  out.version = run.version;
  out.canary = run.canary;
  out.scope = std::move(run.matched_scope);
  out.status = run.status;
  out.error = std::move(run.error);
  out.log = std::move(run.log);
  out.log_truncated = run.log_truncated;
  out.exit_code = run.exit_code;
  out.fuel_used = run.fuel_used;
  out.fuel_limit = run.fuel_limit;
  out.memory_peak_bytes = run.memory_peak_bytes;
  out.run_time = run.run_time;
  out.time_limit = run.time_limit;
  out.input_bytes = run.input_bytes;
  out.output_bytes = run.output.size();
  return out;
}

bool succeeded(const ExecResult& run) { return run.status == ExecStatus::Ok; }

class Combiner {
 public:
  Combiner(const CombinedCall& call, std::span<const uint8_t> input, ExecResult result)
      : call_(call), ep_(*call.ep), input_(input), budget_(ep_, input.size()), result_(std::move(result)) {
    runs_.reserve(call_.count);
  }

  ExecResult run() {
    Clock::time_point mark = Clock::now();
    result_.input_validated = call_.validate_schema;
    auto checked = call_.check_input(input_, call_.validate_schema);
    result_.stages[static_cast<int>(Stage::ValidateInput)] += Clock::now() - mark;
    if (!checked) return finish_failed(ExecStatus::InvalidInput, checked.error());
    return ep_.combine_mode == CombineMode::Chain ? chain() : all();
  }

 private:
  // One extension within what the call has left; one that cannot start
  // (nothing left) is reported as if it ran out.
  ExecResult run_link(size_t index, std::span<const uint8_t> input) {
    LinkBudget budget = budget_.for_link(input.size());
    if (budget.fuel == 0 || budget.time.count() == 0) return not_started(index, input, budget);
    ExecResult run = call_.run_one(index, input, budget);
    budget_.spend(run.fuel_used);
    note_call_budget(run, input.size());
    return run;
  }

  ExecResult not_started(size_t index, std::span<const uint8_t> input, const LinkBudget& budget) {
    ExecResult run = call_.describe(index);
    run.input_bytes = input.size();
    run.fuel_limit = budget.fuel;
    run.time_limit = budget.time;
    const bool fuel = budget.fuel == 0;
    run.status = fuel ? ExecStatus::OutOfFuel : ExecStatus::Deadline;
    run.error = make_error(fuel ? ErrorKind::OutOfFuel : ErrorKind::Deadline,
                           who(run) + ": not started: the call's " +
                               (fuel ? "fuel (" + std::to_string(budget_.total()) + " for the whole call) is spent"
                                     : "time limit has passed"));
    return run;
  }

  // An extension stopped by the call's budget rather than its own limit
  // says so: the fix is the extension point's call_fuel or timeout.
  void note_call_budget(ExecResult& run, uint64_t input_bytes) const {
    if (!run.error) return;
    if (run.status == ExecStatus::OutOfFuel && run.fuel_limit < budget_.own_fuel(input_bytes)) {
      run.error->message += "; the call's fuel budget (" + std::to_string(budget_.total()) +
                            " for the whole call) left it only that";
    }
    if (run.status == ExecStatus::Deadline && run.time_limit < ep_.limits.timeout) {
      run.error->message += "; the call's time limit left it only " + std::to_string(run.time_limit.count()) + " ns";
    }
  }

  // chain: each success's output is the next link's input; a failed link
  // is skipped (its input goes on to the next) unless fail_closed.
  ExecResult chain() {
    std::string carried;
    bool carried_plain = false;
    std::optional<size_t> last_ok;
    for (size_t i = 0; i < call_.count; ++i) {
      std::span<const uint8_t> in = last_ok ? std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(carried.data()),
                                                                       carried.size())
                                            : input_;
      ExecResult run = last_ok ? checked_link(i, in, carried_plain) : run_link(i, in);
      runs_.push_back(std::move(run));
      ExecResult& done = runs_.back();
      if (!succeeded(done) && ep_.fail_closed) return finish_with(i);
      if (!succeeded(done)) continue;
      output_bytes_.resize(runs_.size());
      output_bytes_[i] = done.output.size();
      carried = std::move(done.output);
      carried_plain = done.output_is_plain_object;
      last_ok = i;
    }
    if (!last_ok) return finish_with(first_failure());
    result_.output = std::move(carried);
    return finish_ok(*last_ok);
  }

  // A link's input is the previous output: the call-input checks apply
  // (the schema on the same calls as the caller's input). Its syntax was
  // checked as an output; when its shape was too (`plain`), only its size
  // is left to check, unless the schema is.
  ExecResult checked_link(size_t index, std::span<const uint8_t> in, bool plain) {
    if (plain && !call_.validate_schema && in.size() <= ep_.limits.max_input) return run_link(index, in);
    Clock::time_point mark = Clock::now();
    auto checked = call_.check_input(in, call_.validate_schema);
    result_.stages[static_cast<int>(Stage::ValidateInput)] += Clock::now() - mark;
    if (checked) return run_link(index, in);
    ExecResult run = call_.describe(index);
    run.input_bytes = in.size();
    run.status = ExecStatus::InvalidInput;
    run.error = checked.error();
    return run;
  }

  ExecResult all() {
    const bool parallel = call_.workers && call_.workers->size() > 0 && call_.count > 1 &&
                          budget_.own_fuel(input_.size()) <= budget_.total() / call_.count;
    if (parallel) {
      run_side_by_side();
    } else {
      for (size_t i = 0; i < call_.count; ++i) {
        runs_.push_back(run_link(i, input_));
        if (!succeeded(runs_.back()) && ep_.fail_closed) return finish_with(i);
      }
    }
    if (ep_.fail_closed) {
      if (auto failed = first_failure(); failed < runs_.size()) return finish_with(failed);
    }
    return reduce_outputs();
  }

  // Every extension gets its own fuel limit (the call's covers them all)
  // and the time the call has left when it starts.
  void run_side_by_side() {
    runs_.resize(call_.count);
    call_.workers->run_all(call_.count, [&](size_t i) {
      LinkBudget budget{budget_.own_fuel(input_.size()), budget_.time_left()};
      runs_[i] = budget.time.count() == 0 ? not_started(i, input_, budget) : call_.run_one(i, input_, budget);
    });
    for (ExecResult& run : runs_) {
      budget_.spend(run.fuel_used);
      note_call_budget(run, input_.size());
    }
  }

  ExecResult reduce_outputs() {
    Clock::time_point mark = Clock::now();
    std::vector<std::string_view> outputs;
    std::vector<size_t> index_of;
    for (size_t i = 0; i < runs_.size(); ++i) {
      if (!succeeded(runs_[i])) continue;
      outputs.push_back(runs_[i].output);
      index_of.push_back(i);
    }
    Reduction reduction = reduce(*ep_.reduce, outputs);
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (!reduction.rejected[k]) continue;
      ExecResult& run = runs_[index_of[k]];
      run.status = ExecStatus::InvalidOutput;
      run.error = std::move(*reduction.rejected[k]);
    }
    auto stage_done = [&] { result_.stages[static_cast<int>(Stage::ValidateOutput)] += Clock::now() - mark; };
    if (auto failed = first_failure(); ep_.fail_closed && failed < runs_.size()) {
      stage_done();
      return finish_with(failed);
    }
    if (!reduction.base) {
      stage_done();
      return finish_with(first_failure());
    }
    auto valid = check_reduced(reduction.output);
    stage_done();
    result_.output = std::move(reduction.output);
    if (!valid) {
      describe_call(index_of[*reduction.base]);
      return finish_failed(ExecStatus::InvalidOutput, valid.error());
    }
    return finish_ok(index_of[*reduction.base]);
  }

  // A joined output is new: it is held to the output's limit and schema too.
  Result<void> check_reduced(std::string_view output) const {
    const auto op = ep_.reduce->op;
    if (op == registry::Reducer::Op::First || op == registry::Reducer::Op::Min || op == registry::Reducer::Op::Max) {
      return {};  // one extension's output, already checked
    }
    if (output.size() > ep_.limits.max_output) {
      return make_error(ErrorKind::InvalidOutput, "reduced output: " + std::to_string(output.size()) +
                                                      " bytes, over the extension point's limit of " +
                                                      std::to_string(ep_.limits.max_output));
    }
    auto valid = check_output(ep_, output);
    if (valid) return {};
    Error error = valid.error();
    error.message = "reduced (" + std::string(to_string(op)) + ") " + error.message;
    return error;
  }

  size_t first_failure() const {
    auto it = std::find_if(runs_.begin(), runs_.end(), [](const ExecResult& r) { return !succeeded(r); });
    return static_cast<size_t>(it - runs_.begin());
  }

  // The call ends as extension `index` did (fail_closed, or nothing succeeded).
  ExecResult finish_with(size_t index) {
    const ExecResult& run = runs_[index];
    Error error = run.error.value_or(make_error(ErrorKind::Internal, "failed without an error"));
    if (!error.message.starts_with(who(run) + ":")) error.message = who(run) + ": " + error.message;
    take_identity(index);
    gather();
    return finish_failed(run.status, std::move(error));
  }

  ExecResult finish_failed(ExecStatus status, Error error) {
    result_.status = status;
    result_.error = std::move(error);
    result_.output.clear();
    return std::move(result_);
  }

  void describe_call(size_t base) {
    take_identity(base);
    gather();
  }

  ExecResult finish_ok(size_t base) {
    describe_call(base);
    result_.status = ExecStatus::Ok;
    return std::move(result_);
  }

  // The result names the extension whose output it is, or is built on.
  // A link's own result leaves out its module (CombinedCall::run_one).
  void take_identity(size_t index) {
    const ExecResult& run = runs_[index];
    ExecResult described = call_.describe(index);
    result_.matched_scope = run.matched_scope;
    result_.extension = run.extension;
    result_.version = run.version;
    result_.canary = run.canary;
    result_.module_sha256 = std::move(described.module_sha256);
    result_.module_size = described.module_size;
    result_.backend = std::move(described.backend);
    result_.exit_code = run.exit_code;
  }

  // Sums over the extensions: stages, fuel, run time; the largest memory;
  // the logs in run order, each begun with "[name vN] ", within max_log.
  void gather() {
    result_.fuel_limit = budget_.total();
    result_.memory_limit_bytes = ep_.limits.memory;
    result_.time_limit = ep_.limits.timeout;
    result_.extensions.reserve(runs_.size());
    for (size_t i = 0; i < runs_.size(); ++i) {
      ExecResult& run = runs_[i];
      for (int s = static_cast<int>(Stage::ValidateInput); s < static_cast<int>(Stage::Total); ++s) {
        result_.stages[s] += run.stages[s];
      }
      result_.fuel_used += run.fuel_used;
      result_.run_time += run.run_time;
      result_.memory_peak_bytes = std::max(result_.memory_peak_bytes, run.memory_peak_bytes);
      append_log(run);
      ExtensionRun entry = summary(run);
      if (i < output_bytes_.size() && output_bytes_[i] != 0) entry.output_bytes = output_bytes_[i];
      result_.extensions.push_back(std::move(entry));
    }
  }

  // Written in place (no block string): this runs for every link of every call.
  void append_log(const ExecResult& run) {
    if (run.log.empty()) return;
    std::string& log = result_.log;
    const size_t before = log.size();
    log.append("[").append(run.extension).append(" v").append(std::to_string(run.version)).append("] ").append(run.log);
    if (log.back() != '\n') log += '\n';
    const uint64_t room = std::max<uint64_t>(ep_.limits.max_log, before);
    if (log.size() > room || run.log_truncated) result_.log_truncated = true;
    if (log.size() > room) log.resize(room);
  }

  const CombinedCall& call_;
  const registry::ExtensionPoint& ep_;
  std::span<const uint8_t> input_;
  CallBudget budget_;
  ExecResult result_;
  std::vector<ExecResult> runs_;       // in run order
  std::vector<size_t> output_bytes_;   // a chain's outputs, moved on to the next link
};

}  // namespace

ExecResult run_combined(const CombinedCall& call, std::span<const uint8_t> input, ExecResult result) {
  return Combiner(call, input, std::move(result)).run();
}

}  // namespace kiln::execute
