// Result<T, E>: a T or an error E (default support::Error). TRY(expr) propagates the error of an
// expression to the caller; MUST(expr) states that failure is a bug (it panics through
// support_must_failed, which each environment defines).
#pragma once

#include <support/error.h>
#include <support/new.h>
#include <support/utility.h>

[[noreturn]] void support_must_failed(const char* expr, const char* file, int line);

namespace support {

template <typename T, typename E = Error> class [[nodiscard]] Result {
 public:
  Result(const T& value) : ok_(true) { new (&value_) T(value); }
  Result(T&& value) : ok_(true) { new (&value_) T(move(value)); }
  Result(E error) : ok_(false) { new (&error_) E(error); }
  Result(const Result& other) : ok_(other.ok_) {
    if (ok_)
      new (&value_) T(other.value_);
    else
      new (&error_) E(other.error_);
  }
  Result(Result&& other) : ok_(other.ok_) {
    if (ok_)
      new (&value_) T(move(other.value_));
    else
      new (&error_) E(other.error_);
  }
  Result& operator=(Result other) {
    destroy();
    ok_ = other.ok_;
    if (ok_)
      new (&value_) T(move(other.value_));
    else
      new (&error_) E(other.error_);
    return *this;
  }
  ~Result() { destroy(); }

  bool is_ok() const { return ok_; }
  bool is_error() const { return !ok_; }
  explicit operator bool() const { return ok_; }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T release_value() { return move(value_); }
  E error() const { return error_; }

  template <typename U> T value_or(U&& fallback) const {
    return ok_ ? value_ : static_cast<T>(forward<U>(fallback));
  }

 private:
  void destroy() {
    if (ok_) value_.~T();
  }
  union {
    T value_;
    E error_;
  };
  bool ok_;
};

template <typename E> class [[nodiscard]] Result<void, E> {
 public:
  Result() : ok_(true), error_() {}
  Result(E error) : ok_(false), error_(error) {}

  bool is_ok() const { return ok_; }
  bool is_error() const { return !ok_; }
  explicit operator bool() const { return ok_; }
  void release_value() {}
  E error() const { return error_; }

 private:
  bool ok_;
  E error_;
};

// The success value of a Result<void>: `return ok();`.
inline Result<void> ok() { return {}; }

}  // namespace support

// Evaluates `expr` (a Result); returns its error from the enclosing function, else yields the
// value.
#define TRY(expr)                                           \
  ({                                                        \
    auto&& try_result_ = (expr);                            \
    if (try_result_.is_error()) return try_result_.error(); \
    try_result_.release_value();                            \
  })

// As TRY, inside a coroutine.
#define CO_TRY(expr)                                           \
  ({                                                           \
    auto&& try_result_ = (expr);                               \
    if (try_result_.is_error()) co_return try_result_.error(); \
    try_result_.release_value();                               \
  })

// Yields the value of `expr`; its failure is a bug and stops the system (or the test).
#define MUST(expr)                                                               \
  ({                                                                             \
    auto&& must_result_ = (expr);                                                \
    if (must_result_.is_error()) support_must_failed(#expr, __FILE__, __LINE__); \
    must_result_.release_value();                                                \
  })
