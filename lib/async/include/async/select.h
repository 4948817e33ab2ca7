// select(a, b): runs two futures concurrently and yields the first to finish; the other is
// cancelled, and its destructors have run when select returns.
#pragma once

#include <async/time.h>

namespace async {

// Which future won, and its value. A and B are value types (use Task<Unit> for "no value").
template <typename A, typename B> struct Selected {
  u8 index = 0;  // 0: `first` holds a's value; 1: `second` holds b's
  support::Optional<A> first;
  support::Optional<B> second;
};

namespace detail {

template <typename A, typename B> class JoinEither : public Leaf<JoinEither<A, B>> {
 public:
  JoinEither(JoinHandle<A>& a, JoinHandle<B>& b) : a_(a), b_(b) {}
  bool poll(TaskHeader& task) {
    if (a_.poll_finished(task.waker())) {
      winner_ = 0;
      return true;
    }
    if (b_.poll_finished(task.waker())) {
      winner_ = 1;
      return true;
    }
    return false;
  }
  u8 await_resume() { return winner_; }

 private:
  JoinHandle<A>& a_;
  JoinHandle<B>& b_;
  u8 winner_ = 0;
};

}  // namespace detail

// Both futures run as tasks spawned on the current worker. Errors: NoMemory or Closed (a future
// could not be spawned; the other has been cancelled), Cancelled (the winner was cancelled by
// someone else). Same FIXME as timeout(): the futures must not borrow from the caller's frame
// if the caller may be cancelled.
template <typename A, typename B>
Task<support::Result<Selected<A, B>, Error>> select(Task<A> a, Task<B> b) {
  static_assert(!support::kIsSame<A, void> && !support::kIsSame<B, void>,
                "select() needs values: use Task<Unit>");
  Executor& executor = co_await current_executor();
  auto spawned_a = executor.try_spawn(support::move(a));
  if (spawned_a.is_error()) co_return spawned_a.error();
  JoinHandle<A> handle_a = spawned_a.release_value();
  detail::CancelOnExit<A> guard_a{handle_a};
  auto spawned_b = executor.try_spawn(support::move(b));
  if (spawned_b.is_error()) {
    handle_a.cancel();
    auto ignored = co_await handle_a;
    (void)ignored;
    co_return spawned_b.error();
  }
  JoinHandle<B> handle_b = spawned_b.release_value();
  detail::CancelOnExit<B> guard_b{handle_b};

  u8 winner = co_await detail::JoinEither<A, B>(handle_a, handle_b);
  Selected<A, B> out;
  out.index = winner;
  if (winner == 0) {
    handle_b.cancel();
    auto loser = co_await handle_b;
    (void)loser;
    auto value = handle_a.take_result();
    if (value.is_error()) co_return value.error();
    out.first = value.release_value();
  } else {
    handle_a.cancel();
    auto loser = co_await handle_a;
    (void)loser;
    auto value = handle_b.take_result();
    if (value.is_error()) co_return value.error();
    out.second = value.release_value();
  }
  co_return out;
}

}  // namespace async
