// Task<T>: the coroutine type of Warden's asynchronous code, and TaskHeader, the record of a
// spawned task that the executor schedules.
//
// A Task<T> is lazy: calling a coroutine function allocates its frame (from the default
// allocator, or from an Allocator passed as its first argument) and runs nothing. It runs when
// awaited from another task (`T value = co_await child();`, which is a plain call: no scheduling)
// or when spawned on an Executor (see executor.h). If the frame cannot be allocated the Task is
// invalid (`!task.valid()`): spawning it reports Error::NoMemory; awaiting it yields
// Error::NoMemory when T is constructible from async::Error (e.g. Result<U, async::Error>), and
// otherwise stops the system through support_must_failed (a missed check is a bug).
//
// Suspension happens only at "leaf" awaitables (Leaf<Derived>, below): sleep, a mutex, a channel,
// a join handle ... A leaf registers the task's waker and is polled again when the task is woken;
// only when its poll() says ready is the coroutine resumed. So a spurious wake-up costs a poll and
// never resumes a coroutine whose operation has not completed.
#pragma once

#include <async/block_cache.h>
#include <async/error.h>
#include <async/platform.h>
#include <async/task_state.h>
#include <async/waker.h>
#include <support/atomic.h>
#include <support/coroutine.h>
#include <support/intrusive_list.h>
#include <support/optional.h>
#include <support/result.h>
#include <support/spinlock.h>
#include <support/utility.h>

namespace async {

class Executor;
class TaskHeader;
template <typename T> class JoinHandle;

// A value for "no value" where a type is needed (select of two Task<Unit>).
struct Unit {};

namespace detail {

// A link in an intrusive MPSC run queue (mpsc_queue.h).
struct QueueNode {
  support::Atomic<QueueNode*> next{nullptr};
};

// A leaf's poll: completes the leaf's operation and returns true, or registers the task's waker
// and returns false. Runs on the worker that polls the task, with the task in the running state.
using LeafPoll = bool (*)(void* leaf, TaskHeader& task);

struct PromiseAccess;

// Coroutine frames (support.cc). A frame may be allocated with room for its task's record in the
// same block (`record_reserve` bytes in front of it): spawning it then costs one allocation, not
// two. deallocate_frame frees the block unless a record was built there (claim_record_area);
// then the record frees it when its last reference goes.
void* allocate_frame(Allocator& allocator, usize size);
inline void* allocate_frame(Allocator& allocator, usize size, usize record_reserve);
void deallocate_frame(void* frame, usize size);

// A coroutine frame is preceded by this prefix (16 bytes keep the frame 16-byte aligned) and, in
// front of it, `reserve` bytes where try_spawn can build the task's record (claim_record_area):
//   block: [record area: reserve bytes][FramePrefix][frame: size bytes]
// With the record inside, deleting the frame leaves the block allocated, and the record frees
// the whole block when its last reference goes (SpawnedTask::free_record).
struct FramePrefix {
  Allocator* allocator;  // where the block came from
  u32 block_size;        // reserve + prefix + frame
  u16 reserve;
  u8 record_inside;  // set by claim_record_area before the task is published; read after
  u8 tag;            // kFrameTag: a frame of ours
};
constexpr usize kFramePrefix = sizeof(FramePrefix);
static_assert(kFramePrefix % 16 == 0);
constexpr u8 kFrameTag = 0xA5;

inline FramePrefix& prefix_of(void* frame) {
  return *reinterpret_cast<FramePrefix*>(static_cast<u8*>(frame) - kFramePrefix);
}

// For try_spawn: the record area of `frame` when it was allocated by this library from
// `allocator` with at least `record_size` bytes reserved (16-byte aligned); `block_size` receives
// the size of the whole block, which the record must then deallocate. Else nullptr.
inline void* claim_record_area(void* frame, Allocator& allocator, usize record_size,
                               usize& block_size) {
  FramePrefix& prefix = prefix_of(frame);
  if (prefix.tag != kFrameTag || prefix.allocator != &allocator || prefix.reserve < record_size) {
    return nullptr;
  }
  prefix.record_inside = 1;
  block_size = prefix.block_size;
  return static_cast<u8*>(frame) - kFramePrefix - prefix.reserve;
}
// allocator.allocate / allocator.deallocate, without a virtual call for the default allocator
// (whose common case then inlines: block_cache.h).
inline void* allocate_block(Allocator& allocator, usize size) {
  if (&allocator == &default_allocator()) return default_allocate(size);
  return allocator.allocate(size);
}
inline void deallocate_block(Allocator& allocator, void* block, usize size) {
  if (&allocator == &default_allocator()) {
    default_deallocate(block, size);
  } else {
    allocator.deallocate(block, size);
  }
}

// A frame of `size` bytes in a block from `allocator`, with `record_reserve` bytes (rounded up
// to 16) in front of its prefix, or nullptr. Inline: a coroutine's ramp passes constants, and
// from the default allocator the common case is a few loads and stores.
inline void* allocate_frame(Allocator& allocator, usize size, usize record_reserve) {
  usize reserve = support::align_up(record_reserve, 16);
  usize block_size = reserve + kFramePrefix + size;
  if (reserve > 0xFFFF || block_size > 0xFFFFFFFFu) return nullptr;
  void* block = allocate_block(allocator, block_size);
  if (block == nullptr) return nullptr;
  void* frame = static_cast<u8*>(block) + reserve + kFramePrefix;
  FramePrefix& prefix = prefix_of(frame);
  prefix.allocator = &allocator;
  prefix.block_size = static_cast<u32>(block_size);
  prefix.reserve = static_cast<u16>(reserve);
  prefix.record_inside = 0;
  prefix.tag = kFrameTag;
  return frame;
}

template <typename T> struct StoredValue {
  using Type = T;
};
template <> struct StoredValue<void> {
  using Type = Unit;
};

}  // namespace detail

// The record of a spawned task. Shared by the executor's queues, its wakers and its JoinHandle
// through a reference count; the coroutine frames it runs are destroyed when it finishes (or is
// cancelled), the record when the last reference goes.
class TaskHeader : public detail::QueueNode {
 public:
  TaskHeader(const TaskHeader&) = delete;
  TaskHeader& operator=(const TaskHeader&) = delete;

  // A new waker for this task (one more reference).
  Waker waker();
  // Makes the task runnable (or, if it is running, polled again once this poll ends).
  void wake_by_ref();
  // Asks the task to stop at its next suspension point; see JoinHandle::cancel.
  void cancel();

  bool is_complete() const { return (state_.load() & TaskState::kComplete) != 0; }
  Executor& executor() const { return *executor_; }

  // For leaf awaitables (Leaf<Derived>): where to resume the task and what to poll before.
  void set_leaf(std::coroutine_handle<> resume_point, detail::LeafPoll poll, void* leaf) {
    resume_point_ = resume_point;
    leaf_poll_ = poll;
    leaf_ = leaf;
  }
  void clear_leaf() { leaf_poll_ = nullptr; }

  void ref() { refs_.fetch_add(1); }
  void unref() { unref(1); }
  // Drops `count` references at once (one atomic operation instead of `count`; none when they are
  // the last: see held_alone).
  void unref(u32 count) {
    if (held_alone(count) || refs_.fetch_sub(count) == count) free_record();
  }
  // True when the caller's `count` references are all there are: then no other thread can reach
  // the task (a new reference is only made from an existing one), and the caller may change it
  // without atomic read-modify-writes. Acquire: what the holders of the other references did
  // happens-before (they dropped them with a release).
  bool held_alone(u32 count) const { return refs_.load(support::MemoryOrder::Acquire) == count; }

 protected:
  TaskHeader(Executor& executor, std::coroutine_handle<> root)
      : resume_point_(root), executor_(&executor) {}
  virtual ~TaskHeader() = default;

  // Moves the result out of the root frame (unless cancelled) and destroys the frames, which
  // runs the destructors of everything the task held.
  virtual void finish_future(bool cancelled) = 0;
  // Destroys and deallocates this record.
  virtual void free_record() = 0;

  bool was_cancelled() const { return cancelled_; }

 private:
  friend class Executor;
  friend struct detail::PromiseAccess;
  template <typename T> friend class JoinHandle;

  // True when finished (the caller must have seen is_complete()); else stores `waker`, to be
  // woken when the task finishes. Takes join_lock_.
  bool poll_join(Waker& waker);

  // Ordered so that the record has no padding (it is built in every spawned frame's block).
  TaskState state_;  // every transition goes through TaskState (task_state.h)
  support::Atomic<u32> refs_{0};
  support::Atomic<u32> owner_{kNoWorker};  // the worker whose queue the task goes back to
  u32 owned_shard_ = ~u32{0};              // which of those lists (none: ~0)
  support::IntrusiveNode owned_node_;      // on the executor's list of live tasks
  std::coroutine_handle<> resume_point_;
  detail::LeafPoll leaf_poll_ = nullptr;
  void* leaf_ = nullptr;
  Executor* executor_;
  support::SpinLock join_lock_;  // never taken from an interrupt
  bool root_done_ = false;       // the root coroutine reached its final suspend
  bool cancelled_ = false;       // outcome, published by kComplete
  Waker join_waker_ GUARDED_BY(join_lock_);
};

namespace detail {

// The room a Task<T>'s frame keeps for the record of the task it may become (SpawnedTask<T> in
// join_handle.h: the header, the allocator, the root Task, the block size and the value);
// try_spawn checks that the record fits. Awaited (never spawned) frames carry it unused.
template <typename T> constexpr usize record_reserve() {
  using Value = support::Optional<typename StoredValue<T>::Type>;
  usize fields = sizeof(TaskHeader) + 2 * sizeof(void*) + sizeof(u32);
  usize size = (fields + alignof(Value) - 1) / alignof(Value) * alignof(Value) + sizeof(Value);
  return (size + 15) / 16 * 16;
}

struct PromiseAccess {
  static void mark_root_done(TaskHeader& task) { task.root_done_ = true; }
};

template <typename T> T frame_allocation_failed() {
  if constexpr (requires { T(Error::NoMemory); }) {
    return T(Error::NoMemory);
  } else {
    support_must_failed("co_await of a Task whose frame allocation failed", __FILE__, __LINE__);
  }
}

struct PromiseBase {
  TaskHeader* task = nullptr;            // the spawned task this frame runs in
  std::coroutine_handle<> continuation;  // the awaiting frame; none for a task's root

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) noexcept {
      PromiseBase& promise = self.promise();
      if (promise.continuation) return promise.continuation;
      PromiseAccess::mark_root_done(*promise.task);
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() {
    support_must_failed("exception escaped an async::Task", __FILE__, __LINE__);
  }

  static void* operator new(usize size) noexcept {
    return allocate_frame(default_allocator(), size);
  }
  // A coroutine whose first parameter is an Allocator& takes its frame from it.
  template <typename... Args>
  static void* operator new(usize size, Allocator& allocator, Args&...) noexcept {
    return allocate_frame(allocator, size);
  }
  static void operator delete(void* frame, usize size) noexcept {
    // A root frame with its task's record in the block: the record frees the block later.
    if (prefix_of(frame).record_inside != 0) return;
    deallocate_frame(frame, size);
  }
};

template <typename T> struct ReturnValue {
  support::Optional<T> value;
  template <typename U> void return_value(U&& result) { value = T(support::forward<U>(result)); }
};
template <> struct ReturnValue<void> {
  void return_void() {}
};

}  // namespace detail

template <typename T = void> class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase, detail::ReturnValue<T> {
    Task get_return_object() { return Task(Handle::from_promise(*this)); }
    static Task get_return_object_on_allocation_failure() { return Task(); }

    // As PromiseBase's, with room for the task's record in front of the frame (see
    // detail::allocate_frame); PromiseBase's operator delete frees both.
    static void* operator new(usize size) noexcept {
      return detail::allocate_frame(default_allocator(), size, detail::record_reserve<T>());
    }
    template <typename... Args>
    static void* operator new(usize size, Allocator& allocator, Args&...) noexcept {
      return detail::allocate_frame(allocator, size, detail::record_reserve<T>());
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  Task(Task&& other) : handle_(other.handle_) { other.handle_ = nullptr; }
  Task& operator=(Task&& other) {
    if (this != &other) {
      reset();
      handle_ = other.handle_;
      other.handle_ = nullptr;
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  // False when the frame could not be allocated.
  bool valid() const { return static_cast<bool>(handle_); }
  Handle handle() const { return handle_; }
  // Destroys the frame (and, through their Task objects, every frame it awaits).
  void reset() {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
  }

  struct Awaiter {
    Handle handle;
    bool await_ready() { return !handle; }
    template <typename P> std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) {
      handle.promise().task = parent.promise().task;
      handle.promise().continuation = parent;
      return handle;
    }
    T await_resume() {
      if (!handle) return detail::frame_allocation_failed<T>();
      if constexpr (!support::kIsSame<T, void>) return support::move(*handle.promise().value);
    }
  };
  Awaiter operator co_await() && { return Awaiter{handle_}; }
  Awaiter operator co_await() & { return Awaiter{handle_}; }

 private:
  explicit Task(Handle handle) : handle_(handle) {}
  Handle handle_;
};

// Base of every suspending awaitable. Derived provides `bool poll(TaskHeader& task)` (complete
// the operation, or register task.waker() and return false) and `await_resume()`; its destructor
// must withdraw any registration (it runs when the task is cancelled while suspended here).
template <typename Derived> class Leaf {
 public:
  bool await_ready() { return false; }
  template <typename P> bool await_suspend(std::coroutine_handle<P> self) {
    TaskHeader& task = *self.promise().task;
    task.set_leaf(self, &Leaf::poll_leaf, static_cast<Derived*>(this));
    if (static_cast<Derived*>(this)->poll(task)) {
      task.clear_leaf();
      return false;
    }
    return true;
  }

 private:
  static bool poll_leaf(void* leaf, TaskHeader& task) {
    return static_cast<Derived*>(leaf)->poll(task);
  }
};

// `Executor& ex = co_await current_executor();` (does not suspend).
struct CurrentExecutor {
  Executor* executor = nullptr;
  bool await_ready() { return false; }
  template <typename P> bool await_suspend(std::coroutine_handle<P> self) {
    executor = &self.promise().task->executor();
    return false;
  }
  Executor& await_resume() { return *executor; }
};
inline CurrentExecutor current_executor() { return {}; }

// `TaskHeader& me = co_await current_task();` (does not suspend).
struct CurrentTask {
  TaskHeader* task = nullptr;
  bool await_ready() { return false; }
  template <typename P> bool await_suspend(std::coroutine_handle<P> self) {
    task = self.promise().task;
    return false;
  }
  TaskHeader& await_resume() { return *task; }
};
inline CurrentTask current_task() { return {}; }

}  // namespace async
