// Time and cooperation: sleep(), sleep_until(), yield_now(), timeout().
#pragma once

#include <async/executor.h>

namespace async {

// co_await sleep_until(deadline): resumes once the executor's clock reads >= deadline.
// Cancelling the task withdraws the timer (its destructor), at no cost when it would have fired.
class SleepUntil : public Leaf<SleepUntil> {
 public:
  explicit SleepUntil(Instant deadline) { entry_.deadline = deadline; }
  SleepUntil(const SleepUntil&) = delete;
  ~SleepUntil() {
    if (executor_ != nullptr) executor_->cancel_timer(entry_);
  }
  bool poll(TaskHeader& task) {
    executor_ = &task.executor();
    return executor_->poll_timer(entry_, task);
  }
  void await_resume() {}

 protected:
  Executor* executor_ = nullptr;
  TimerEntry entry_;
};

inline SleepUntil sleep_until(Instant deadline) { return SleepUntil(deadline); }

// co_await sleep(duration): resumes no earlier than `duration` after it is first awaited.
class SleepFor : public Leaf<SleepFor> {
 public:
  explicit SleepFor(Duration duration) : duration_(duration) {}
  SleepFor(const SleepFor&) = delete;
  ~SleepFor() {
    if (executor_ != nullptr) executor_->cancel_timer(entry_);
  }
  bool poll(TaskHeader& task) {
    if (executor_ == nullptr) {
      executor_ = &task.executor();
      entry_.deadline = deadline_after(executor_->now(), duration_);
    }
    return executor_->poll_timer(entry_, task);
  }
  void await_resume() {}

 private:
  Duration duration_;
  Executor* executor_ = nullptr;
  TimerEntry entry_;
};
inline SleepFor sleep(Duration duration) { return SleepFor(duration); }

// co_await yield_now(): lets the other tasks queued on this worker run, then continues.
class YieldNow : public Leaf<YieldNow> {
 public:
  bool poll(TaskHeader& task) {
    if (yielded_) return true;
    yielded_ = true;
    task.wake_by_ref();  // running: marks it notified, so it is queued again at the back
    return false;
  }
  void await_resume() {}

 private:
  bool yielded_ = false;
};
inline YieldNow yield_now() { return {}; }

namespace detail {

// Waits for a join handle or a deadline, whichever comes first; true when the task finished.
template <typename T> class JoinOrDeadline : public Leaf<JoinOrDeadline<T>> {
 public:
  JoinOrDeadline(JoinHandle<T>& handle, Duration duration) : handle_(handle), duration_(duration) {}
  JoinOrDeadline(const JoinOrDeadline&) = delete;
  ~JoinOrDeadline() {
    if (executor_ != nullptr) executor_->cancel_timer(entry_);
  }
  bool poll(TaskHeader& task) {
    if (executor_ == nullptr) {
      executor_ = &task.executor();
      entry_.deadline = deadline_after(executor_->now(), duration_);
    }
    if (handle_.poll_finished(task.waker())) {
      finished_ = true;
      return true;
    }
    return executor_->poll_timer(entry_, task);
  }
  bool await_resume() { return finished_; }

 private:
  JoinHandle<T>& handle_;
  Duration duration_;
  Executor* executor_ = nullptr;
  TimerEntry entry_;
  bool finished_ = false;
};

// Cancels the task when the scope is left early (the awaiting task itself was cancelled).
template <typename T> struct CancelOnExit {
  JoinHandle<T>& handle;
  ~CancelOnExit() {
    if (handle.valid() && !handle.is_finished()) handle.cancel();
  }
};

}  // namespace detail

// Runs `future` as a task of its own (on this worker) for at most `duration`. Yields its value,
// or Error::TimedOut (it was then cancelled, and its destructors have run), Error::NoMemory or
// Error::Closed (it could not be spawned), Error::Cancelled (someone else cancelled it).
// FIXME(async): the future runs as a spawned task, so it costs a task record; if the awaiting
// task is itself cancelled, the future is cancelled but may finish after the caller's frame is
// gone, so it must not borrow from that frame.
template <typename T> Task<support::Result<T, Error>> timeout(Duration duration, Task<T> future) {
  Executor& executor = co_await current_executor();
  auto spawned = executor.try_spawn(support::move(future));
  if (spawned.is_error()) co_return spawned.error();
  JoinHandle<T> handle = spawned.release_value();
  detail::CancelOnExit<T> guard{handle};
  bool finished = co_await detail::JoinOrDeadline<T>(handle, duration);
  if (!finished) {
    handle.cancel();
    auto ignored = co_await handle;
    (void)ignored;
    co_return Error::TimedOut;
  }
  co_return handle.take_result();
}

}  // namespace async
