#include "ats/body_transform.h"

#include <algorithm>
#include <string>

namespace kiln::ats {
namespace {

struct BodyTransform {
  BodyFilter filter;
  size_t max_bytes = 0;
  std::string label;
  std::string body;
  bool too_long = false;
  TSIOBuffer output = nullptr;
  TSIOBufferReader output_reader = nullptr;
  bool sent = false;

  ~BodyTransform() {
    if (output_reader) TSIOBufferReaderFree(output_reader);
    if (output) TSIOBufferDestroy(output);
  }
};

// Runs the filter on the gathered body and writes the result downstream.
void send(TSCont contp, BodyTransform& transform) {
  transform.sent = true;
  if (transform.too_long) {
    TSError("[kiln] %s: the body is over %zu bytes: dropped, not filtered", transform.label.c_str(),
            transform.max_bytes);
  } else if (!transform.filter(transform.body)) {
    transform.body.clear();
  }
  transform.output = TSIOBufferCreate();
  transform.output_reader = TSIOBufferReaderAlloc(transform.output);
  TSIOBufferWrite(transform.output, transform.body.data(), static_cast<int64_t>(transform.body.size()));
  TSVIO output = TSVConnWrite(TSTransformOutputVConnGet(contp), contp, transform.output_reader,
                              static_cast<int64_t>(transform.body.size()));
  TSVIOReenable(output);
}

// Takes what the upstream side has written so far; sends once it is all in.
void gather(TSCont contp, BodyTransform& transform) {
  if (transform.sent) return;
  TSVIO input = TSVConnWriteVIOGet(contp);
  if (TSVIOBufferGet(input) == nullptr) {  // the writer is gone: what came is all there is
    send(contp, transform);
    return;
  }
  int64_t todo = TSVIONTodoGet(input);
  if (todo > 0) {
    TSIOBufferReader reader = TSVIOReaderGet(input);
    const int64_t available = std::min(todo, TSIOBufferReaderAvail(reader));
    int64_t copied = 0;
    for (TSIOBufferBlock block = TSIOBufferReaderStart(reader); block != nullptr && copied < available;
         block = TSIOBufferBlockNext(block)) {
      int64_t size = 0;
      const char* data = TSIOBufferBlockReadStart(block, reader, &size);
      size = std::min(size, available - copied);
      if (transform.body.size() + static_cast<size_t>(size) > transform.max_bytes) transform.too_long = true;
      if (!transform.too_long) transform.body.append(data, static_cast<size_t>(size));
      copied += size;
    }
    TSIOBufferReaderConsume(reader, copied);
    TSVIONDoneSet(input, TSVIONDoneGet(input) + copied);
    todo = TSVIONTodoGet(input);
  }
  if (todo > 0) {
    if (transform.too_long) transform.body.clear();  // the rest is read and dropped
    TSContCall(TSVIOContGet(input), TS_EVENT_VCONN_WRITE_READY, input);
    return;
  }
  send(contp, transform);
  TSContCall(TSVIOContGet(input), TS_EVENT_VCONN_WRITE_COMPLETE, input);
}

int on_transform_event(TSCont contp, TSEvent event, void*) {
  auto* transform = static_cast<BodyTransform*>(TSContDataGet(contp));
  if (TSVConnClosedGet(contp)) {
    delete transform;
    TSContDestroy(contp);
    return 0;
  }
  switch (event) {
    case TS_EVENT_ERROR: {
      TSVIO input = TSVConnWriteVIOGet(contp);
      TSContCall(TSVIOContGet(input), TS_EVENT_ERROR, input);
      break;
    }
    case TS_EVENT_VCONN_WRITE_COMPLETE:  // downstream took all we wrote
      TSVConnShutdown(TSTransformOutputVConnGet(contp), 0, 1);
      break;
    default:
      gather(contp, *transform);
      break;
  }
  return 0;
}

}  // namespace

void add_body_transform(TSHttpTxn txn, TSHttpHookID hook, BodyFilter filter, size_t max_bytes, std::string label) {
  TSVConn connection = TSTransformCreate(on_transform_event, txn);
  TSContDataSet(connection,
                new BodyTransform{.filter = std::move(filter), .max_bytes = max_bytes, .label = std::move(label)});
  TSHttpTxnHookAdd(txn, hook, connection);
}

}  // namespace kiln::ats
