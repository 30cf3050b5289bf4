#include "execute/scratch_document.h"

#include <memory>

namespace kiln::execute {
namespace {

// The buffer is on the heap, one per thread: 32 KiB in thread-local storage
// itself would make libkiln.so's static TLS block too big for glibc to
// dlopen it late (from Ruby's FFI, say: "cannot allocate memory in static
// TLS block").
struct ScratchDocument {
  char values[32 * 1024];
  rapidjson::MemoryPoolAllocator<> allocator{values, sizeof values};
  rapidjson::Document doc{&allocator};
};

}  // namespace

rapidjson::Document& scratch_document() {
  thread_local std::unique_ptr<ScratchDocument> scratch = std::make_unique<ScratchDocument>();
  scratch->doc.SetNull();
  scratch->allocator.Clear();
  return scratch->doc;
}

}  // namespace kiln::execute
