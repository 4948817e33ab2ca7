// The scheduler: task states, run queues, stealing, the idle protocol, timers. The state machine
// and the idle protocol are described in docs/executor.md; every atomic here is sequentially
// consistent unless a comment says otherwise. The weaker ones: a new task's fields (published by
// the run queue's release push and the owned list's lock), owner_ (written only by whoever holds
// the task's kScheduled bit, before the push that publishes it), worker.current and
// worker.polls (written by their worker only; others read them as hints), the LIFO slot
// (release/acquire: it hands a task over like a queue) and the statistics counters.
#include <async/executor.h>

namespace async {

namespace {

using Action = TaskState::Action;

TaskHeader& header_of(void* data) { return *static_cast<TaskHeader*>(data); }

void waker_clone(void* data) { header_of(data).ref(); }
void waker_wake(void* data) {
  header_of(data).wake_by_ref();
  header_of(data).unref();
}
void waker_wake_by_ref(void* data) { header_of(data).wake_by_ref(); }
void waker_drop(void* data) { header_of(data).unref(); }

constexpr WakerVTable kTaskWakerVTable = {waker_clone, waker_wake, waker_wake_by_ref, waker_drop};

u64 xorshift(u64& state) {
  u64 x = state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  state = x;
  return x;
}

// A counter's value for the statistics (Relaxed: counters order nothing).
u64 counter(const support::Atomic<u64>& cell) { return cell.load(support::MemoryOrder::Relaxed); }

}  // namespace

// ---- TaskHeader ------------------------------------------------------------------------------

Waker TaskHeader::waker() {
  ref();
  return Waker(&kTaskWakerVTable, this);
}

void TaskHeader::wake_by_ref() { executor_->schedule(*this); }

void TaskHeader::cancel() { executor_->schedule(*this, &TaskState::cancel); }

bool TaskHeader::poll_join(Waker& waker) {
  Waker stale;  // dropped after the lock is released
  {
    support::LockGuard guard(join_lock_);
    if (is_complete()) return true;
    join_waker_ = support::move(waker);
    // finish() publishes kComplete with one read-modify-write of state_ and takes the join lock
    // only if kJoinWaiting was set before it. So either it sees the bit (and then waits for this
    // lock and takes the waker), or we see kComplete here and take the waker back.
    if (state_.apply(&TaskState::join_wait) != Action::Finished) return false;
    stale = support::move(join_waker_);
  }
  return true;
}

// ---- Executor: spawning and waking ------------------------------------------------------------

Executor::Executor(Platform& platform, u32 workers) : platform_(platform), worker_count_(workers) {
  if (workers == 0 || workers > kMaxWorkers) {
    support_must_failed("Executor: worker count out of range", __FILE__, __LINE__);
  }
  for (u32 i = 0; i < kMaxWorkers; ++i) {
    workers_[i].id = i;
    workers_[i].rng = 0x9E3779B97F4A7C15ull * (i + 1);
  }
}

Executor::~Executor() {
  close();
  shutdown();
}

// A new task goes on a queue only: it joins the owned list (link_owned) when a poll first leaves
// it waiting, so a task that finishes in its first poll (most short tasks) never takes a shard
// lock. Until then a queue or LIFO slot holds it, where shutdown() finds it.
bool Executor::admit(TaskHeader& task, u32 references) {
  // References: the run queue's, and the JoinHandle's if there is one. Nobody else can see the
  // task yet: the run queue's release push publishes these stores.
  task.refs_.store(references, support::MemoryOrder::Relaxed);
  task.state_.reset(TaskState::kScheduled);
  task.owned_shard_ = kNotOwned;
  if (is_closed()) {
    task.refs_.store(1, support::MemoryOrder::Relaxed);
    return false;
  }
  Platform::Here here = platform_.here();
  u32 worker = here.worker < worker_count_ ? here.worker : kNoWorker;
  if (worker == kNoWorker) {
    outside_counters_.add(outside_counters_.spawned);
  } else {
    workers_[worker].counters.add_own(workers_[worker].counters.spawned);
  }
  task.owner_.store(worker, support::MemoryOrder::Relaxed);
  enqueue_here(task, worker, here.in_interrupt);
  return true;
}

// A wake (TaskState::wake) or a cancel (TaskState::cancel): queues the task when the transition
// says so (+1 reference for the queue); a running task is polled again by its worker.
void Executor::schedule(TaskHeader& task, TaskState::Function transition) {
  Action action = task.state_.apply(transition);
  if (action == Action::None) return;
  Platform::Here where = platform_.here();
  u32 here = where.worker;
  if (here < worker_count_) {
    CounterCells& cells = workers_[here].counters;
    if (where.in_interrupt) {
      cells.add(cells.woken_interrupt);
    } else {
      cells.add_own(cells.woken_inside);
    }
  } else {
    outside_counters_.add(outside_counters_.woken_outside);
  }
  if (action == Action::Notified) return;  // the running worker will re-queue it
  task.ref();
  // A wake issued on a worker (a task of its own, or its interrupt handlers) moves the task to
  // that worker's queue: the waker is running, so the task runs soon and nobody is woken out of
  // a sleep for it (two tasks talking to each other end up on one worker). A wake from outside
  // sends it back to the worker that last ran it. We hold the task's kScheduled bit, so nobody
  // else reads or writes owner_ until the push below publishes it (hence relaxed).
  if (here < worker_count_) {
    task.owner_.store(here, support::MemoryOrder::Relaxed);
    enqueue_here(task, here, where.in_interrupt);
  } else {
    enqueue(task, task.owner_.load(support::MemoryOrder::Relaxed));
  }
}

// Queues a task spawned or woken on worker `here` (or from outside: kNoWorker). While `here` is
// polling a task, the new task takes its LIFO slot (and the one it displaces goes to the queue):
// it is polled as soon as the current poll ends. Otherwise (outside a poll: tests, tick()'s
// callers, an idle hart's interrupt) it joins the queue, so the idle protocol sees it.
// The current poll may go on for long (a program's slice, a task that spins): a task displaced
// to the queue then wakes a sleeper to steal it (notify), and one left in the slot is taken by a
// worker that goes idle meanwhile (idle(), rescue_lifo).
[[gnu::always_inline]] inline void Executor::enqueue_here(TaskHeader& task, u32 here,
                                                          bool in_interrupt) {
  if (here == kNoWorker) {
    enqueue(task, here);
    return;
  }
  Worker& worker = workers_[here];
  if (in_interrupt) {
    enqueue(task, here);
    return;
  }
  if (worker.current.load(support::MemoryOrder::Relaxed) == nullptr) {
    enqueue_own(worker, task);
    return;
  }
  worker.counters.add_own(worker.counters.lifo);
  // Only this worker fills the slot, but an idle worker may empty it at any time (rescue_lifo):
  // a store into an empty slot, an exchange to displace a task (which may have just gone). With
  // one worker nobody else empties it: a load and a store.
  TaskHeader* displaced = worker.lifo.load(support::MemoryOrder::Relaxed);
  if (displaced == nullptr || worker_count_ == 1) {
    worker.lifo.store(&task, support::MemoryOrder::Release);
  } else {
    displaced = worker.lifo.exchange(&task, support::MemoryOrder::AcqRel);
  }
  if (displaced != nullptr)
    enqueue_own(worker, *displaced);  // notify() wakes a sleeper to steal it
}

void Executor::enqueue(TaskHeader& task, u32 owner) {
  detail::RunQueue& queue = owner == kNoWorker ? injector_ : workers_[owner].run_queue;
  u64 len = queue.len.fetch_add(1) + 1;
  queue.queue.push(task);
  notify(owner, len);
}

// A task that `worker` queues for itself, outside interrupt handlers (a spawn, a wake, a task
// displaced from its LIFO slot or done with its turn there, a yield). With one worker it goes on
// the worker's own FIFO; otherwise on its run queue, where thieves can take it.
void Executor::enqueue_own(Worker& worker, TaskHeader& task) {
  if (worker_count_ != 1) {
    enqueue(task, worker.id);
    return;
  }
  // Tasks that others pushed on the run queue meanwhile go first: one queue, in arrival order.
  if (worker.run_queue.len.load(support::MemoryOrder::Relaxed) != 0) absorb_run_queue(worker);
  append_own(worker, task);
}

[[gnu::always_inline]] inline void Executor::append_own(Worker& worker, TaskHeader& task) {
  task.next.store(nullptr, support::MemoryOrder::Relaxed);
  if (worker.own_tail == nullptr) {
    worker.own_head = &task;
  } else {
    worker.own_tail->next.store(&task, support::MemoryOrder::Relaxed);
  }
  worker.own_tail = &task;
  worker.own_len.store(worker.own_len.load(support::MemoryOrder::Relaxed) + 1,
                       support::MemoryOrder::Relaxed);
}

// Moves what others pushed on the run queue of the only worker to the back of its own FIFO.
void Executor::absorb_run_queue(Worker& worker) {
  detail::RunQueue& queue = worker.run_queue;
  support::LockGuard guard(queue.consumer);
  u64 moved = 0;
  while (detail::QueueNode* node = queue.queue.pop()) {
    append_own(worker, *static_cast<TaskHeader*>(node));
    ++moved;
  }
  if (moved != 0) queue.len.fetch_sub(moved);
}

// The next task of the only worker: the run queue's tasks join the back of its own FIFO first,
// so that the two make one queue in the order the worker saw them arrive and neither starves.
[[gnu::always_inline]] inline TaskHeader* Executor::pop_own(Worker& worker) {
  if (worker.run_queue.len.load() != 0) absorb_run_queue(worker);
  TaskHeader* task = worker.own_head;
  if (task == nullptr) return nullptr;
  worker.own_head = static_cast<TaskHeader*>(task->next.load(support::MemoryOrder::Relaxed));
  if (worker.own_head == nullptr) worker.own_tail = nullptr;
  worker.own_len.store(worker.own_len.load(support::MemoryOrder::Relaxed) - 1,
                       support::MemoryOrder::Relaxed);
  return task;
}

// The waking half of the idle protocol. A worker going to sleep first sets `sleeping`, counts
// itself in sleepers_ and then looks at every queue; a producer first counts its task in `len`,
// pushes it, and then looks at sleepers_. With sequentially consistent operations at least one
// of the two sees the other: the worker finds the task, or the producer finds the sleeper.
//
// When the owner is awake, a task is left to it alone only when it is the only one queued and the
// owner queued it itself between polls (it is about to look at its queue). Queued behind a poll
// that is running (which may last: a program's slice, a task that spins), from an interrupt
// handler during such a poll, or from elsewhere, it wakes a sleeper to steal it: work must not
// wait on a busy worker while others sleep.
void Executor::notify(u32 owner, u64 len) {
  if (sleepers_.load() == 0) return;
  if (owner != kNoWorker) {
    if (wake_if_sleeping(workers_[owner])) return;
    if (len <= 1 && platform_.current_worker() == owner &&
        workers_[owner].current.load(support::MemoryOrder::Relaxed) == nullptr) {
      return;
    }
  }
  wake_one_sleeper(owner == kNoWorker ? 0 : owner + 1);
}

// Wakes one sleeping worker, looking from worker `start` (modulo the count) on.
void Executor::wake_one_sleeper(u32 start) {
  for (u32 i = 0; i < worker_count_; ++i) {
    if (wake_if_sleeping(workers_[(start + i) % worker_count_])) return;
  }
}

bool Executor::wake_if_sleeping(Worker& worker) {
  u32 expected = 1;
  if (worker.sleeping.load() != 1 || !worker.sleeping.compare_exchange(expected, 0)) return false;
  worker.wake_word.fetch_add(1);
  platform_.wake(worker.id, worker.wake_word.raw());
  outside_counters_.add(outside_counters_.wakeups);  // rare: a read-modify-write is fine here
  return true;
}

void Executor::close() {
  closed_.store(1);
  for (u32 i = 0; i < worker_count_; ++i) {
    workers_[i].wake_word.fetch_add(1);
    platform_.wake(i, workers_[i].wake_word.raw());
  }
}

// ---- Executor: running ------------------------------------------------------------------------

support::Result<void, Error> Executor::run(u32 id) {
  if (id >= worker_count_) support_must_failed("Executor::run: no such worker", __FILE__, __LINE__);
  platform_.set_current_worker(id);
  Worker& worker = workers_[id];
  while (!is_closed()) {
    if (tick(id) > 0) continue;
    idle(worker);
  }
  platform_.set_current_worker(kNoWorker);
  return Error::Closed;
}

u32 Executor::tick(u32 id) {
  Worker& worker = workers_[id];
  fire_due_timers();
  u32 polls = 0;
  while (polls < kTickBudget && !is_closed()) {
    TaskHeader* task = next_task(worker);
    if (task == nullptr) break;
    poll(worker, *task);
    ++polls;
  }
  return polls;
}

// The sleeping half of the idle protocol (see notify()). First a brief spin that only reads the
// queue lengths: a producer that finds no sleeper makes no system call, so a worker that keeps
// up with its producers (work arriving every few hundred nanoseconds) does not park at all.
//
// Then the LIFO slots: a task in the slot of a worker whose poll count has not moved over the
// spin waits behind a poll that has lasted at least that long and may go on (a program's slice,
// a task that spins); this worker takes it (rescue_lifo). A worker already asleep is not woken
// for such a task (see docs/executor.md, "A busy worker holds no woken task").
void Executor::idle(Worker& worker) {
  u32 polls_seen[kMaxWorkers];
  for (u32 i = 0; i < worker_count_; ++i) {
    polls_seen[i] = workers_[i].polls.load(support::MemoryOrder::Relaxed);
  }
  for (u32 spin = 0; spin < kIdleSpins && !is_closed(); ++spin) {
    if (has_queued_work()) return;
    support::cpu_relax();
  }
  if (rescue_lifo(worker, polls_seen)) return;
  u32 epoch = worker.wake_word.load();
  worker.sleeping.store(1);
  sleepers_.fetch_add(1);
  if (!is_closed() && !has_work()) {
    platform_.sleep(worker.id, worker.wake_word.raw(), epoch, next_timer_.load());
  }
  worker.sleeping.store(0);
  sleepers_.fetch_sub(1);
}

// Takes the task in the LIFO slot of a worker that has stayed in one poll since `polls_seen` was
// read, onto this worker's queue. The compare-and-swap is what makes the task ours: the owner
// empties its slot with an exchange, so exactly one of us gets it.
bool Executor::rescue_lifo(Worker& worker, const u32* polls_seen) {
  for (u32 i = 0; i < worker_count_; ++i) {
    Worker& victim = workers_[i];
    if (&victim == &worker) continue;
    TaskHeader* task = victim.lifo.load(support::MemoryOrder::Acquire);
    if (task == nullptr || victim.polls.load(support::MemoryOrder::Relaxed) != polls_seen[i]) {
      continue;
    }
    if (!victim.lifo.compare_exchange(task, nullptr, support::MemoryOrder::AcqRel)) continue;
    // We hold the slot's reference and the task's kScheduled bit: its owner is ours to change.
    task->owner_.store(worker.id, support::MemoryOrder::Relaxed);
    worker.counters.add_own(worker.counters.lifo_stolen);
    enqueue(*task, worker.id);
    return true;
  }
  return false;
}

bool Executor::has_queued_work() const {
  if (injector_.len.load() != 0) return true;
  for (u32 i = 0; i < worker_count_; ++i) {
    if (workers_[i].run_queue.len.load() != 0) return true;
  }
  // With one worker, only that worker calls this: its own FIFO is its to read.
  return worker_count_ == 1 && workers_[0].own_head != nullptr;
}

bool Executor::has_work() const {
  return has_queued_work() || next_timer_.load() <= platform_.now();
}

TaskHeader* Executor::next_task(Worker& worker) {
  TaskHeader* task = nullptr;
  u32 polls = worker.polls.load(support::MemoryOrder::Relaxed) + 1;
  worker.polls.store(polls, support::MemoryOrder::Relaxed);
  if (polls % 61 == 0) task = take_from_injector(worker);
  if (task == nullptr && worker.lifo.load(support::MemoryOrder::Relaxed) != nullptr) {
    // An exchange: another worker may take the task meanwhile (rescue_lifo). With no other
    // worker, a load and a store (the locked instruction is most of the cost of a LIFO poll).
    if (worker_count_ == 1) {
      task = worker.lifo.load(support::MemoryOrder::Relaxed);
      worker.lifo.store(nullptr, support::MemoryOrder::Relaxed);
    } else {
      task = worker.lifo.exchange(nullptr, support::MemoryOrder::Acquire);
    }
    if (task != nullptr && worker.lifo_polls >= kMaxLifoPolls) {
      enqueue_own(worker, *task);  // its turn is over: to the back of the queue
      task = nullptr;
    }
    if (task != nullptr) {
      ++worker.lifo_polls;
      return task;
    }
  }
  worker.lifo_polls = 0;
  if (task == nullptr) task = pop_local(worker);
  if (task == nullptr) task = take_from_injector(worker);
  if (task == nullptr) task = steal(worker);
  if (task == nullptr) task = take_from_injector(worker);
  return task;
}

[[gnu::always_inline]] inline TaskHeader* Executor::pop_local(Worker& worker) {
  if (worker_count_ == 1) return pop_own(worker);
  detail::RunQueue& queue = worker.run_queue;
  if (queue.len.load() == 0) return nullptr;
  support::LockGuard guard(queue.consumer);
  detail::QueueNode* node = queue.queue.pop();
  if (node == nullptr) return nullptr;
  queue.len.fetch_sub(1);
  return static_cast<TaskHeader*>(node);
}

// Moves up to `limit` tasks from `from` (whose consumer lock the caller holds) to `worker`'s
// queue, returning the first one (to be polled at once) and counting the moves in `moved`. The
// rest go over as one chain: one push and one update of each length for the whole batch. A
// popped node's link is ours to reuse: pop() only returns a node a producer has linked past.
TaskHeader* Executor::transfer(detail::RunQueue& from, u64 limit, u32 to_id, detail::RunQueue& to,
                               u64& moved) {
  TaskHeader* first = nullptr;
  detail::QueueNode* chain_first = nullptr;
  detail::QueueNode* chain_last = nullptr;
  moved = 0;
  for (u64 i = 0; i < limit; ++i) {
    detail::QueueNode* node = from.queue.pop();
    if (node == nullptr) break;
    auto* task = static_cast<TaskHeader*>(node);
    // The task is scheduled (not running, nobody else enqueues it): its owner can change.
    task->owner_.store(to_id, support::MemoryOrder::Relaxed);
    if (first == nullptr) {
      first = task;
    } else if (chain_first == nullptr) {
      chain_first = chain_last = node;
    } else {
      chain_last->next.store(node, support::MemoryOrder::Relaxed);
      chain_last = node;
    }
    ++moved;
  }
  // `from.len` counted these tasks until now (it may only ever count too many, never too few).
  if (moved != 0) from.len.fetch_sub(moved);
  if (chain_first != nullptr) {
    to.len.fetch_add(moved - 1);  // counted before the push, as enqueue() does
    to.queue.push_chain(*chain_first, *chain_last);
  }
  return first;
}

TaskHeader* Executor::take_from_injector(Worker& worker) {
  if (injector_.len.load() == 0) return nullptr;
  if (!injector_.consumer.try_lock()) return nullptr;
  u64 want = support::min<u64>(injector_.len.load() / worker_count_ + 1, kInjectorBatch);
  u64 moved = 0;
  TaskHeader* first = transfer(injector_, want, worker.id, worker.run_queue, moved);
  injector_.consumer.unlock();
  if (moved > 1 || injector_.len.load() != 0) notify(worker.id, worker.run_queue.len.load() + 1);
  return first;
}

TaskHeader* Executor::steal(Worker& worker) {
  if (worker_count_ == 1) return nullptr;
  for (u32 round = 0; round < kStealRounds; ++round) {
    u32 start = static_cast<u32>(xorshift(worker.rng) % worker_count_);
    for (u32 i = 0; i < worker_count_; ++i) {
      Worker& victim = workers_[(start + i) % worker_count_];
      if (&victim == &worker) continue;
      u64 len = victim.run_queue.len.load();
      if (len == 0) continue;
      if (!victim.run_queue.consumer.try_lock()) continue;
      u64 moved = 0;
      TaskHeader* first =
          transfer(victim.run_queue, (len + 1) / 2, worker.id, worker.run_queue, moved);
      victim.run_queue.consumer.unlock();
      if (first != nullptr) {
        worker.counters.add_own(worker.counters.stolen, moved);
        if (moved > 2) notify(worker.id, worker.run_queue.len.load());
        return first;
      }
    }
    for (u32 spin = 0; spin < (32u << round); ++spin) support::cpu_relax();
  }
  return nullptr;
}

// Polls `task`, popped from a run queue (whose reference the caller passes on to us).
//   scheduled -> running; cancel requested: destroy the frames, -> complete;
//   else poll the leaf it waits on; if ready resume the coroutine;
//   root finished -> complete; woken meanwhile (notified) -> scheduled again; else -> idle.
void Executor::poll(Worker& worker, TaskHeader& task) {
  // A task that nobody else holds (detached, no waker yet: a task spawned and dropped that has
  // not run) cannot be woken or cancelled meanwhile: its state needs no compare-and-swap.
  Action action = task.held_alone(1) ? task.state_.apply_alone(&TaskState::start_poll)
                                     : task.state_.apply(&TaskState::start_poll);
  if (action == Action::DropReference) {  // finished by shutdown() while queued
    task.unref();
    return;
  }
  worker.current.store(&task, support::MemoryOrder::Relaxed);
  worker.counters.add_own(worker.counters.polled);
  u32 references = 1;  // the run queue's, passed on to us
  if (action == Action::Cancel) {
    references += finish(task, /*cancelled=*/true, /*unlink_owned=*/true, &worker);
  } else {
    bool ready = task.leaf_poll_ == nullptr || task.leaf_poll_(task.leaf_, task);
    if (ready) {
      task.leaf_poll_ = nullptr;
      task.resume_point_.resume();
    }
    if (task.root_done_) {
      references += finish(task, /*cancelled=*/false, /*unlink_owned=*/true, &worker);
    } else {
      link_owned(worker, task);
      if (task.state_.apply(&TaskState::end_poll) == Action::Requeue) {
        worker.current.store(nullptr, support::MemoryOrder::Relaxed);
        requeue(worker, task);  // keeps the reference
        return;
      }
    }
  }
  worker.current.store(nullptr, support::MemoryOrder::Relaxed);
  task.unref(references);
}

// A task woken during its own poll (a yield, or a wake before the poll ended) goes to the back of
// its worker's queue (owner_ is this worker: it popped the task from its queue). When that queue
// and the LIFO slot are empty the back is the front, so it takes the LIFO slot instead, saving the
// queue's atomic operations; it counts against kMaxLifoPolls there.
void Executor::requeue(Worker& worker, TaskHeader& task) {
  if (worker.run_queue.len.load(support::MemoryOrder::Relaxed) == 0 && worker.own_head == nullptr &&
      worker.lifo.load(support::MemoryOrder::Relaxed) == nullptr) {
    worker.lifo.store(&task, support::MemoryOrder::Release);  // only this worker fills the slot
    return;
  }
  enqueue_own(worker, task);
}

// A task left waiting by a poll joins the owned list (once), with a reference, before end_poll
// lets anyone else poll it. Only the worker that holds the task running reads owned_shard_.
void Executor::link_owned(Worker& worker, TaskHeader& task) {
  if (task.owned_shard_ != kNotOwned) return;
  task.ref();
  task.owned_shard_ = worker.id;
  owned_[worker.id].with([&](OwnedList& owned) { owned.push_back(task); });
}

// Returns the references the caller must drop for it: 1 when it unlinked the task from the owned
// list (whose reference the caller drops together with its own, in one atomic operation).
// `worker`: the worker that polled the task (its counters count it), or nullptr (shutdown).
[[gnu::always_inline]] inline u32 Executor::finish(TaskHeader& task, bool cancelled,
                                                   bool unlink_owned, Worker* worker) {
  task.leaf_poll_ = nullptr;
  task.finish_future(cancelled);  // the task's destructors run here
  task.cancelled_ = cancelled;
  bool owned_reference = false;
  if (unlink_owned && task.owned_shard_ != kNotOwned) {
    owned_[task.owned_shard_].with([&](OwnedList& owned) {
      if (task.owned_node_.is_linked()) {
        owned.remove(task);
        owned_reference = true;
      }
    });
  }
  task.owned_shard_ = kNotOwned;
  // Without kJoinWaiting nobody stored a join waker, and poll_join() will now see kComplete: no
  // need for the join lock (see poll_join). When the caller's reference (and the owned list's,
  // just unlinked) are all there are, nobody can see the task complete: no compare-and-swap.
  Waker joiner;
  bool alone = task.held_alone(owned_reference ? 2 : 1);
  Action completed = alone ? task.state_.apply_alone(&TaskState::complete)
                           : task.state_.apply(&TaskState::complete);
  if (completed == Action::WakeJoiner) {
    support::LockGuard guard(task.join_lock_);
    joiner = support::move(task.join_waker_);
  }
  joiner.wake();
  if (worker != nullptr) {
    worker->counters.add_own(worker->counters.completed);
  } else {
    outside_counters_.add(outside_counters_.completed);
  }
  return owned_reference ? 1 : 0;
}

// After close(), with no worker running: cancel what is left (the owned lists: tasks that have
// waited; the queues and LIFO slots: tasks never polled), dropping the lists' and queues'
// references. A wake from a destructor run here finds its task complete, seized (running) or
// already queued, so it queues nothing.
void Executor::shutdown() {
  for (u32 shard = 0; shard < kMaxWorkers;) {
    TaskHeader* task = owned_[shard].with([](OwnedList& owned) { return owned.pop_front(); });
    if (task == nullptr) {
      ++shard;
      continue;
    }
    if (task->state_.apply(&TaskState::seize) == Action::Cancel) {
      (void)finish(*task, /*cancelled=*/true, /*unlink_owned=*/false, nullptr);  // unlinked above
    }
    task->unref();  // the owned list's reference
  }
  auto cancel_queued = [this](TaskHeader& task) {
    u32 references = 1;  // the queue's
    if (task.state_.apply(&TaskState::seize) == Action::Cancel) {
      references += finish(task, /*cancelled=*/true, /*unlink_owned=*/true, nullptr);
    }
    task.unref(references);
  };
  auto drain = [&](detail::RunQueue& queue) {
    while (detail::QueueNode* node = queue.queue.pop()) {
      queue.len.fetch_sub(1);
      cancel_queued(*static_cast<TaskHeader*>(node));
    }
  };
  drain(injector_);
  for (u32 i = 0; i < worker_count_; ++i) {
    if (TaskHeader* task = workers_[i].lifo.exchange(nullptr)) cancel_queued(*task);
    drain(workers_[i].run_queue);
    while (TaskHeader* task = workers_[i].own_head) {
      workers_[i].own_head =
          static_cast<TaskHeader*>(task->next.load(support::MemoryOrder::Relaxed));
      workers_[i].own_len.store(workers_[i].own_len.load(support::MemoryOrder::Relaxed) - 1,
                                support::MemoryOrder::Relaxed);
      cancel_queued(*task);
    }
    workers_[i].own_tail = nullptr;
  }
}

usize Executor::live_tasks() {
  usize live = 0;
  for (auto& shard : owned_) live += shard.with([](OwnedList& owned) { return owned.size(); });
  return live;
}

Counters Executor::counters(u32 id) const {
  const CounterCells& cells = workers_[id].counters;
  Counters out;
  out.polled = counter(cells.polled);
  out.completed = counter(cells.completed);
  out.spawned = counter(cells.spawned);
  out.woken_inside = counter(cells.woken_inside) + counter(cells.woken_interrupt);
  out.woken_outside = counter(cells.woken_outside);
  out.stolen = counter(cells.stolen);
  out.lifo = counter(cells.lifo);
  out.lifo_stolen = counter(cells.lifo_stolen);
  return out;
}

Counters Executor::counters() const {
  Counters sum;
  sum.completed = counter(outside_counters_.completed);
  sum.spawned = counter(outside_counters_.spawned);
  sum.woken_outside = counter(outside_counters_.woken_outside);
  sum.wakeups = counter(outside_counters_.wakeups);
  for (u32 i = 0; i < worker_count_; ++i) {
    Counters one = counters(i);
    sum.polled += one.polled;
    sum.completed += one.completed;
    sum.spawned += one.spawned;
    sum.woken_inside += one.woken_inside;
    sum.woken_outside += one.woken_outside;
    sum.stolen += one.stolen;
    sum.lifo += one.lifo;
    sum.lifo_stolen += one.lifo_stolen;
  }
  return sum;
}

// ---- Timers -----------------------------------------------------------------------------------

bool Executor::poll_timer(TimerEntry& entry, TaskHeader& task) {
  Waker replaced;
  support::LockGuard guard(timer_lock_);
  if (entry.fired) return true;
  if (timers_.contains(entry)) return false;  // filed, with this task's waker
  if (entry.deadline <= platform_.now()) {
    entry.fired = true;
    return true;
  }
  replaced = support::move(entry.waker);
  entry.waker = task.waker();
  timers_.insert(entry);
  next_timer_.store(timers_.next_deadline());
  return false;
}

void Executor::cancel_timer(TimerEntry& entry) {
  Waker dropped;  // dropped after the lock is released
  support::LockGuard guard(timer_lock_);
  if (timers_.contains(entry)) {
    timers_.remove(entry);
    next_timer_.store(timers_.next_deadline());
  }
  dropped = support::move(entry.waker);
}

void Executor::fire_due_timers() {
  constexpr usize kBatch = 16;
  Instant now = platform_.now();
  if (next_timer_.load() > now) return;
  for (;;) {
    Waker batch[kBatch];
    usize count = 0;
    {
      support::LockGuard guard(timer_lock_);
      while (count < kBatch) {
        TimerEntry* entry = timers_.pop_expired(now);
        if (entry == nullptr) break;
        entry->fired = true;
        batch[count++] = support::move(entry->waker);
      }
      next_timer_.store(timers_.next_deadline());
    }
    // Woken outside the lock: the entry may be gone by now, the wakers hold their tasks.
    for (usize i = 0; i < count; ++i) batch[i].wake();
    if (count < kBatch) break;
  }
}

}  // namespace async
