#include "execute/replay_recorder.h"

#include <filesystem>

#include "base/files.h"
#include "execute/replay_bundle.h"
#include "registry/registry.h"

namespace kiln::execute {

namespace {

constexpr std::string_view kSuffix = ".kiln-replay.json";

// "20261207T051200Z-<ep>-<extension>-v<version>-<status>-<n>.kiln-replay.json",
// with anything but letters, digits, '.', '-' and '_' made '_'.
std::string file_name(const ExecResult& result, uint64_t n) {
  std::string stamp = "unknown";
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  if (gmtime_r(&now, &tm)) {
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
    stamp = text;
  }
  std::string name = stamp + "-" + result.extension_point + "-" + result.extension + "-v" +
                     std::to_string(result.version) + "-" + to_string(result.status) + "-" + std::to_string(n);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return name + std::string(kSuffix);
}

}  // namespace

ReplayRecorder::ReplayRecorder(ReplayCapture capture, std::string registry_path)
    : capture_(std::move(capture)), registry_path_(std::move(registry_path)) {
  std::error_code error;
  std::filesystem::create_directories(capture_.dir, error);
  for (const auto& entry : std::filesystem::directory_iterator(capture_.dir, error)) {
    if (!entry.is_regular_file(error) || !entry.path().string().ends_with(kSuffix)) continue;
    ++files_;
    bytes_ += entry.file_size(error);
  }
}

ReplayRecorder::~ReplayRecorder() = default;

bool ReplayRecorder::wants(const ExecResult& result) const {
  if (result.extension.empty()) return false;  // nothing ran
  switch (result.status) {
    case ExecStatus::Trapped:
    case ExecStatus::OutOfFuel:
    case ExecStatus::Deadline:
    case ExecStatus::ExtensionFailed:
    case ExecStatus::InvalidOutput:
    case ExecStatus::Error: return true;
    case ExecStatus::Ok: return capture_.slow.count() > 0 && result.stage(Stage::Total) >= capture_.slow;
    case ExecStatus::NotRun:
    case ExecStatus::InvalidInput: return false;  // the caller's, not the extension's
  }
  return false;
}

void ReplayRecorder::save(const ExecResult& result, std::string_view input, const host::WasiTape& tape) {
  std::lock_guard lock(mutex_);
  if (files_ >= capture_.max_files || bytes_ >= capture_.max_bytes) {
    ++dropped_;
    return;
  }
  if (!registry_) {
    auto opened = registry::Registry::open(registry_path_);
    if (!opened) {
      ++dropped_;
      return;
    }
    registry_ = std::move(*opened);
  }
  const bool slow = result.status == ExecStatus::Ok;
  auto bundle = make_replay_bundle(*registry_, result, input, tape, slow ? "slow" : "failed");
  if (!bundle) {
    ++dropped_;
    return;
  }
  std::string json = to_json(*bundle);
  if (bytes_ + json.size() > capture_.max_bytes) {
    ++dropped_;
    return;
  }
  std::string path = (std::filesystem::path(capture_.dir) / file_name(result, saved_ + files_)).string();
  if (!base::write_file_atomically(path, json, 0600)) {
    ++dropped_;
    return;
  }
  ++files_;
  bytes_ += json.size();
  ++saved_;
}

uint64_t ReplayRecorder::saved() const {
  std::lock_guard lock(mutex_);
  return saved_;
}

uint64_t ReplayRecorder::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace kiln::execute
