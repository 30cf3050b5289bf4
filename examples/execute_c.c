// A C host running extensions through kiln.h's executor: the same program
// runs them in its own process, on a registry that `kiln deploy` fills, or
// on a kiln service — which, is configuration (here: the environment).
//
//   execute_c EXTENSION_POINT SCOPE INPUT_FILE
//     KILN_URL set:   on that service (KILN_EXEC_TOKEN is the token)
//     otherwise:      in process, on $KILN_REGISTRY (else kiln's default)
//
// Prints the status, the output (or why there is none), what the call cost
// and where its time went. Exits 0 when the extension ran and succeeded or
// nothing was bound (the host goes on without customisation), else 1.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/kiln.h"

// The whole file in a malloc'd buffer; NULL when it cannot be read.
static uint8_t* read_file(const char* path, size_t* size) {
  FILE* file = fopen(path, "rb");
  if (!file) return NULL;
  uint8_t* data = NULL;
  size_t used = 0, capacity = 0, got;
  do {
    if (used == capacity) {
      capacity = capacity ? capacity * 2 : 4096;
      uint8_t* bigger = realloc(data, capacity);
      if (!bigger) break;
      data = bigger;
    }
    got = fread(data + used, 1, capacity - used, file);
    used += got;
  } while (got > 0);
  fclose(file);
  *size = used;
  return data;
}

static void print_result(kiln_exec_result_t* result) {
  kiln_exec_details_t d;
  kiln_exec_result_details(result, &d);
  printf("status: %s\n", kiln_exec_status_name(d.status));
  size_t size = 0;
  const char* output = kiln_exec_result_output(result, &size);
  if (output) printf("output: %.*s\n", (int)size, output);
  if (d.error_kind != KILN_OK) printf("error: %s: %s\n", kiln_status_name(d.error_kind), d.error_message);
  if (d.extension[0]) printf("extension: %s version %lld\n", d.extension, (long long)d.version);
  printf("fuel: %llu of %llu\n", (unsigned long long)d.fuel_used, (unsigned long long)d.fuel_limit);
  for (int s = 0; s < KILN_EXEC_STAGE_COUNT; ++s) {
    printf("%s_ns: %llu\n", kiln_exec_stage_name((kiln_exec_stage_t)s), (unsigned long long)d.stage_ns[s]);
  }
  printf("network_ns: %llu\n", (unsigned long long)d.network_ns);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: execute_c EXTENSION_POINT SCOPE INPUT_FILE\n");
    return 2;
  }
  size_t size = 0;
  uint8_t* input = read_file(argv[3], &size);
  if (!input) {
    fprintf(stderr, "execute_c: %s: cannot read\n", argv[3]);
    return 2;
  }
  kiln_executor_config_t config;
  kiln_executor_config_init(&config);
  config.url = getenv("KILN_URL");
  config.token = getenv("KILN_EXEC_TOKEN");
  config.registry = getenv("KILN_REGISTRY");
  kiln_executor_t* executor = NULL;
  kiln_status_t status = kiln_executor_new(&config, &executor);
  if (status != KILN_OK) {
    fprintf(stderr, "execute_c: %s: %s\n", kiln_status_name(status), kiln_last_error());
    free(input);
    return 2;
  }
  kiln_exec_result_t* result = NULL;
  status = kiln_executor_execute(executor, argv[1], argv[2], input, size, &result);
  free(input);
  if (status != KILN_OK) {
    fprintf(stderr, "execute_c: %s: %s\n", kiln_status_name(status), kiln_last_error());
    kiln_executor_delete(executor);
    return 2;
  }
  print_result(result);
  kiln_exec_details_t d;
  kiln_exec_result_details(result, &d);
  int code = d.status == KILN_EXEC_OK || (d.status == KILN_EXEC_NOT_RUN && d.error_kind == KILN_OK) ? 0 : 1;
  kiln_exec_result_delete(result);
  kiln_executor_delete(executor);
  return code;
}
