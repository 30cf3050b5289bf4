#include "ats/ts_header_map.h"

#include <strings.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace kiln::ats {
namespace {

std::string_view view(const char* text, int length) {
  return text == nullptr || length <= 0 ? std::string_view() : std::string_view(text, static_cast<size_t>(length));
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

// Calls visit(name, value) for the header's fields in order until it
// returns false; returns how many it visited. Walks with FieldNext: getting
// a field by index walks from the first each time.
template <class Visit>
int for_each_field(TSMBuffer buffer, TSMLoc header, Visit&& visit) {
  int visited = 0;
  TSMLoc field = TSMimeHdrFieldGet(buffer, header, 0);
  while (field != TS_NULL_MLOC) {
    int name_length = 0, value_length = 0;
    const char* name = TSMimeHdrFieldNameGet(buffer, header, field, &name_length);
    const char* value = TSMimeHdrFieldValueStringGet(buffer, header, field, -1, &value_length);
    const bool more = visit(view(name, name_length), view(value, value_length));
    if (more) ++visited;
    TSMLoc next = more ? TSMimeHdrFieldNext(buffer, header, field) : TS_NULL_MLOC;
    TSHandleMLocRelease(buffer, header, field);
    field = next;
  }
  return visited;
}

void read_fields(TSMBuffer buffer, TSMLoc header, HeaderMap& map) {
  for_each_field(buffer, header, [&](std::string_view name, std::string_view value) {
    map.emplace_back(std::string(name), std::string(value));
    return true;
  });
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

// Makes Traffic Server's fields those of `map` (pseudo-headers left out),
// compared in place: the fields that match `map` from the first on stay,
// and from the first that differs, Traffic Server's are destroyed and the
// map's rest appended. A filter that only appended destroys nothing.
void apply_fields(TSMBuffer buffer, TSMLoc header, const HeaderMap& map) {
  size_t start = 0;
  while (start < map.size() && is_pseudo(map[start])) ++start;
  size_t next = start;
  const int same = for_each_field(buffer, header, [&](std::string_view name, std::string_view value) {
    if (next == map.size() || map[next].first != name || map[next].second != value) return false;
    ++next;
    return true;
  });
  if (next == map.size() && same == TSMimeHdrFieldsCount(buffer, header)) return;
  for (int i = TSMimeHdrFieldsCount(buffer, header) - 1; i >= same; --i) {
    TSMLoc field = TSMimeHdrFieldGet(buffer, header, i);
    if (field == TS_NULL_MLOC) continue;
    TSMimeHdrFieldDestroy(buffer, header, field);
    TSHandleMLocRelease(buffer, header, field);
  }
  for (; next < map.size(); ++next) {
    if (!is_pseudo(map[next])) append_field(buffer, header, map[next].first, map[next].second);
  }
}

// The request's path with its query, as :path shows it ("/a?b").
std::string request_path(TSMBuffer buffer, TSMLoc url) {
  int length = 0;
  std::string path = "/";
  if (const char* text = TSUrlPathGet(buffer, url, &length); text) path.append(text, length);
  if (const char* text = TSUrlHttpQueryGet(buffer, url, &length); text && length > 0) {
    path.push_back('?');
    path.append(text, length);
  }
  return path;
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
    path = request_path(buffer, url);
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

void apply_request_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map) {
  int length = 0;
  const std::string* method = pseudo(map, ":method");
  if (method && !method->empty() && *method != view(TSHttpHdrMethodGet(buffer, header, &length), length)) {
    TSHttpHdrMethodSet(buffer, header, method->data(), static_cast<int>(method->size()));
  }
  const std::string* path = pseudo(map, ":path");
  TSMLoc url = TS_NULL_MLOC;
  if (path && !path->empty() && TSHttpHdrUrlGet(buffer, header, &url) == TS_SUCCESS) {
    if (*path != request_path(buffer, url)) {
      std::string_view whole = *path;
      if (whole.front() == '/') whole.remove_prefix(1);  // Traffic Server's paths have no leading slash
      const size_t question = whole.find('?');
      const std::string_view only_path = whole.substr(0, question);
      const std::string_view query = question == std::string_view::npos ? std::string_view() : whole.substr(question + 1);
      TSUrlPathSet(buffer, url, only_path.data(), static_cast<int>(only_path.size()));
      TSUrlHttpQuerySet(buffer, url, query.data(), static_cast<int>(query.size()));
    }
    TSHandleMLocRelease(buffer, header, url);
  }
  apply_fields(buffer, header, map);
}

HeaderMap read_response_headers(TSMBuffer buffer, TSMLoc header) {
  HeaderMap map;
  map.reserve(static_cast<size_t>(TSMimeHdrFieldsCount(buffer, header)) + 1);
  map.emplace_back(":status", std::to_string(static_cast<int>(TSHttpHdrStatusGet(buffer, header))));
  read_fields(buffer, header, map);
  return map;
}

void apply_response_headers(TSMBuffer buffer, TSMLoc header, const HeaderMap& map) {
  const std::string* status = pseudo(map, ":status");
  const int code = status ? std::atoi(status->c_str()) : 0;
  if (code >= 100 && code <= 999 && code != static_cast<int>(TSHttpHdrStatusGet(buffer, header))) {
    auto http_status = static_cast<TSHttpStatus>(code);
    TSHttpHdrStatusSet(buffer, header, http_status);
    if (const char* reason = TSHttpHdrReasonLookup(http_status)) {
      TSHttpHdrReasonSet(buffer, header, reason, static_cast<int>(std::strlen(reason)));
    }
  }
  apply_fields(buffer, header, map);
}


// ---- in place ---------------------------------------------------------------

namespace {

bool is_pseudo_name(std::string_view name) { return !name.empty() && name.front() == ':'; }

// The first field named `name`, or TS_NULL_MLOC (release it).
TSMLoc find_field(TSMBuffer buffer, TSMLoc header, std::string_view name) {
  return TSMimeHdrFieldFind(buffer, header, name.data(), static_cast<int>(name.size()));
}

std::optional<std::string> field_value(TSMBuffer buffer, TSMLoc header, std::string_view name) {
  TSMLoc field = find_field(buffer, header, name);
  if (field == TS_NULL_MLOC) return std::nullopt;
  int length = 0;
  const char* value = TSMimeHdrFieldValueStringGet(buffer, header, field, -1, &length);
  std::string copy(view(value, length));
  TSHandleMLocRelease(buffer, header, field);
  return copy;
}

// Sets the first field named `name` and drops its duplicates; appends one
// when there is none.
void replace_field(TSMBuffer buffer, TSMLoc header, std::string_view name, std::string_view value) {
  TSMLoc field = find_field(buffer, header, name);
  if (field == TS_NULL_MLOC) {
    append_field(buffer, header, std::string(name), std::string(value));
    return;
  }
  TSMimeHdrFieldValueStringSet(buffer, header, field, -1, value.data(), static_cast<int>(value.size()));
  for (TSMLoc dup = TSMimeHdrFieldNextDup(buffer, header, field); dup != TS_NULL_MLOC;) {
    TSMLoc next = TSMimeHdrFieldNextDup(buffer, header, dup);
    TSMimeHdrFieldDestroy(buffer, header, dup);
    TSHandleMLocRelease(buffer, header, dup);
    dup = next;
  }
  TSHandleMLocRelease(buffer, header, field);
}

void remove_fields(TSMBuffer buffer, TSMLoc header, std::string_view name) {
  for (TSMLoc field = find_field(buffer, header, name); field != TS_NULL_MLOC; field = find_field(buffer, header, name)) {
    TSMimeHdrFieldDestroy(buffer, header, field);
    TSHandleMLocRelease(buffer, header, field);
  }
}

}  // namespace

size_t TsHeaders::count() const {
  return static_cast<size_t>(TSMimeHdrFieldsCount(buffer_, header_) + (side_ == Side::Request ? 4 : 1));
}

std::optional<std::string> TsHeaders::get(std::string_view name) const {
  if (!is_pseudo_name(name)) return field_value(buffer_, header_, name);
  for (auto& [key, value] : pairs()) {
    if (key == name) return std::move(value);
    if (!is_pseudo_name(key)) break;
  }
  return std::nullopt;
}

void TsHeaders::add(std::string_view name, std::string_view value) {
  if (is_pseudo_name(name)) return replace(name, value);  // a message has one of each
  append_field(buffer_, header_, std::string(name), std::string(value));
}

void TsHeaders::replace(std::string_view name, std::string_view value) {
  if (side_ == Side::Request && name == ":authority") return replace_field(buffer_, header_, "Host", value);
  if (!is_pseudo_name(name)) return replace_field(buffer_, header_, name, value);
  HeaderMap map = pairs();
  for (auto& [key, old] : map) {
    if (key == name) old = std::string(value);
  }
  set_pairs(std::move(map));  // the request or status line; :scheme stays
}

void TsHeaders::remove(std::string_view name) {
  if (!is_pseudo_name(name)) remove_fields(buffer_, header_, name);  // a message keeps its first line
}

HeaderMap TsHeaders::pairs() const {
  return side_ == Side::Request ? read_request_headers(buffer_, header_) : read_response_headers(buffer_, header_);
}

void TsHeaders::set_pairs(HeaderMap pairs) {
  if (side_ == Side::Request) {
    apply_request_headers(buffer_, header_, pairs);
  } else {
    apply_response_headers(buffer_, header_, pairs);
  }
}

uint64_t content_length(TSMBuffer buffer, TSMLoc header) {
  auto text = field_value(buffer, header, TS_MIME_FIELD_CONTENT_LENGTH);
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

bool request_has_body(TSMBuffer buffer, TSMLoc header) {
  if (auto chunked = field_value(buffer, header, TS_MIME_FIELD_TRANSFER_ENCODING)) return true;
  auto length = field_value(buffer, header, TS_MIME_FIELD_CONTENT_LENGTH);
  return length && !length->empty() && *length != "0";
}

}  // namespace kiln::ats
