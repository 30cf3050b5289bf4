// kiln_ats.so: a Traffic Server remap plugin that runs proxy-wasm filters
// on kiln (issue 15). In remap.config, per rule:
//
//   map http://a/ http://origin/ @plugin=kiln_ats.so @pparam=--module=/etc/filters/f.wasm [@pparam=...]
//
// On each request the rule's filter sees the request headers in place
// (proxy_on_request_headers, in the remap step); if it exports them, the
// whole request and response bodies (body transforms), the response headers
// before they are sent, and log/done/delete when the transaction closes. A
// local response (proxy_send_local_response) answers the request without
// the origin. A filter that traps fails that request with 500 and a line in
// the error log; its VM is replaced and the proxy carries on. Ticks run on a
// task thread at the period a filter set when its VM started.
//
// Reloading: `traffic_ctl config reload` after remap.config changed makes
// new rules (new modules) while transactions in flight finish on the old
// ones; `traffic_ctl plugin msg kiln reload` loads every rule's module and
// configuration files again without touching remap.config.
//
// Statistics (`traffic_ctl metric match kiln`): plugin.kiln.requests,
// .failures, .local_responses, .reloads, .reload_failures, and the VMs
// alive (.vms) with the linear memory they hold (.vm_memory_bytes).
#include <strings.h>
#include <ts/ts.h>
// after ts.h, whose types it names
#include <ts/remap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ats/body_transform.h"
#include "ats/filter_rule.h"
#include "ats/ts_header_map.h"

namespace {

using kiln::ats::add_body_transform;
using kiln::ats::FilterGeneration;
using kiln::ats::FilterOptions;
using kiln::ats::FilterReports;
using kiln::ats::FilterRule;
using kiln::ats::FilterVm;
using kiln::host::proxy_wasm::HeaderMap;
using kiln::host::proxy_wasm::LogLevel;
using kiln::host::proxy_wasm::LogLine;
using kiln::host::proxy_wasm::ProxyWasmVm;

constexpr char kTag[] = "kiln";

struct Stats {
  int requests = -1, failures = -1, local_responses = -1, reloads = -1, reload_failures = -1, vms = -1,
      vm_memory_bytes = -1;
};
Stats g_stats;
int g_txn_arg = -1;
TSCont g_txn_hooks = nullptr;
std::shared_ptr<const FilterReports> g_reports;

// The rules alive in this copy of the plugin, for reload messages.
std::mutex g_rules_mutex;
std::set<FilterRule*> g_rules;

int stat(const char* name) {
  int id = -1;
  if (TSStatFindName(name, &id) == TS_SUCCESS) return id;  // a reloaded copy of the plugin finds its stats
  return TSStatCreate(name, TS_RECORDDATATYPE_INT, TS_STAT_NON_PERSISTENT, TS_STAT_SYNC_SUM);
}

void log_line(const std::string& rule, const LogLine& line) {
  switch (line.level) {
    case LogLevel::Trace:
    case LogLevel::Debug: TSDebug(kTag, "%s: %s", rule.c_str(), line.message.c_str()); break;
    case LogLevel::Info: TSNote("[kiln] %s: %s", rule.c_str(), line.message.c_str()); break;
    case LogLevel::Warn: TSWarning("[kiln] %s: %s", rule.c_str(), line.message.c_str()); break;
    default: TSError("[kiln] %s: %s", rule.c_str(), line.message.c_str()); break;
  }
}

// One transaction's filter state, from the remap step to the close.
struct Transaction {
  std::shared_ptr<FilterGeneration> generation;
  std::shared_ptr<FilterVm> vm;
  std::unique_ptr<ProxyWasmVm::Stream> stream;
  // A local response's headers, added when it is sent.
  HeaderMap local_headers;
  bool local = false;

  ~Transaction() {
    if (!vm) return;
    {
      std::lock_guard lock(vm->mutex);
      stream.reset();  // runs log/done/delete unless finish() did or the VM broke
    }
    vm.reset();  // outside the lock: it may be the VM's last owner
  }
};

// The filter failed the request: 500, a log line, and its VM replaced.
void fail_request(TSHttpTxn txn, const std::string& rule, const std::string& why) {
  TSError("[kiln] %s: failing the request with 500: %s", rule.c_str(), why.c_str());
  TSStatIntIncrement(g_stats.failures, 1);
  TSHttpTxnStatusSet(txn, TS_HTTP_STATUS_INTERNAL_SERVER_ERROR);
}

void answer_locally(TSHttpTxn txn, Transaction& state, kiln::host::proxy_wasm::LocalResponse& response) {
  TSStatIntIncrement(g_stats.local_responses, 1);
  if (response.status < 100 || response.status > 599) {
    TSError("[kiln] a filter answered with status %u; sending 500", response.status);
    response.status = 500;
  }
  TSHttpTxnStatusSet(txn, static_cast<TSHttpStatus>(response.status));
  if (!response.body.empty()) {
    const char* type = "text/plain";
    for (const auto& [name, value] : response.headers) {
      if (strcasecmp(name.c_str(), "content-type") == 0) type = value.c_str();
    }
    TSHttpTxnErrorBodySet(txn, TSstrndup(response.body.data(), response.body.size()), response.body.size(),
                          TSstrdup(type));
  }
  state.local = true;
  state.local_headers = std::move(response.headers);
}

// proxy_on_response_headers, before the response goes to the client.
// false: the filter trapped.
bool filter_response(TSHttpTxn txn, Transaction& state) {
  TSMBuffer buffer;
  TSMLoc header;
  if (TSHttpTxnClientRespGet(txn, &buffer, &header) != TS_SUCCESS) return true;
  bool ok = true;
  if (state.local) {
    // Over the error response's own fields of those names (Content-Type);
    // a name the filter gives twice keeps both values.
    kiln::ats::TsHeaders headers(kiln::ats::TsHeaders::Side::Response, buffer, header);
    std::vector<std::string_view> placed;
    for (const auto& field : state.local_headers) {
      const std::string& name = field.first;
      auto same = [&](std::string_view seen) { return kiln::host::proxy_wasm::same_header_name(seen, name); };
      if (std::any_of(placed.begin(), placed.end(), same)) {
        headers.add(name, field.second);
      } else {
        headers.replace(name, field.second);
        placed.push_back(name);
      }
    }
  } else if (state.stream) {
    std::lock_guard lock(state.vm->mutex);
    if (!state.vm->vm().broken()) {
      kiln::ats::TsHeaders headers(kiln::ats::TsHeaders::Side::Response, buffer, header);
      state.stream->response_headers_in_place = &headers;
      auto action = state.stream->on_response_headers(false);
      state.stream->response_headers_in_place = nullptr;
      if (!action) {
        TSError("[kiln] %s: failing the response with 500: %s", state.generation->name().c_str(),
                action.error().message.c_str());
        ok = false;
      }
      state.vm->account_memory();
    }
  }
  TSHandleMLocRelease(buffer, TS_NULL_MLOC, header);
  if (!ok) state.generation->retire(state.vm);
  return ok;
}

// proxy_on_request_body or _response_body on the whole body, from the
// body's transform; the transform holds the transaction while it runs.
kiln::ats::BodyFilter body_filter(std::shared_ptr<Transaction> state, bool request) {
  return [state = std::move(state), request](std::string& body) {
    std::lock_guard lock(state->vm->mutex);
    if (!state->stream || state->vm->vm().broken()) return true;  // the stream ended: the body passes
    ProxyWasmVm::Stream& stream = *state->stream;
    std::string& slot = request ? stream.request_body : stream.response_body;
    slot = std::move(body);
    auto action = request ? stream.on_request_body(true) : stream.on_response_body(true);
    body = std::move(slot);
    state->vm->account_memory();
    if (action) return true;
    TSError("[kiln] %s: dropping the %s body: %s", state->generation->name().c_str(), request ? "request" : "response",
            action.error().message.c_str());
    TSStatIntIncrement(g_stats.failures, 1);
    state->generation->retire(state->vm);
    return false;
  };
}

int on_transaction_event(TSCont, TSEvent event, void* data) {
  auto txn = static_cast<TSHttpTxn>(data);
  auto* handle = static_cast<std::shared_ptr<Transaction>*>(TSUserArgGet(txn, g_txn_arg));
  Transaction* state = handle ? handle->get() : nullptr;
  TSEvent next = TS_EVENT_HTTP_CONTINUE;
  if (state != nullptr && event == TS_EVENT_HTTP_SEND_RESPONSE_HDR) {
    if (!filter_response(txn, *state)) {
      TSStatIntIncrement(g_stats.failures, 1);
      next = TS_EVENT_HTTP_ERROR;
    }
  } else if (state != nullptr && event == TS_EVENT_HTTP_TXN_CLOSE) {
    TSUserArgSet(txn, g_txn_arg, nullptr);
    if (state->stream) {
      std::lock_guard lock(state->vm->mutex);
      if (!state->vm->vm().broken()) {
        if (auto done = state->stream->finish(); !done) {
          TSError("[kiln] %s: ending the stream failed: %s", state->generation->name().c_str(), done.error().message.c_str());
          state->generation->retire(state->vm);
        }
      }
      state->stream.reset();  // a body transform still running lets its body pass
    }
    delete handle;
  }
  TSHttpTxnReenable(txn, next);
  return 0;
}

// A new stream and proxy_on_request_headers on the request in place; the
// failure's message, or empty.
std::string filter_request(TSHttpTxn txn, Transaction& state, TSRemapRequestInfo* request, bool has_body) {
  std::string failure;
  std::lock_guard lock(state.vm->mutex);
  if (auto stream = state.vm->vm().new_stream(); !stream) {
    failure = stream.error().message;
  } else {
    state.stream = std::move(*stream);
    kiln::ats::TsHeaders headers(kiln::ats::TsHeaders::Side::Request, request->requestBufp, request->requestHdrp);
    state.stream->request_headers_in_place = &headers;
    auto action = state.stream->on_request_headers(!has_body);
    state.stream->request_headers_in_place = nullptr;
    if (!action) {
      failure = action.error().message;
    } else if (state.stream->local_response) {
      answer_locally(txn, state, *state.stream->local_response);
    }
  }
  state.vm->account_memory();
  if (!failure.empty()) state.stream.reset();  // the VM broke: no more callbacks on it
  return failure;
}

// Hooks what else of the filter must run for this transaction; with
// nothing to run, the stream ends here (~Transaction).
void hook_transaction(TSHttpTxn txn, std::unique_ptr<Transaction> state, bool has_body) {
  const FilterGeneration& generation = *state->generation;
  const bool request_body = generation.has_request_body_callback() && has_body;
  const bool response_body = generation.has_response_body_callback() && !state->local;
  const bool response_headers = state->local || generation.has_response_callback();
  if (!response_headers && !generation.has_end_callbacks() && !request_body && !response_body) return;
  std::shared_ptr<Transaction> shared(std::move(state));
  const size_t limit = generation.max_body_bytes();
  if (request_body) {
    add_body_transform(txn, TS_HTTP_REQUEST_TRANSFORM_HOOK, body_filter(shared, true), limit,
                       generation.name() + ": request");
  }
  if (response_body) {
    add_body_transform(txn, TS_HTTP_RESPONSE_TRANSFORM_HOOK, body_filter(shared, false), limit,
                       generation.name() + ": response");
  }
  if (response_headers) TSHttpTxnHookAdd(txn, TS_HTTP_SEND_RESPONSE_HDR_HOOK, g_txn_hooks);
  TSHttpTxnHookAdd(txn, TS_HTTP_TXN_CLOSE_HOOK, g_txn_hooks);
  TSUserArgSet(txn, g_txn_arg, new std::shared_ptr<Transaction>(std::move(shared)));
}

// proxy_on_tick for one VM, on a task thread, every period the filter set
// when it started. A tick that fails retires the VM (its thread starts a
// new one); one whose VM is gone does nothing.
struct Ticks {
  std::weak_ptr<FilterVm> vm;
  TSAction action = nullptr;
};

int on_tick(TSCont contp, TSEvent, void*) {
  auto* ticks = static_cast<Ticks*>(TSContDataGet(contp));
  if (ticks == nullptr) {  // stopped: this was the event that ends it
    TSContDestroy(contp);
    return 0;
  }
  auto vm = ticks->vm.lock();
  if (!vm || vm->retired.load()) return 0;
  std::lock_guard lock(vm->mutex);
  if (vm->vm().broken()) return 0;
  if (auto ticked = vm->vm().tick(); !ticked) {
    TSError("[kiln] proxy_on_tick failed, the VM is replaced: %s", ticked.error().message.c_str());
    vm->retired.store(true);
  }
  vm->account_memory();
  return 0;
}

std::function<void()> schedule_ticks(std::weak_ptr<FilterVm> vm, uint32_t period_ms) {
  TSCont contp = TSContCreate(on_tick, TSMutexCreate());
  auto* ticks = new Ticks{std::move(vm)};
  TSContDataSet(contp, ticks);
  ticks->action = TSContScheduleEveryOnPool(contp, period_ms, TS_THREAD_POOL_TASK);
  // Cancelled under the continuation's lock, so no tick is running or will
  // run; the continuation then ends itself in one more (immediate) event.
  return [contp, ticks] {
    TSMutexLock(TSContMutexGet(contp));
    TSActionCancel(ticks->action);
    TSContDataSet(contp, nullptr);
    TSMutexUnlock(TSContMutexGet(contp));
    delete ticks;
    TSContScheduleOnPool(contp, 0, TS_THREAD_POOL_TASK);
  };
}

// Runs on a task thread: loading may compile a module.
int on_reload(TSCont contp, TSEvent, void*) {
  std::lock_guard lock(g_rules_mutex);
  for (FilterRule* rule : g_rules) {
    if (auto loaded = rule->reload(); loaded) {
      TSStatIntIncrement(g_stats.reloads, 1);
      TSNote("[kiln] %s: reloaded %s", rule->options().name.c_str(), rule->options().module_path.c_str());
    } else {
      TSStatIntIncrement(g_stats.reload_failures, 1);
      TSError("[kiln] %s: reload failed, the loaded filter stays: %s", rule->options().name.c_str(),
              loaded.error().message.c_str());
    }
  }
  TSContDestroy(contp);
  return 0;
}

int on_message(TSCont, TSEvent, void* data) {
  const auto* message = static_cast<const TSPluginMsg*>(data);
  if (std::strcmp(message->tag, kTag) != 0) return 0;
  const std::string text(static_cast<const char*>(message->data), message->data_size);
  if (text.rfind("reload", 0) == 0) {
    TSContScheduleOnPool(TSContCreate(on_reload, TSMutexCreate()), 0, TS_THREAD_POOL_TASK);
  } else {
    TSError("[kiln] unknown message '%s' (known: reload)", text.c_str());
  }
  return 0;
}

}  // namespace

extern "C" {

TSReturnCode TSRemapInit(TSRemapInterface* api, char* error, int error_size) {
  if (api == nullptr || api->tsremap_version < TSREMAP_VERSION) {
    snprintf(error, error_size, "kiln_ats: this Traffic Server's remap API is too old");
    return TS_ERROR;
  }
  if (TSUserArgIndexNameLookup(TS_USER_ARGS_TXN, "kiln_ats", &g_txn_arg, nullptr) != TS_SUCCESS &&
      TSUserArgIndexReserve(TS_USER_ARGS_TXN, "kiln_ats", "kiln proxy-wasm filter state", &g_txn_arg) != TS_SUCCESS) {
    snprintf(error, error_size, "kiln_ats: no transaction argument slot left");
    return TS_ERROR;
  }
  g_stats = {stat("plugin.kiln.requests"),        stat("plugin.kiln.failures"), stat("plugin.kiln.local_responses"),
             stat("plugin.kiln.reloads"),         stat("plugin.kiln.reload_failures"), stat("plugin.kiln.vms"),
             stat("plugin.kiln.vm_memory_bytes")};
  g_txn_hooks = TSContCreate(on_transaction_event, nullptr);
  g_reports = std::make_shared<FilterReports>(FilterReports{
      .log = log_line,
      .vms_changed =
          [](int64_t vms, int64_t bytes) {
            if (vms > 0) TSStatIntIncrement(g_stats.vms, vms);
            if (vms < 0) TSStatIntDecrement(g_stats.vms, -vms);
            if (bytes > 0) TSStatIntIncrement(g_stats.vm_memory_bytes, bytes);
            if (bytes < 0) TSStatIntDecrement(g_stats.vm_memory_bytes, -bytes);
          },
      .schedule_ticks = schedule_ticks,
  });
  TSLifecycleHookAdd(TS_LIFECYCLE_MSG_HOOK, TSContCreate(on_message, nullptr));
  return TS_SUCCESS;
}

TSReturnCode TSRemapNewInstance(int argc, char* argv[], void** instance, char* error, int error_size) {
  // argv[0] and argv[1] are the rule's from and to URLs.
  std::vector<std::string> params(argv + std::min(argc, 2), argv + argc);
  auto options = kiln::ats::parse_filter_options(params);
  if (!options) {
    snprintf(error, error_size, "%s", options.error().message.c_str());
    return TS_ERROR;
  }
  auto rule = FilterRule::create(std::move(*options), g_reports);
  if (!rule) {
    snprintf(error, error_size, "kiln_ats: %s", rule.error().message.c_str());
    return TS_ERROR;
  }
  TSNote("[kiln] %s: loaded %s", (*rule)->options().name.c_str(), (*rule)->options().module_path.c_str());
  std::lock_guard lock(g_rules_mutex);
  g_rules.insert(rule->get());
  *instance = rule->release();
  return TS_SUCCESS;
}

void TSRemapDeleteInstance(void* instance) {
  auto* rule = static_cast<FilterRule*>(instance);
  {
    std::lock_guard lock(g_rules_mutex);
    g_rules.erase(rule);
  }
  delete rule;
}

TSRemapStatus TSRemapDoRemap(void* instance, TSHttpTxn txn, TSRemapRequestInfo* request) {
  auto* rule = static_cast<FilterRule*>(instance);
  TSStatIntIncrement(g_stats.requests, 1);
  auto state = std::make_unique<Transaction>();
  state->generation = rule->current();
  auto vm = state->generation->vm_for_this_thread();
  if (!vm) {
    fail_request(txn, state->generation->name(), vm.error().message);
    return TSREMAP_NO_REMAP;
  }
  state->vm = std::move(*vm);
  const bool has_body = kiln::ats::request_has_body(request->requestBufp, request->requestHdrp);
  if (std::string failure = filter_request(txn, *state, request, has_body); !failure.empty()) {
    state->generation->retire(state->vm);
    fail_request(txn, state->generation->name(), failure);
    return TSREMAP_NO_REMAP;
  }
  const FilterGeneration& generation = *state->generation;
  if (has_body && generation.has_request_body_callback() &&
      kiln::ats::content_length(request->requestBufp, request->requestHdrp) > generation.max_body_bytes()) {
    TSError("[kiln] %s: answering 413: the request body is over %zu bytes", generation.name().c_str(),
            generation.max_body_bytes());
    TSHttpTxnStatusSet(txn, TS_HTTP_STATUS_REQUEST_ENTITY_TOO_LARGE);
    return TSREMAP_NO_REMAP;
  }
  hook_transaction(txn, std::move(state), has_body);
  return TSREMAP_NO_REMAP;
}

}  // extern "C"
