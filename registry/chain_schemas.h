// The check `combine: chain` puts on an extension point at creation: each
// extension's output becomes the next one's input, so what the output
// schema lets through must be what the input schema accepts.
//
// A structural rule on the top level, not a proof (docs/extension-points.md,
// "chain"): every output is still validated against the output schema, and
// the sampled calls validate every link's input against the input schema.
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "kiln/result.h"

namespace kiln::registry {

// Why an output of `output_schema` might not be an input `input_schema`
// accepts: the offending field as a dotted path ("output_schema.required")
// and a sentence. Empty `field`: acceptable.
struct ChainMismatch {
  std::string field;
  std::string what;
};

// The rule, in order:
//   1. input_schema `false` accepts nothing;
//   2. when input_schema has `type`, output_schema must have one too, each
//      of its types among the input's ("integer" counts as a "number");
//   3. every name in input_schema's `required` is in output_schema's;
//   4. every property output_schema declares (in `properties` or
//      `required`) is allowed by input_schema: listed in its `properties`
//      when its `additionalProperties` is false, and, when both give the
//      property a `type`, the output's types among the input's.
ChainMismatch check_chain_schemas(const rapidjson::Value& output_schema, const rapidjson::Value& input_schema);

}  // namespace kiln::registry
