// chain_link: a kiln-reactor guest for MessagePack chain points that hands
// its input on as its output, minus the "config" member kiln added — the
// least a link can do, so that a chain of them measures the platform's
// cost per link (kiln_platform_bench). In place: the config is the map's
// last member, so the output is the input's first members under a header
// one count smaller, written just before them; nothing is copied.
#include <stdint.h>

#include <kiln/guest/kiln_guest.h>

#include "kiln_msgpack.h"

// Bytes a map header takes for `count` members, written at out (right-aligned by the caller).
static int map_header(uint32_t count, uint8_t out[5]) {
  if (count <= 15) {
    out[0] = (uint8_t)(0x80 | count);
    return 1;
  }
  if (count <= 0xffff) {
    out[0] = 0xde, out[1] = (uint8_t)(count >> 8), out[2] = (uint8_t)count;
    return 3;
  }
  out[0] = 0xdf, out[1] = (uint8_t)(count >> 24), out[2] = (uint8_t)(count >> 16), out[3] = (uint8_t)(count >> 8),
  out[4] = (uint8_t)count;
  return 5;
}

static int64_t run(const char* input, uint32_t len) {
  uint8_t* data = (uint8_t*)input;
  kmp_value root;
  const char* error;
  size_t at;
  if (!kmp_check(data, len, &root, &error, &at) || kmp_type_of(root) != KMP_MAP || kmp_count(root) == 0) {
    kiln_log_str("chain_link: the input is not a MessagePack map with its config");
    return kiln_fail(1);
  }
  const uint32_t members = kmp_count(root) - 1;
  // The first member's key: after the header (1, 3 or 5 bytes).
  const uint32_t header = data[0] <= 0x8f ? 1 : data[0] == 0xde ? 3 : 5;
  kmp_value end = {data + header, data + len};
  for (uint32_t i = 0; i < members; ++i) end = kmp_next(kmp_next(end));  // key, value
  uint8_t fresh[5];
  const int size = map_header(members, fresh);
  uint8_t* start = data + header - size;
  for (int i = 0; i < size; ++i) start[i] = fresh[i];
  return kiln_output(start, (uint32_t)(end.p - start));
}

KILN_ALLOCATOR_MALLOC()
KILN_ENTRY(run)
