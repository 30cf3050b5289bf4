// Result<T>: a value or an Error. kiln reports every failure as a value; no
// exception crosses a kiln API. An Error (error.h) carries a kind, one
// human-readable line that says what went wrong and where, and the location
// where it is known.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "kiln/error.h"

namespace kiln {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{std::move(message), kind, {}}; }
inline Error make_error(ErrorKind kind, std::string message, ErrorLocation where) {
  return Error{std::move(message), kind, std::move(where)};
}
// The same error, its message prefixed with context ("guest.wasm: "): the
// kind and location stay.
inline Error prefix_error(std::string_view prefix, Error error) {
  error.message.insert(0, prefix);
  return error;
}

}  // namespace kiln
