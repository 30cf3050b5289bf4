#include "spectest/spectest_module.h"

#include <string>
#include <vector>

#include "spectest/spec_values.h"

namespace kiln::spectest {

namespace {

void define_print(Linker& linker, std::string name, std::vector<ValType> params, std::ostream* log) {
  HostCallback callback = [log, name](HostContext&, std::span<const Value> args, std::span<Value>) {
    if (log) *log << "spectest." << name << describe(args) << "\n";
    return HostResult::ok();
  };
  linker.define("spectest", name, HostFunc{FuncType{std::move(params), {}}, std::move(callback)});
}

}  // namespace

void define_spectest_module(Store& store, Linker& linker, std::ostream* log) {
  using enum ValType;
  define_print(linker, "print", {}, log);
  define_print(linker, "print_i32", {I32}, log);
  define_print(linker, "print_i64", {I64}, log);
  define_print(linker, "print_f32", {F32}, log);
  define_print(linker, "print_f64", {F64}, log);
  define_print(linker, "print_i32_f32", {I32, F32}, log);
  define_print(linker, "print_f64_f64", {F64, F64}, log);

  linker.define("spectest", "global_i32", store.new_global(Value::from_i32(666), false));
  linker.define("spectest", "global_i64", store.new_global(Value::from_i64(666), false));
  linker.define("spectest", "global_f32", store.new_global(Value::from_f32(666.6f), false));
  linker.define("spectest", "global_f64", store.new_global(Value::from_f64(666.6), false));
  linker.define("spectest", "table", store.new_table(FuncRef, 10, 20));
  linker.define("spectest", "memory", store.new_memory(1, 2));
}

}  // namespace kiln::spectest
