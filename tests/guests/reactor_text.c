// A reactor guest the embedding tests drive through host memory access:
// the host writes input with kiln_alloc, calls a function with (ptr, len),
// and reads the output it returns as (ptr << 32 | len).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int initialized_count;      // set by the constructor `_initialize` runs
static char tenant_note[64] = "";  // zero-initialised .bss state

__attribute__((constructor)) static void init(void) { initialized_count += 1; }

__attribute__((export_name("kiln_alloc"))) void* kiln_alloc(uint32_t size) { return malloc(size); }

__attribute__((export_name("initialized_count"))) int get_initialized_count(void) { return initialized_count; }

static uint64_t pack(const char* out, uint32_t len) { return ((uint64_t)(uintptr_t)out << 32) | len; }

// Upper-cases the input into a new buffer.
__attribute__((export_name("upper"))) uint64_t upper(const char* in, uint32_t len) {
  char* out = malloc(len ? len : 1);
  for (uint32_t i = 0; i < len; ++i) out[i] = (in[i] >= 'a' && in[i] <= 'z') ? in[i] - 32 : in[i];
  return pack(out, len);
}

// Remembers a note for this instance (state a later tenant must not see).
__attribute__((export_name("remember"))) void remember(const char* in, uint32_t len) {
  if (len >= sizeof tenant_note) len = sizeof tenant_note - 1;
  for (uint32_t i = 0; i < len; ++i) tenant_note[i] = in[i];
  tenant_note[len] = 0;
}

__attribute__((export_name("recall"))) uint64_t recall(void) {
  uint32_t len = 0;
  while (tenant_note[len]) ++len;
  return pack(tenant_note, len);
}

// Writes a line to stdout per call (per-call captured output).
__attribute__((export_name("say"))) void say(int n) {
  printf("call %d\n", n);
  fflush(stdout);
}
