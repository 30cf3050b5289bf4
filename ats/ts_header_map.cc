#include "ats/ts_header_map.h"

#include <strings.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace kiln::ats {
namespace {

std::string_view view(const char* text, int length) {
  return text == nullptr ? std::string_view() : std::string_view(text, static_cast<size_t>(length));
}

bool is_pseudo(const std::pair<std::string, std::string>& entry) {
  return !entry.first.empty() && entry.first[0] == ':';
}

// The value of pseudo-header `name`, or null.
const std::string* pseudo(const HeaderMap& map, std::string_view name) {
  for (const auto& entry : map) {
    if (!is_pseudo(entry)) break;
    if (entry.first == name) return &entry.second;
  }
  return nullptr;
}

void read_fields(TSMBuffer buffer, TSMLoc header, HeaderMap& map) {
  const int count = TSMimeHdrFieldsCount(buffer, header);
  for (int i = 0; i < count; ++i) {
    TSMLoc field = TSMimeHdrFieldGet(buffer, header, i);
    if (field == TS_NULL_MLOC) continue;
    int name_length = 0, value_length = 0;
    const char* name = TSMimeHdrFieldNameGet(buffer, header, field, &name_length);
    const char* value = TSMimeHdrFieldValueStringGet(buffer, header, field, -1, &value_length);
    map.emplace_back(std::string(view(name, name_length)), std::string(view(value, value_length)));
    TSHandleMLocRelease(buffer, header, field);
  }
}

void append_field(TSMBuffer buffer, TSMLoc header, const std::string& name, const std::string& value) {
  TSMLoc field = TS_NULL_MLOC;
  if (TSMimeHdrFieldCreateNamed(buffer, header, name.data(), static_cast<int>(name.size()), &field) != TS_SUCCESS) {
    return;
  }
  TSMimeHdrFieldValueStringSet(buffer, header, field, -1, value.data(), static_cast<int>(value.size()));
  TSMimeHdrFieldAppend(buffer, header, field);
  TSHandleMLocRelease(buffer, header, field);
}

// The fields (pseudo-headers left out) of `before` and `after` differ from
// index `first` on: destroy Traffic Server's fields from there and append
// `after`'s rest. Appending only, the common case, destroys nothing.
void apply_fields(TSMBuffer buffer, TSMLoc header, const HeaderMap& before, const HeaderMap& after) {
  size_t b = 0, a = 0;
  while (b < before.size() && is_pseudo(before[b])) ++b;
  while (a < after.size() && is_pseudo(after[a])) ++a;
  const size_t before_start = b;
  while (b < before.size() && a < after.size() && before[b] == after[a]) ++b, ++a;
  if (b == before.size() && a == after.size()) return;
  const int first = static_cast<int>(b - before_start);
  for (int i = TSMimeHdrFieldsCount(buffer, header) - 1; i >= first; --i) {
    TSMLoc field = TSMimeHdrFieldGet(buffer, header, i);
    if (field == TS_NULL_MLOC) continue;
    TSMimeHdrFieldDestroy(buffer, header, field);
    TSHandleMLocRelease(buffer, header, field);
  }
  for (; a < after.size(); ++a) {
    if (!is_pseudo(after[a])) append_field(buffer, header, after[a].first, after[a].second);
  }
}

}  // namespace

HeaderMap read_request_headers(TSMBuffer buffer, TSMLoc header) {
  HeaderMap map;
  map.reserve(static_cast<size_t>(TSMimeHdrFieldsCount(buffer, header)) + 5);
  int length = 0;
  const char* method = TSHttpHdrMethodGet(buffer, header, &length);
  map.emplace_back(":method", std::string(view(method, length)));
  TSMLoc url = TS_NULL_MLOC;
  std::string scheme = "http", path = "/", host;
  if (TSHttpHdrUrlGet(buffer, header, &url) == TS_SUCCESS) {
    if (const char* text = TSUrlSchemeGet(buffer, url, &length); text && length > 0) scheme.assign(text, length);
    if (const char* text = TSUrlHostGet(buffer, url, &length); text && length > 0) host.assign(text, length);
    if (const char* text = TSUrlPathGet(buffer, url, &length); text) path.append(text, length);
    if (const char* text = TSUrlHttpQueryGet(buffer, url, &length); text && length > 0) {
      path.push_back('?');
      path.append(text, length);
    }
    TSHandleMLocRelease(buffer, header, url);
  }
  if (TSMLoc field = TSMimeHdrFieldFind(buffer, header, TS_MIME_FIELD_HOST, TS_MIME_LEN_HOST); field != TS_NULL_MLOC) {
    const char* text = TSMimeHdrFieldValueStringGet(buffer, header, field, -1, &length);
    if (text && length > 0) host.assign(text, length);
    TSHandleMLocRelease(buffer, header, field);
  }
  map.emplace_back(":scheme", std::move(scheme));
  map.emplace_back(":authority", std::move(host));
  map.emplace_back(":path", std::move(path));
  read_fields(buffer, header, map);
  return map;
}

void apply_request_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& before, const HeaderMap& after) {
  const std::string* method = pseudo(after, ":method");
  if (method && !method->empty() && *method != *pseudo(before, ":method")) {
    TSHttpHdrMethodSet(buffer, header, method->data(), static_cast<int>(method->size()));
  }
  const std::string* path = pseudo(after, ":path");
  if (path && !path->empty() && *path != *pseudo(before, ":path")) {
    TSMLoc url = TS_NULL_MLOC;
    if (TSHttpHdrUrlGet(buffer, header, &url) == TS_SUCCESS) {
      std::string_view whole = *path;
      if (whole.front() == '/') whole.remove_prefix(1);  // Traffic Server's paths have no leading slash
      const size_t question = whole.find('?');
      const std::string_view only_path = whole.substr(0, question);
      const std::string_view query = question == std::string_view::npos ? std::string_view() : whole.substr(question + 1);
      TSUrlPathSet(buffer, url, only_path.data(), static_cast<int>(only_path.size()));
      TSUrlHttpQuerySet(buffer, url, query.data(), static_cast<int>(query.size()));
      TSHandleMLocRelease(buffer, header, url);
    }
  }
  apply_fields(buffer, header, before, after);
}

HeaderMap read_response_headers(TSMBuffer buffer, TSMLoc header) {
  HeaderMap map;
  map.reserve(static_cast<size_t>(TSMimeHdrFieldsCount(buffer, header)) + 1);
  map.emplace_back(":status", std::to_string(static_cast<int>(TSHttpHdrStatusGet(buffer, header))));
  read_fields(buffer, header, map);
  return map;
}

void apply_response_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& before, const HeaderMap& after) {
  const std::string* status = pseudo(after, ":status");
  if (status && *status != *pseudo(before, ":status")) {
    const int code = std::atoi(status->c_str());
    if (code >= 100 && code <= 999) {
      auto http_status = static_cast<TSHttpStatus>(code);
      TSHttpHdrStatusSet(buffer, header, http_status);
      const char* reason = TSHttpHdrReasonLookup(http_status);
      if (reason) TSHttpHdrReasonSet(buffer, header, reason, static_cast<int>(std::strlen(reason)));
    }
  }
  apply_fields(buffer, header, before, after);
}

void append_fields(TSMBuffer buffer, TSMLoc header, const HeaderMap& fields) {
  for (const auto& [name, value] : fields) {
    if (!name.empty() && name[0] != ':') append_field(buffer, header, name, value);
  }
}

bool request_has_body(const HeaderMap& request) {
  for (const auto& [name, value] : request) {
    if (strcasecmp(name.c_str(), "transfer-encoding") == 0) return true;
    if (strcasecmp(name.c_str(), "content-length") == 0 && value != "0" && !value.empty()) return true;
  }
  return false;
}

}  // namespace kiln::ats
