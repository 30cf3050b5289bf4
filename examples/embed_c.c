// Embedding kiln in a C program through kiln.h: load a module, give it a
// host function, pass an input through guest memory, call an export and
// read what the call cost. Builds against libkiln.a (in process compile)
// or libkiln.so (which has `kiln compile` build the artifact).
//
//   embed_c checkout_discount.wasm [aot|interp]
//
// The guest (checkout_discount.c) computes a checkout discount: the host
// writes the cart into guest memory, the guest asks the host for the
// customer tier's rate through env.tier_rate.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/kiln.h"

// The host's data, reached through the host function's user-data pointer.
struct rates {
  int32_t percent[4];  // by tier
};

// env.tier_rate(tier) -> percent. An unknown tier traps the guest's call.
static void tier_rate(void* user_data, kiln_caller_t* caller, const kiln_val_t* args, size_t nargs,
                      kiln_val_t* results, size_t nresults) {
  const struct rates* rates = user_data;
  (void)nargs;
  (void)nresults;
  int32_t tier = args[0].of.i32;
  if (tier < 0 || tier >= 4) {
    char message[64];
    snprintf(message, sizeof message, "unknown customer tier %d", tier);
    kiln_caller_trap(caller, message);
    return;
  }
  results[0].of.i32 = rates->percent[tier];
}

static int fail(const char* what, kiln_status_t status) {
  fprintf(stderr, "embed_c: %s: %s: %s\n", what, kiln_status_name(status), kiln_last_error());
  return 1;
}

// Writes `cart` into the guest and calls discount(pointer, length).
static kiln_status_t price(kiln_instance_t* instance, const char* cart, int32_t* discount, kiln_call_result_t* result) {
  uint32_t at = 0;
  uint32_t length = (uint32_t)strlen(cart);
  kiln_status_t status = kiln_instance_write_input(instance, cart, length, &at);
  if (status != KILN_OK) return status;
  kiln_val_t args[2] = {{.kind = KILN_I32, .of.i32 = (int32_t)at}, {.kind = KILN_I32, .of.i32 = (int32_t)length}};
  kiln_val_t out[1];
  status = kiln_instance_call(instance, "discount", args, 2, out, 1, result);
  if (status == KILN_OK) *discount = out[0].of.i32;
  return status;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed_c checkout_discount.wasm [aot|interp]\n");
    return 2;
  }
  kiln_engine_config_t config;
  kiln_engine_config_init(&config);
  if (argc > 2 && strcmp(argv[2], "interp") == 0) config.backend = KILN_BACKEND_INTERP;

  kiln_engine_t* engine = NULL;
  kiln_status_t status = kiln_engine_new(&config, &engine);
  if (status != KILN_OK) return fail("engine", status);
  kiln_module_t* module = NULL;
  status = kiln_module_from_file(engine, argv[1], &module);
  if (status != KILN_OK) return fail("module", status);

  static struct rates rates = {{0, 5, 15, 30}};
  kiln_linker_t* linker = NULL;
  kiln_linker_new(&linker);
  kiln_linker_define_wasi(linker);
  kiln_valkind_t i32[1] = {KILN_I32};
  status = kiln_linker_define_func(linker, "env", "tier_rate", i32, 1, i32, 1, tier_rate, &rates, NULL);
  if (status != KILN_OK) return fail("define env.tier_rate", status);

  kiln_store_t* store = NULL;
  kiln_store_new(engine, &store);
  kiln_limits_t limits;
  kiln_store_get_limits(store, &limits);
  limits.fuel = 1000000;
  kiln_store_set_limits(store, &limits);
  kiln_wasi_config_t wasi = {0};  // no args, captured output
  kiln_store_set_wasi(store, &wasi);

  kiln_instance_t* instance = NULL;
  status = kiln_store_instantiate(store, module, linker, &instance);
  if (status != KILN_OK) return fail("instantiate", status);

  int32_t discount = 0;
  kiln_call_result_t result;
  status = price(instance, "2 12000", &discount, &result);
  if (status != KILN_OK) return fail("discount", status);
  printf("discount: %d cents\n", discount);
  printf("guest said: %.*s", (int)result.stdout_size, result.stdout_data);
  printf("fuel used: %s\n", result.fuel_used > 0 && result.fuel_used < limits.fuel ? "within budget" : "unexpected");

  // A trap is an outcome, not a failure of the host: report it and go on.
  status = price(instance, "7 500", &discount, &result);
  printf("unknown tier: %s (%s: %s)\n", kiln_status_name(status), kiln_trap_kind_name(result.trap_kind),
         result.trap_message);

  status = price(instance, "3 1000", &discount, &result);
  if (status != KILN_OK) return fail("discount after a trap", status);
  printf("after the trap: %d cents\n", discount);

  kiln_store_delete(store);
  kiln_linker_delete(linker);
  kiln_module_delete(module);
  kiln_engine_delete(engine);
  return 0;
}
