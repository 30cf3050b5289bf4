#include "backends/aot/artifact_glue.h"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include "backends/aot/artifact_abi.h"
#include "backends/aot/c_translator.h"

namespace kiln::backends::aot {

namespace {

struct CType {
  const char* type;
  const char* slot;
  char letter;  // in wasm2c's multi-value struct names
};

std::optional<CType> c_type(ValType type) {
  switch (type) {
    case ValType::I32: return CType{"u32", "i32", 'i'};
    case ValType::I64: return CType{"u64", "i64", 'j'};
    case ValType::F32: return CType{"f32", "f32", 'f'};
    case ValType::F64: return CType{"f64", "f64", 'd'};
    case ValType::ExternRef: return CType{"wasm_rt_externref_t", "ref", 'e'};
    // Three words: crosses as a pointer to one (artifact_abi.h).
    case ValType::FuncRef: return CType{"wasm_rt_funcref_t", "ref", 'r'};
    default: return std::nullopt;
  }
}

std::string c_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == ' ' || c == '.' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

// The C return type of a function with these results, as the C writer
// spells it.
Result<std::string> return_type(const std::vector<ValType>& results) {
  if (results.empty()) return std::string("void");
  if (results.size() == 1) return std::string(c_type(results[0])->type);
  std::string name = "struct wasm_multi_";
  for (ValType type : results) {
    name += c_type(type)->letter;
  }
  return name;
}

// The slot holding the funcref scratch array of a call of this type.
size_t scratch_slot(const FuncType& type) { return std::max(type.params.size(), type.results.size()); }

// A C expression reading argument `index` from slots.
std::string read_slot(ValType type, size_t index) {
  std::string slot = "s[" + std::to_string(index) + "]." + c_type(type)->slot;
  return type == ValType::FuncRef ? "kiln_funcref_in(" + slot + ")" : slot;
}

// A C statement writing result `index` (expression `value`) to slots.
std::string write_slot(ValType type, size_t index, size_t scratch, const std::string& value) {
  std::string slot = "s[" + std::to_string(index) + "]." + c_type(type)->slot;
  if (type != ValType::FuncRef) return "  " + slot + " = " + value + ";\n";
  return "  " + slot + " = kiln_funcref_out(s, " + std::to_string(scratch) + ", " + std::to_string(index) + ", " +
         value + ");\n";
}

// Stores a call's results (expression `call`) into slots.
Result<std::string> store_results(const FuncType& type, const std::string& call) {
  const std::vector<ValType>& results = type.results;
  std::ostringstream out;
  if (results.empty()) {
    out << "  " << call << ";\n";
  } else if (results.size() == 1) {
    out << write_slot(results[0], 0, scratch_slot(type), call);
  } else {
    auto ret = return_type(results);
    if (!ret) return ret.error();
    out << "  " << *ret << " r = " << call << ";\n";
    for (size_t i = 0; i < results.size(); ++i) {
      out << write_slot(results[i], i, scratch_slot(type),
                        "r." + std::string(1, c_type(results[i])->letter) + std::to_string(i));
    }
  }
  return out.str();
}

const char* kForwarders = R"(static const kiln_host_api_t* kiln_api;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return kiln_api != NULL; }
void wasm_rt_free(void) {}
void wasm_rt_trap(wasm_rt_trap_t code) { kiln_api->trap(code); abort(); }
const char* wasm_rt_strerror(wasm_rt_trap_t code) { return kiln_api->strerror(code); }
uint32_t kiln_rt_register_func_type(uint32_t params, uint32_t results, const wasm_rt_type_t* types) {
  return kiln_api->register_func_type(params, results, types);
}
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  wasm_rt_type_t types[params + results + 1];
  va_list args;
  va_start(args, results);
  for (uint32_t i = 0; i < params + results; ++i) types[i] = (wasm_rt_type_t)va_arg(args, int);
  va_end(args);
  return kiln_api->register_func_type(params, results, types);
}
void kiln_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages, bool guard_pages) {
  kiln_api->allocate_memory(memory, initial_pages, max_pages, guard_pages);
}
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t pages) { return kiln_api->grow_memory(memory, pages); }
void wasm_rt_free_memory(wasm_rt_memory_t* memory) { kiln_api->free_memory(memory); }
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements) {
  kiln_api->allocate_funcref_table(table, elements, max_elements);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) { kiln_api->free_funcref_table(table); }
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init) {
  return kiln_api->grow_funcref_table(table, delta, init);
}
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements, uint32_t max_elements) {
  kiln_api->allocate_externref_table(table, elements, max_elements);
}
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) { kiln_api->free_externref_table(table); }
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init) {
  return kiln_api->grow_externref_table(table, delta, init);
}
uint32_t wasm_rt_register_tag(uint32_t size) { return kiln_api->register_tag(size); }
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  kiln_api->load_exception(tag, size, values);
}
void wasm_rt_throw(void) { kiln_api->throw_exception(); abort(); }
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return kiln_api->get_unwind_target(); }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { kiln_api->set_unwind_target(target); }
uint32_t wasm_rt_exception_tag(void) { return kiln_api->exception_tag(); }
uint32_t wasm_rt_exception_size(void) { return kiln_api->exception_size(); }
void* wasm_rt_exception(void) { return kiln_api->exception(); }

static void kiln_bind(const kiln_host_api_t* api) { kiln_api = api; }

/* funcref values cross as pointers to a wasm_rt_funcref_t, NULL for null.
 * Results are written to the caller's scratch array, whose address the
 * caller puts in slot `scratch` (one past the arguments and results). */
static inline wasm_rt_funcref_t kiln_funcref_in(void* p) {
  return p ? *(const wasm_rt_funcref_t*)p : wasm_rt_funcref_null_value;
}
static inline void* kiln_funcref_out(kiln_slot_t* s, uint32_t scratch, uint32_t index, wasm_rt_funcref_t value) {
  if (!value.func) return NULL;
  wasm_rt_funcref_t* out = (wasm_rt_funcref_t*)s[scratch].ref + index;
  *out = value;
  return out;
}

/* Either the context or the address of an instance field holding it. */
static inline kiln_import_ctx_t* kiln_ctx(void* p) { return *(kiln_import_ctx_t**)p; }

)";

}  // namespace

Result<std::string> generate_glue(const ArtifactInfo& info, const std::string& header) {
  std::ostringstream out;
  out << "/* Generated by kiln: the artifact's glue (backends/aot/artifact_abi.h). */\n"
      << "#include <stdarg.h>\n#include <stddef.h>\n#include <stdlib.h>\n"
      << "#include \"" << kHeaderName << "\"\n#include \"artifact_abi.h\"\n\n"
      << "#if KILN_ARTIFACT_ABI_VERSION != " << KILN_ARTIFACT_ABI_VERSION << "\n#error \"artifact ABI mismatch\"\n#endif\n\n"
      << kForwarders;

  const std::string instance_type = mangle_name(kModuleCName) + "_instance_t";
  const std::string export_prefix = mangle_name(kModuleCName);

  // Imports: function thunks and item getters, named as the generated code
  // expects them.
  for (size_t i = 0; i < info.imports.size(); ++i) {
    const ImportInfo& import = info.imports[i];
    const std::string symbol = import_symbol(i);
    const std::string module_type = "struct " + mangle_name(kImportModuleCName) + "_instance_t";
    switch (import.type.kind) {
      case ExternKind::Func: {
        const FuncType& type = import.type.func;
        auto ret = return_type(type.results);
        if (!ret) return ret.error();
        out << *ret << " " << symbol << "(" << module_type << "* p";
        for (size_t a = 0; a < type.params.size(); ++a) out << ", " << c_type(type.params[a])->type << " a" << a;
        // One slot more than values: the funcref scratch array's address,
        // only set up when a result needs it (host calls are a hot path).
        const size_t scratch = scratch_slot(type);
        out << ") {\n  kiln_slot_t s[" << scratch + 1 << "];\n";
        if (std::find(type.results.begin(), type.results.end(), ValType::FuncRef) != type.results.end()) {
          out << "  wasm_rt_funcref_t scratch[" << type.results.size() << "];\n"
              << "  s[" << scratch << "].ref = scratch;\n";
        }
        for (size_t a = 0; a < type.params.size(); ++a) {
          // A funcref argument is passed as the address of the parameter itself.
          const std::string value = type.params[a] == ValType::FuncRef
                                        ? "a" + std::to_string(a) + ".func ? (void*)&a" + std::to_string(a) + " : NULL"
                                        : "a" + std::to_string(a);
          out << "  s[" << a << "]." << c_type(type.params[a])->slot << " = " << value << ";\n";
        }
        out << "  kiln_api->call_import(kiln_ctx(p), " << i << ", s);\n";
        if (type.results.size() == 1) {
          out << "  return " << read_slot(type.results[0], 0) << ";\n";
        } else if (type.results.size() > 1) {
          out << "  " << *ret << " r;\n";
          for (size_t r = 0; r < type.results.size(); ++r) {
            out << "  r." << c_type(type.results[r])->letter << r << " = " << read_slot(type.results[r], r) << ";\n";
          }
          out << "  return r;\n";
        }
        out << "}\n";
        break;
      }
      case ExternKind::Memory:
        out << "wasm_rt_memory_t* " << symbol << "(" << module_type << "* p) {\n"
            << "  return (wasm_rt_memory_t*)kiln_api->import_item(kiln_ctx(p), " << i << ");\n}\n";
        break;
      case ExternKind::Table: {
        const char* table = import.type.value == ValType::ExternRef ? "wasm_rt_externref_table_t" : "wasm_rt_funcref_table_t";
        out << table << "* " << symbol << "(" << module_type << "* p) {\n"
            << "  return (" << table << "*)kiln_api->import_item(kiln_ctx(p), " << i << ");\n}\n";
        break;
      }
      case ExternKind::Global: {
        const char* type = c_type(import.type.value)->type;
        out << type << "* " << symbol << "(" << module_type << "* p) {\n"
            << "  return (" << type << "*)kiln_api->import_item(kiln_ctx(p), " << i << ");\n}\n";
        break;
      }
    }
  }

  // Exports: one generic entry per function, one getter per other item.
  std::ostringstream table;
  for (size_t i = 0; i < info.exports.size(); ++i) {
    const ExportInfo& item = info.exports[i];
    const std::string symbol = export_symbol(i);
    const std::string instance = "(" + instance_type + "*)inst";
    if (item.type.kind == ExternKind::Func) {
      const FuncType& type = item.type.func;
      std::string call = symbol + "(" + instance;
      for (size_t a = 0; a < type.params.size(); ++a) call += ", " + read_slot(type.params[a], a);
      call += ")";
      auto body = store_results(type, call);
      if (!body) return body.error();
      out << "static void kiln_export_" << i << "(void* inst, kiln_slot_t* s) {\n  (void)s;\n" << *body << "}\n";
      table << "  {" << c_string(item.name) << ", KILN_EXTERN_FUNC, kiln_export_" << i << ", NULL},\n";
    } else {
      out << "static void* kiln_export_" << i << "(void* inst) { return (void*)" << symbol << "(" << instance << "); }\n";
      const char* kind = item.type.kind == ExternKind::Memory  ? "KILN_EXTERN_MEMORY"
                         : item.type.kind == ExternKind::Table ? "KILN_EXTERN_TABLE"
                                                               : "KILN_EXTERN_GLOBAL";
      table << "  {" << c_string(item.name) << ", " << kind << ", NULL, kiln_export_" << i << "},\n";
    }
  }
  out << "\nstatic const kiln_export_t kiln_exports[] = {\n" << table.str() << "  {NULL, 0, NULL, NULL},\n};\n\n";

  // Memory 0: the instance's one wasm_rt_memory_t field, defined or imported.
  std::smatch match;
  static const std::regex memory_field(R"(\n\s*wasm_rt_memory_t\s*(\*?)\s*(\w+);)");
  out << "static wasm_rt_memory_t* kiln_memory0(void* inst) {\n";
  if (std::regex_search(header, match, memory_field)) {
    out << "  return " << (match[1].length() ? "" : "&") << "((" << instance_type << "*)inst)->" << match[2].str() << ";\n";
  } else {
    out << "  (void)inst;\n  return NULL;\n";
  }
  out << "}\n\n";

  // instantiate takes one pointer per imported module name; every one is
  // the instance's import context.
  const std::string instantiate = export_prefix + "_instantiate(";
  size_t at = header.find("void " + instantiate);
  if (at == std::string::npos) return make_error(ErrorKind::Internal, "unexpected C writer header (instantiate)");
  size_t end = header.find(')', at);
  size_t arity = std::count(header.begin() + at, header.begin() + end, ',');
  out << "static void kiln_instantiate(void* inst, kiln_import_ctx_t* ctx) {\n  (void)ctx;\n  " << instantiate
      << "(" << instance_type << "*)inst";
  for (size_t i = 0; i < arity; ++i) out << ", (void*)ctx";
  out << ");\n}\n";
  out << "static void kiln_free_instance(void* inst) { " << export_prefix << "_free((" << instance_type << "*)inst); }\n\n";

  out << "__attribute__((visibility(\"default\"))) const kiln_artifact_t kiln_artifact_v1 = {\n"
      << "  KILN_ARTIFACT_ABI_VERSION,\n  (uint32_t)sizeof(" << instance_type << "),\n  " << info.imports.size() << ",\n  "
      << info.exports.size() << ",\n  kiln_exports,\n  kiln_bind,\n  " << export_prefix << "_init_module,\n"
      << "  kiln_instantiate,\n  kiln_free_instance,\n  kiln_memory0,\n};\n";
  return out.str();
}

}  // namespace kiln::backends::aot
