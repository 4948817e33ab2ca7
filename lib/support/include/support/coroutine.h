// The coroutine machinery C++20 `co_await` needs. Hosted builds take it from <coroutine>; the
// freestanding kernel declares the two names clang looks up (std::coroutine_traits and
// std::coroutine_handle) here, on top of clang's __builtin_coro_* intrinsics, plus the few helpers
// the executor uses (noop_coroutine, suspend_always, suspend_never).
#pragma once

#include <support/types.h>

#if __STDC_HOSTED__
#include <coroutine>
#else
namespace std {

template <class R, class = void> struct coroutine_traits_base {};
template <class R>
struct coroutine_traits_base<R, decltype((void)sizeof(typename R::promise_type))> {
  using promise_type = typename R::promise_type;
};
template <class R, class... Args> struct coroutine_traits : coroutine_traits_base<R> {};

template <class Promise = void> struct coroutine_handle;

template <> struct coroutine_handle<void> {
  constexpr coroutine_handle() noexcept = default;
  constexpr coroutine_handle(decltype(nullptr)) noexcept {}
  coroutine_handle& operator=(decltype(nullptr)) noexcept {
    ptr_ = nullptr;
    return *this;
  }
  constexpr void* address() const noexcept { return ptr_; }
  static constexpr coroutine_handle from_address(void* address) noexcept {
    coroutine_handle handle;
    handle.ptr_ = address;
    return handle;
  }
  constexpr explicit operator bool() const noexcept { return ptr_ != nullptr; }
  bool done() const { return __builtin_coro_done(ptr_); }
  void operator()() const { resume(); }
  void resume() const { __builtin_coro_resume(ptr_); }
  void destroy() const { __builtin_coro_destroy(ptr_); }

 protected:
  void* ptr_ = nullptr;
};

template <class Promise> struct coroutine_handle : coroutine_handle<void> {
  constexpr coroutine_handle() noexcept = default;
  constexpr coroutine_handle(decltype(nullptr)) noexcept {}
  static constexpr coroutine_handle from_address(void* address) noexcept {
    coroutine_handle handle;
    handle.ptr_ = address;
    return handle;
  }
  static coroutine_handle from_promise(Promise& promise) noexcept {
    coroutine_handle handle;
    handle.ptr_ = __builtin_coro_promise(&promise, alignof(Promise), true);
    return handle;
  }
  Promise& promise() const {
    return *static_cast<Promise*>(__builtin_coro_promise(ptr_, alignof(Promise), false));
  }
};

inline bool operator==(coroutine_handle<> a, coroutine_handle<> b) noexcept {
  return a.address() == b.address();
}

struct noop_coroutine_promise {};

template <> struct coroutine_handle<noop_coroutine_promise> : coroutine_handle<void> {
  constexpr explicit operator bool() const noexcept { return true; }
  constexpr bool done() const noexcept { return false; }
  void operator()() const noexcept {}
  void resume() const noexcept {}
  void destroy() const noexcept {}
  noop_coroutine_promise& promise() const noexcept {
    return *static_cast<noop_coroutine_promise*>(
        __builtin_coro_promise(__builtin_coro_noop(), alignof(noop_coroutine_promise), false));
  }

 private:
  friend coroutine_handle noop_coroutine() noexcept;
  coroutine_handle() noexcept { this->ptr_ = __builtin_coro_noop(); }
};
using noop_coroutine_handle = coroutine_handle<noop_coroutine_promise>;
inline noop_coroutine_handle noop_coroutine() noexcept { return noop_coroutine_handle(); }

struct suspend_always {
  constexpr bool await_ready() const noexcept { return false; }
  constexpr void await_suspend(coroutine_handle<>) const noexcept {}
  constexpr void await_resume() const noexcept {}
};
struct suspend_never {
  constexpr bool await_ready() const noexcept { return true; }
  constexpr void await_suspend(coroutine_handle<>) const noexcept {}
  constexpr void await_resume() const noexcept {}
};

}  // namespace std
#endif
