// Executor: the multi-core work-stealing scheduler of Tasks.
//
// One worker per CPU (hart in the kernel, thread on the host) calls run(worker). Each worker owns
// an intrusive MPSC run queue; tasks spawned on a worker go to its queue, tasks spawned from
// outside any worker to the global injector. A worker polls its queue (at most kTickBudget
// polls per tick, looking at the injector every 61st poll for fairness); when its queue is empty
// it takes a batch from the injector, then steals half of another worker's queue (random start,
// a few rounds with backoff), then tries the injector again, and only then sleeps through the
// Platform's idle protocol. A task woken on a worker (by a task or an interrupt handler there)
// joins that worker's queue (or, from a running task, its LIFO slot); one woken from outside goes
// back to the worker that last ran it. A task queued behind a running poll wakes a sleeper to
// steal it, and a task left in the LIFO slot of a worker whose poll runs long is taken by a
// worker that goes idle meanwhile (see idle()).
//
// Lock order (outer first): an owned-task shard -> (nothing); timer lock -> (nothing); a run
// queue's consumer lock -> (nothing); a task's join lock -> (nothing). Wakers take no lock at all.
// No lock is held while a task is polled.
#pragma once

#include <async/join_handle.h>
#include <async/mpsc_queue.h>
#include <async/platform.h>
#include <async/task.h>
#include <async/timer_wheel.h>
#include <support/atomic.h>
#include <support/intrusive_list.h>
#include <support/new.h>
#include <support/spinlock.h>

#ifndef WARDEN_ASYNC_COUNTERS
#define WARDEN_ASYNC_COUNTERS 1
#endif

namespace async {

// Scheduler statistics (all zero when WARDEN_ASYNC_COUNTERS is 0).
struct Counters {
  u64 polled = 0;         // polls of a task
  u64 completed = 0;      // tasks finished or cancelled
  u64 spawned = 0;        // successful spawns
  u64 woken_inside = 0;   // wakes issued on a worker (from a poll, or its interrupt handlers)
  u64 woken_outside = 0;  // wakes issued from outside any worker
  u64 stolen = 0;         // tasks moved to this worker from another worker's queue
  u64 lifo = 0;           // tasks spawned or woken into this worker's LIFO slot (not its queue)
  u64 lifo_stolen = 0;    // tasks this worker took from the LIFO slot of a worker stuck in a poll
  u64 wakeups = 0;        // sleeping workers woken (a futex wake, an IPI): executor-wide only
};

class Executor {
 public:
  static constexpr u32 kMaxWorkers = 64;
  static constexpr u32 kTickBudget = 256;
  static constexpr u32 kStealRounds = 3;
  static constexpr u32 kInjectorBatch = 32;
  // Rounds of cpu_relax() an idle worker spins, watching the queues, before it parks (about ten
  // microseconds): cheaper than the futex wake or IPI a producer would need to wake it.
  static constexpr u32 kIdleSpins = 256;
  // Polls in a row a worker may take from its LIFO slot before that task goes to the back of its
  // queue (the fairness rule: two tasks waking each other cannot starve the queue).
  static constexpr u32 kMaxLifoPolls = 3;

  // `workers` is between 1 and kMaxWorkers. Allocates nothing.
  Executor(Platform& platform, u32 workers);
  // Closes the executor; cancels every task still alive (their destructors run on the calling
  // thread) and releases the queues. No run() may still be executing.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Spawns `future` as a task. Its record comes from the default allocator (try_spawn) or
  // `allocator` (try_spawn_in): built in the room the root frame's block keeps for it when the
  // frame came from that same allocator (no allocation), else in a block of its own; that block
  // is freed with the record (when the JoinHandle is dropped, or at completion if detached), the
  // frame's destructors still run when the task finishes. On a worker the task joins that worker's
  // queue; elsewhere the injector. Fails with Error::NoMemory (the record, or the future's frame,
  // could not be allocated) or Error::Closed; on failure `future` is destroyed. Never blocks.
  template <typename T> support::Result<JoinHandle<T>, Error> try_spawn(Task<T> future) {
    return try_spawn_in(support::move(future), default_allocator());
  }
  template <typename T>
  support::Result<JoinHandle<T>, Error> try_spawn_in(Task<T> future, Allocator& allocator) {
    auto spawned = spawn_record(support::move(future), allocator, /*references=*/2);
    if (spawned.is_error()) return spawned.error();
    return JoinHandle<T>(spawned.value());
  }

  // As try_spawn / try_spawn_in, for a task nobody will join (what `try_spawn(f)` and then
  // `.detach()` do, without the JoinHandle): the task holds no reference for a handle, so the
  // spawn makes no atomic read-modify-write to drop one. The result is lost; the frame's
  // destructors still run when the task finishes.
  template <typename T> support::Result<void, Error> try_spawn_detached(Task<T> future) {
    return try_spawn_detached_in(support::move(future), default_allocator());
  }
  template <typename T>
  support::Result<void, Error> try_spawn_detached_in(Task<T> future, Allocator& allocator) {
    auto spawned = spawn_record(support::move(future), allocator, /*references=*/1);
    if (spawned.is_error()) return spawned.error();
    return {};
  }

  // Runs worker `worker` on the calling CPU until close(); then returns Error::Closed.
  support::Result<void, Error> run(u32 worker);

  // One scheduling round of worker `worker` (the caller runs as that worker: the platform's
  // current_worker() is `worker`): fires due timers, then polls at most kTickBudget tasks, looking
  // for work as run() does. Returns the number of polls. For run(), block_on and tests.
  u32 tick(u32 worker);

  // Makes every run() return Error::Closed (after the poll in progress) and refuses new spawns.
  // Tasks that were not finished stay alive until the executor is destroyed. Safe from any thread.
  void close();
  bool is_closed() const { return closed_.load() != 0; }

  u32 worker_count() const { return worker_count_; }
  Platform& platform() const { return platform_; }
  Instant now() const { return platform_.now(); }

  // Tasks queued on `worker`'s run queue / on the injector (a snapshot).
  u64 queued(u32 worker) const {
    return workers_[worker].run_queue.len.load() +
           workers_[worker].own_len.load(support::MemoryOrder::Relaxed);
  }
  u64 injector_queued() const { return injector_.len.load(); }
  // Tasks that have waited (a poll left them pending) and are not finished. A task that never
  // waited is on a queue, and one that finishes in its first poll is never counted.
  usize live_tasks();

  Counters counters() const;            // summed over workers
  Counters counters(u32 worker) const;  // one worker's (spawns from outside count on none)

  // Timers, for leaf awaitables (sleep, timeout). poll_timer: true when `entry` has fired (or its
  // deadline has passed); otherwise files it with task.waker() and returns false. cancel_timer
  // withdraws it (idempotent). `entry` must be withdrawn before it is destroyed.
  bool poll_timer(TimerEntry& entry, TaskHeader& task);
  void cancel_timer(TimerEntry& entry);

 private:
  friend class TaskHeader;

  struct CounterCells {
    // Statistics only: relaxed increments and reads, no ordering needed.
    // woken_interrupt: the wakes of woken_inside issued by interrupt handlers (read-modify-write;
    // the worker's own are counted with add_own, which an interrupt could otherwise undo).
    support::Atomic<u64> polled, completed, spawned, woken_inside, woken_interrupt, woken_outside,
        stolen, lifo, lifo_stolen, wakeups;
    void add(support::Atomic<u64>& cell, u64 n = 1) {
#if WARDEN_ASYNC_COUNTERS
      cell.fetch_add(n, support::MemoryOrder::Relaxed);
#endif
    }
    // For a cell only its own worker writes, and never from an interrupt handler (polled,
    // completed, spawned, stolen, lifo, lifo_stolen): a load and a store, no locked
    // read-modify-write.
    void add_own(support::Atomic<u64>& cell, u64 n = 1) {
#if WARDEN_ASYNC_COUNTERS
      cell.store(cell.load(support::MemoryOrder::Relaxed) + n, support::MemoryOrder::Relaxed);
#endif
    }
  };

  struct alignas(64) Worker {
    detail::RunQueue run_queue;
    support::Atomic<u32> sleeping{0};   // 1 while in the idle protocol; a waker claims it (-> 0)
    support::Atomic<u32> wake_word{0};  // the word the platform sleeps on; bumped to wake
    // The task being polled (relaxed: only this worker writes it, and others only read it as a
    // hint).
    support::Atomic<TaskHeader*> current{nullptr};
    // The task that the task being polled last woke or spawned here: polled next, without a trip
    // through the run queue (it holds the queue's reference). Only this worker's own code fills
    // it (never its interrupt handlers: Platform::in_interrupt), with a release store when it is
    // empty and an exchange when it displaces a task; the worker empties it with an exchange,
    // because an idle worker may take a task from it (rescue_lifo) when this worker stays in one
    // poll for long.
    support::Atomic<TaskHeader*> lifo{nullptr};
    u32 lifo_polls = 0;  // polls taken from `lifo` in a row
    // With one worker, the tasks it queues itself (never from an interrupt handler): a FIFO only
    // it touches, linked through QueueNode::next, in front of run_queue (which others push to).
    // No thief exists to take them and no sleeper to wake for them, so queueing one is a few
    // plain stores, not the run queue's three read-modify-writes and consumer lock.
    TaskHeader* own_head = nullptr;
    TaskHeader* own_tail = nullptr;
    support::Atomic<u64> own_len{0};  // one writer (relaxed); queued() reads it from anywhere
    u64 rng = 0;
    u32 id = 0;
    // Bumped (by this worker only, relaxed) before every poll: another worker that sees it
    // unchanged over a while knows this one has stayed in one poll.
    support::Atomic<u32> polls{0};
    CounterCells counters;
  };

  using OwnedList = support::IntrusiveList<TaskHeader, &TaskHeader::owned_node_>;

  // The record of a new task (see try_spawn_in), admitted with `references` (the run queue's,
  // and the JoinHandle's when there is one).
  template <typename T>
  support::Result<detail::SpawnedTask<T>*, Error> spawn_record(Task<T> future, Allocator& allocator,
                                                               u32 references) {
    using Record = detail::SpawnedTask<T>;
    if (!future.valid()) return Error::NoMemory;
    if (is_closed()) return Error::Closed;
    // The record goes in front of the root frame when the frame kept room for it in a block from
    // the same allocator (one allocation per task); otherwise in a block of its own.
    void* memory = nullptr;
    usize block_size = 0;
    if constexpr (alignof(Record) <= 16) {
      static_assert(sizeof(Record) <= detail::record_reserve<T>());
      memory = detail::claim_record_area(future.handle().address(), allocator, sizeof(Record),
                                         block_size);
    }
    if (memory == nullptr) memory = allocator.allocate(sizeof(Record));
    if (memory == nullptr) return Error::NoMemory;
    auto* task = new (memory) Record(*this, allocator, support::move(future), block_size);
    if (!admit(*task, references)) {
      task->unref();  // admit left one reference: destroys the frame and the record
      return Error::Closed;
    }
    return task;
  }
  bool admit(TaskHeader& task, u32 references);
  void schedule(TaskHeader& task, TaskState::Function transition = &TaskState::wake);
  void enqueue(TaskHeader& task, u32 owner);
  void enqueue_own(Worker& worker, TaskHeader& task);
  void append_own(Worker& worker, TaskHeader& task);
  void absorb_run_queue(Worker& worker);
  TaskHeader* pop_own(Worker& worker);
  void enqueue_here(TaskHeader& task, u32 here, bool in_interrupt);
  void link_owned(Worker& worker, TaskHeader& task);
  void requeue(Worker& worker, TaskHeader& task);
  void notify(u32 owner, u64 len);
  void wake_one_sleeper(u32 start);
  bool wake_if_sleeping(Worker& worker);
  void poll(Worker& worker, TaskHeader& task);
  [[nodiscard]] u32 finish(TaskHeader& task, bool cancelled, bool unlink_owned, Worker* worker);
  TaskHeader* next_task(Worker& worker);
  TaskHeader* pop_local(Worker& worker);
  TaskHeader* take_from_injector(Worker& worker);
  TaskHeader* steal(Worker& worker);
  static TaskHeader* transfer(detail::RunQueue& from, u64 limit, u32 to_id, detail::RunQueue& to,
                              u64& moved) REQUIRES(from.consumer);
  void idle(Worker& worker);
  bool rescue_lifo(Worker& worker, const u32* polls_seen);
  bool has_work() const;
  bool has_queued_work() const;
  void fire_due_timers();
  void shutdown();
  Worker* current_worker_record();

  Platform& platform_;
  const u32 worker_count_;
  support::Atomic<u32> closed_{0};
  support::Atomic<u32> sleepers_{0};
  detail::RunQueue injector_;
  CounterCells outside_counters_;
  // Every task that has waited and is not finished (each holds a reference), sharded by the
  // worker whose poll first left it waiting, so that workers do not contend (link_owned).
  static constexpr u32 kNotOwned = ~u32{0};  // TaskHeader::owned_shard_ of a task on no list
  support::Locked<OwnedList> owned_[kMaxWorkers];
  support::SpinLock timer_lock_;
  TimerWheel timers_ GUARDED_BY(timer_lock_);
  support::Atomic<Instant> next_timer_{kNever};  // timers_.next_deadline(), readable without lock
  Worker workers_[kMaxWorkers];
};

}  // namespace async
