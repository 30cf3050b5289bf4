// What `kiln function-run` reports about one run of a Shopify Function, and
// the two ways it prints it: a summary for people (with Shopify's limits
// marked where a run exceeds them) and one JSON object with function-runner's
// fields, for tools.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::cli {

struct FunctionRunReport {
  std::string name;             // the function file's name
  uint64_t size_bytes = 0;      // the function file's size
  uint64_t memory_bytes = 0;    // the largest linear memory at the end (memories only grow)
  uint64_t instructions = 0;    // kiln's fuel used (docs/shopify-functions.md)
  std::string input;            // the JSON input, as given
  std::string output;           // what the function wrote (JSON, converted back when MessagePack)
  std::string output_error;     // why the output could not be read (invalid MessagePack); empty when it could
  std::string logs;             // what it wrote to stderr, then why it failed
  bool success = false;
};

// Shopify's limits in production; instructions scale with the input.
struct FunctionLimits {
  uint64_t instructions = 11'000'000;
  uint64_t input_bytes = 64'000;
  uint64_t output_bytes = 20'000;
  uint64_t log_bytes = 1'000;
};
FunctionLimits function_limits_for(uint64_t input_bytes);

std::string report_text(const FunctionRunReport& report, const FunctionLimits& limits);
std::string report_json(const FunctionRunReport& report);

}  // namespace kiln::cli
