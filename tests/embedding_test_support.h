// Shared by the embedding_*_test.cc files: the tests run on both backends.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "aot_test_support.h"
#include "kiln/module.h"
#include "test_support.h"

namespace kiln::test {

class OnEachBackend : public ::testing::TestWithParam<BackendKind> {
 protected:
  Engine engine_ = make_engine(GetParam());

  Module load_guest(const std::string& stem) {
    auto module = Module::from_file(engine_, guest_path(stem));
    if (!module.ok()) throw std::runtime_error(module.error().message);
    return std::move(module).value();
  }
};

inline std::string backend_name(const ::testing::TestParamInfo<BackendKind>& info) {
  return to_string(info.param);
}

}  // namespace kiln::test
