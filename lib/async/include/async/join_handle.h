// JoinHandle<T>: the spawner's side of a spawned task. Awaitable from any task on any worker
// (`Result<T, Error> r = co_await handle;`), pollable from outside the executor (host:
// async::block_on in host_platform.h; kernel: its own block_on over poll_finished). Dropping the
// handle detaches the task, which runs on.
#pragma once

#include <async/task.h>

namespace async {

namespace detail {

// The record behind a JoinHandle<T>: the task header, the root Task and, once done, its value.
// It lives either in a block of its own (`block_size` 0) or in front of the root frame, in the
// block of `block_size` bytes that the frame was allocated in (detail::claim_record_area).
template <typename T> class SpawnedTask final : public TaskHeader {
 public:
  SpawnedTask(Executor& executor, Allocator& allocator, Task<T> future, usize block_size = 0)
      : TaskHeader(executor, future.handle()),
        allocator_(allocator),
        future_(support::move(future)),
        block_size_(static_cast<u32>(block_size)) {
    future_.handle().promise().task = this;
  }

 private:
  template <typename U> friend class async::JoinHandle;

  void finish_future(bool cancelled) override {
    if (!cancelled) {
      if constexpr (support::kIsSame<T, void>) {
        value_ = Unit{};
      } else {
        value_ = support::move(*future_.handle().promise().value);
      }
    }
    future_.reset();
  }
  void free_record() override {
    Allocator& allocator = allocator_;
    usize block_size = block_size_;
    this->~SpawnedTask();  // a frame still alive is destroyed here, its block kept for below
    deallocate_block(allocator, this, block_size != 0 ? block_size : sizeof(SpawnedTask));
  }

  Allocator& allocator_;
  Task<T> future_;
  u32 block_size_;
  support::Optional<typename StoredValue<T>::Type> value_;
};

}  // namespace detail

template <typename T> class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() = default;
  explicit JoinHandle(detail::SpawnedTask<T>* task) : task_(task) {}
  JoinHandle(JoinHandle&& other) : task_(other.task_) { other.task_ = nullptr; }
  JoinHandle& operator=(JoinHandle&& other) {
    if (this != &other) {
      detach();
      task_ = other.task_;
      other.task_ = nullptr;
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { detach(); }

  bool valid() const { return task_ != nullptr; }

  // Lets the task run on without anyone to join it.
  void detach() {
    if (task_ != nullptr) task_->unref();
    task_ = nullptr;
  }

  // Stops the task at its next suspension point (before its first poll if it has not run yet):
  // its frames are destroyed on the worker that owns it, running their destructors, and the join
  // reports Error::Cancelled. No effect on a task that has finished. Does not wait; await the
  // handle to know that the destructors have run. Safe from any thread; takes no lock.
  void cancel() {
    if (task_ != nullptr) task_->cancel();
  }

  bool is_finished() const { return task_ != nullptr && task_->is_complete(); }

  // True when the task has finished; otherwise arranges for `waker` to be woken when it does
  // (replacing the waker of an earlier poll). Takes the task's join lock (never an interrupt's).
  bool poll_finished(Waker waker) {
    if (task_->is_complete()) return true;
    return task_->poll_join(waker);
  }

  // The task's value, or Error::Cancelled. Only after is_finished(); moves the value out (once).
  support::Result<T, Error> take_result() {
    if (task_->was_cancelled()) return Error::Cancelled;
    if constexpr (support::kIsSame<T, void>) {
      return {};
    } else {
      return support::move(*task_->value_);
    }
  }

  class Awaiter : public Leaf<Awaiter> {
   public:
    explicit Awaiter(JoinHandle& handle) : handle_(handle) {}
    bool poll(TaskHeader& task) {
      if (handle_.is_finished()) return true;
      return handle_.poll_finished(task.waker());
    }
    support::Result<T, Error> await_resume() { return handle_.take_result(); }

   private:
    JoinHandle& handle_;
  };
  Awaiter operator co_await() & { return Awaiter(*this); }
  Awaiter operator co_await() && { return Awaiter(*this); }

 private:
  detail::SpawnedTask<T>* task_ = nullptr;
};

}  // namespace async
