// scratch_document: the RapidJSON document the execute pipeline's checks
// parse into, one per thread and reused, so that a small document costs no
// allocation (its first 32 KiB of values come from a buffer that is
// already there: RapidJSON's documented pattern; bigger ones spill to the
// heap and are freed by the next use). Valid until the thread's next call.
#pragma once

#include <rapidjson/document.h>

namespace kiln::execute {

rapidjson::Document& scratch_document();

}  // namespace kiln::execute
