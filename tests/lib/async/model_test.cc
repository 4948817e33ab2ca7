// Exhaustive interleaving checks of the executor's lock-free protocols.
//
// Stress tests on x86 (and QEMU on x86) hardly ever reorder or interleave at the worst moment, so
// each protocol is also run here as a model: every thread is a small program whose steps are the
// atomic operations of the real code (executor.cc, mpsc_queue.h), and explore() runs every
// interleaving of those steps (a depth-first search over states, with the states already seen
// cut off), checking an invariant in every state and the expected outcome in every final state.
// The task state machine's model computes every state change with the real TaskState
// transitions (task_state.h); the idle protocol's and the queue's models mirror their code. The
// idle protocol uses sequentially consistent atomics, which is the memory model of these
// interleavings; the task state is one word changed only by read-modify-writes, whose total order
// is what these interleavings explore. The MPSC queue uses release/acquire; its model adds vector
// clocks to check, in every interleaving, that those orders make what a producer wrote before
// push() happen-before the pop that returns the node (see QueueModel). Keep the models in step
// with the code they mirror.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include <async/task_state.h>
#include <support/types.h>

namespace async_test {
namespace {

using async::TaskState;

// A model: a fixed array of integers (shared variables, program counters and registers), the
// threads' step functions and the checks. step(t) returns false when thread t cannot move
// (finished, or blocked as in a futex wait).
template <usize N> struct Model {
  std::array<int, N> v{};
  virtual ~Model() = default;
  virtual int threads() const = 0;
  virtual bool step(int thread) = 0;                    // performs one atomic step if enabled
  virtual std::string invariant() const { return {}; }  // empty when fine
  virtual std::string final_check() const = 0;          // checked when no thread can move
};

struct Exploration {
  usize states = 0;
  usize finals = 0;
  std::string failure;
};

template <typename Array> struct ArrayHash {
  usize operator()(const Array& array) const {
    u64 hash = 0xcbf29ce484222325ull;  // FNV-1a over the values
    for (int value : array) hash = (hash ^ static_cast<u32>(value)) * 0x100000001b3ull;
    return static_cast<usize>(hash);
  }
};

template <typename M> Exploration explore(const M& initial) {
  Exploration out;
  using Array = decltype(initial.v);
  std::unordered_set<Array, ArrayHash<Array>> seen;
  seen.reserve(1 << 16);
  std::vector<M> stack{initial};
  while (!stack.empty() && out.failure.empty()) {
    M state = stack.back();
    stack.pop_back();
    if (!seen.insert(state.v).second) continue;
    ++out.states;
    if (std::string bad = state.invariant(); !bad.empty()) {
      out.failure = bad;
      break;
    }
    bool moved = false;
    for (int t = 0; t < state.threads(); ++t) {
      M next = state;
      if (next.step(t)) {
        moved = true;
        stack.push_back(next);
      }
    }
    if (!moved) {
      ++out.finals;
      if (std::string bad = state.final_check(); !bad.empty()) out.failure = bad;
    }
  }
  return out;
}

// ---- The idle protocol: Executor::idle / has_work versus enqueue / notify / wake_if_sleeping ----
//
// Two workers; producers push one task each to a worker's queue or to the injector; an optional
// closer. Final states (every thread finished or asleep): no task may be left queued while all
// workers sleep, and after close() no worker may sleep.
struct IdleModel : Model<32> {
  // Shared.
  enum {
    kLen0,
    kLen1,
    kInjector,
    kSleeping0,
    kSleeping1,
    kWord0,
    kWord1,
    kSleepers,
    kClosed,
    // Worker w: pc, epoch, scratch.
    kWorkerPc = 9,
    kEpoch = 11,
    kTaken = 13,
    // Producer p: pc, target (0, 1, 2 = injector), len after push, scan index.
    kProducerPc = 15,
    kTarget = 17,
    kLenAfter = 19,
    kScan = 21,
    kCloserPc = 23,
    kProducers = 24,
    kHasCloser = 25
  };
  int threads() const override { return 2 + v[kProducers] + v[kHasCloser]; }

  int& len(int q) { return v[q == 2 ? kInjector : kLen0 + q]; }

  bool worker(int w) {
    int& pc = v[kWorkerPc + w];
    switch (pc) {
      case 0:  // run(): closed? then tick(): own queue, injector, steal
        if (v[kClosed]) {
          pc = 100;
          return true;
        }
        if (v[kLen0 + w] > 0) {
          v[kLen0 + w]--;
          v[kTaken + w]++;
          return true;
        }
        if (v[kInjector] > 0) {
          v[kInjector]--;
          v[kTaken + w]++;
          return true;
        }
        if (v[kLen0 + 1 - w] > 0) {
          v[kLen0 + 1 - w]--;
          v[kTaken + w]++;
          return true;
        }
        pc = 1;
        return true;
      case 1:
        v[kEpoch + w] = v[kWord0 + w];
        pc = 2;
        return true;  // epoch = wake_word
      case 2:
        v[kSleeping0 + w] = 1;
        pc = 3;
        return true;  // sleeping = 1
      case 3:
        v[kSleepers]++;
        pc = 4;
        return true;                                       // sleepers_++
      case 4: pc = v[kClosed] ? 8 : 5; return true;        // is_closed()
      case 5: pc = v[kInjector] ? 8 : 6; return true;      // has_work(): injector
      case 6: pc = v[kLen0] ? 8 : 7; return true;          //   queue 0
      case 7: pc = v[kLen1] ? 8 : 9; return true;          //   queue 1
      case 9:                                              // platform.sleep()
        if (v[kWord0 + w] == v[kEpoch + w]) return false;  // futex: blocked
        pc = 8;
        return true;
      case 8:
        v[kSleeping0 + w] = 0;
        pc = 10;
        return true;
      case 10:
        v[kSleepers]--;
        pc = 0;
        return true;
      default: return false;
    }
  }

  // wake_if_sleeping(worker): load, CAS 1 -> 0, bump the word (platform.wake is then a no-op in
  // this model: the futex returns as soon as the word differs).
  bool producer(int p) {
    int& pc = v[kProducerPc + p];
    int target = v[kTarget + p];
    switch (pc) {
      case 0:
        v[kLenAfter + p] = ++len(target);
        pc = 1;
        return true;  // len++, push
      case 1:         // notify()
        if (v[kSleepers] == 0) {
          pc = 100;
          return true;
        }
        if (target == 2) {
          v[kScan + p] = 0;
          pc = 4;
          return true;
        }
        pc = 2;
        return true;
      case 2:  // owner asleep?
        if (v[kSleeping0 + target] == 1) {
          v[kSleeping0 + target] = 0;
          pc = 3;
          return true;
        }
        if (v[kLenAfter + p] <= 1) {
          pc = 100;
          return true;
        }
        v[kScan + p] = 0;
        pc = 4;
        return true;
      case 3:
        v[kWord0 + target]++;
        pc = 100;
        return true;
      case 4: {  // any sleeper
        int w = v[kScan + p];
        if (w == 2) {
          pc = 100;
          return true;
        }
        if (v[kSleeping0 + w] == 1) {
          v[kSleeping0 + w] = 0;
          v[kWord0 + w]++;
          pc = 100;
          return true;
        }
        v[kScan + p]++;
        return true;
      }
      default: return false;
    }
  }

  bool closer() {
    int& pc = v[kCloserPc];
    switch (pc) {
      case 0:
        v[kClosed] = 1;
        pc = 1;
        return true;
      case 1:
        v[kWord0]++;
        pc = 2;
        return true;
      case 2:
        v[kWord1]++;
        pc = 100;
        return true;
      default: return false;
    }
  }

  bool step(int t) override {
    if (t < 2) return worker(t);
    if (t < 2 + v[kProducers]) return producer(t - 2);
    return closer();
  }

  std::string final_check() const override {
    for (int p = 0; p < v[kProducers]; ++p) {
      if (v[kProducerPc + p] != 100) return "a producer is stuck";
    }
    if (v[kClosed]) {
      if (v[kWorkerPc] != 100 || v[kWorkerPc + 1] != 100) return "a worker sleeps after close()";
      return {};
    }
    if (v[kLen0] || v[kLen1] || v[kInjector])
      return "lost wake-up: work queued, all workers asleep";
    if (v[kTaken] + v[kTaken + 1] != v[kProducers]) return "a task was taken twice or never";
    return {};
  }
};

TEST(Model, idle_protocol_never_loses_a_wakeup) {
  // Every placement of two tasks: both on one worker, one each, injector, mixed.
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      IdleModel model;
      model.v[IdleModel::kProducers] = 2;
      model.v[IdleModel::kTarget] = a;
      model.v[IdleModel::kTarget + 1] = b;
      Exploration result = explore(model);
      EXPECT_EQ(result.failure, "") << "targets " << a << "," << b;
      EXPECT_GT(result.finals, 0u);
    }
  }
}

TEST(Model, idle_protocol_close_wakes_every_worker) {
  IdleModel model;
  model.v[IdleModel::kProducers] = 1;
  model.v[IdleModel::kTarget] = 0;
  model.v[IdleModel::kHasCloser] = 1;
  Exploration result = explore(model);
  EXPECT_EQ(result.failure, "");
  EXPECT_GT(result.finals, 0u);
}

TEST(Model, idle_protocol_model_detects_a_broken_protocol) {
  // The harness can fail: without the re-check after announcing sleep (has_work), a wake-up is
  // lost in some interleaving.
  struct Broken : IdleModel {
    bool step(int t) override {
      if (t < 2 && v[kWorkerPc + t] == 4) {
        v[kWorkerPc + t] = 9;  // skip the re-check
        return true;
      }
      return IdleModel::step(t);
    }
  };
  Broken model;
  model.v[IdleModel::kProducers] = 1;
  model.v[IdleModel::kTarget] = 0;
  EXPECT_NE(explore(model).failure, "");
}

// ---- The task state machine: the real TaskState (task_state.h) ---------------------------------
//
// One task (a leaf waiting for one event), two workers taking it from the run queue, an event
// thread that fires the event and wakes the task's waker, optionally a canceller, and a joiner.
// Every change of the state word is a transition of TaskState, applied as TaskState::apply does
// (a load, then a compare-and-swap that re-reads on failure: apply_step); what the threads do
// around them (queue, poll the leaf, finish, the join lock) is the executor's code in executor.cc.
// The transitions come from a table so that a test can break one and see the model fail.
struct Transitions {
  TaskState::Function start_poll = &TaskState::start_poll;
  TaskState::Function end_poll = &TaskState::end_poll;
  TaskState::Function wake = &TaskState::wake;
  TaskState::Function complete = &TaskState::complete;
  TaskState::Function cancel = &TaskState::cancel;
  TaskState::Function join_wait = &TaskState::join_wait;
};

struct TaskModel : Model<32> {
  using Action = TaskState::Action;
  static constexpr int S = TaskState::kScheduled, C = TaskState::kComplete;
  enum {
    kState,
    kQueue,
    kFired,
    kRegistered,
    kInPoll,
    kDone,
    kCancelled,
    kJoinWaker,
    kJoinWoken,
    kPolls,
    kJoinLock,  // 1 while the joiner holds the task's join lock
    kTake,
    kHasCancel,
    // Per thread (workers 0 and 1, event 2, canceller 3, joiner 4): pc, apply phase, value read.
    kPc = 13,
    kPhase = 18,
    kSeen = 23,
  };
  static constexpr int kWorkers = 2, kEvent = 2, kCanceller = 3, kJoiner = 4;
  static constexpr int kPending = -1;

  Transitions transitions;

  int threads() const override { return 5; }
  int& pc(int t) { return v[kPc + t]; }

  // One shared access of TaskState::apply(transition) by thread t: phase 0 reads the word; phase 1
  // computes the transition from what was read and, if it writes, compare-and-swaps (a failure
  // re-reads, as compare_exchange does). Returns the Action once applied, else kPending.
  int apply_step(int t, TaskState::Function transition) {
    int& state = v[kState];
    int& seen = v[kSeen + t];
    if (v[kPhase + t] == 0) {
      seen = state;
      v[kPhase + t] = 1;
      return kPending;
    }
    TaskState::Transition step = transition(static_cast<u32>(seen));
    if (static_cast<int>(step.next) != seen) {
      if (state != seen) {
        seen = state;
        return kPending;
      }
      state = static_cast<int>(step.next);
    }
    v[kPhase + t] = 0;
    return static_cast<int>(step.action);
  }
  static bool is(int action, Action expected) { return action == static_cast<int>(expected); }

  // Executor::schedule (a wake or a cancel) from pc `base`: apply, then queue if told to.
  bool schedule(int t, int base, TaskState::Function transition) {
    if (pc(t) == base + 1) {  // the push (with its reference)
      v[kQueue]++;
      pc(t) = 100;
      return true;
    }
    int action = apply_step(t, transition);
    if (action != kPending) pc(t) = is(action, Action::Enqueue) ? base + 1 : 100;
    return true;
  }

  // Executor::poll and finish.
  bool worker(int w) {
    switch (pc(w)) {
      case 0:  // pop
        if (v[kQueue] == 0) return false;
        v[kQueue]--;
        pc(w) = 1;
        return true;
      case 1: {  // start_poll
        int action = apply_step(w, transitions.start_poll);
        if (action == kPending) return true;
        if (is(action, Action::DropReference)) {
          pc(w) = 0;
          return true;
        }
        v[kInPoll]++;
        v[kPolls]++;
        pc(w) = is(action, Action::Cancel) ? 10 : 2;
        return true;
      }
      case 2:  // the leaf's poll, under the event's lock: ready, or register the waker
        if (v[kFired]) {
          v[kDone] = 1;
          pc(w) = 10;
          return true;
        }
        v[kRegistered] = 1;
        pc(w) = 3;
        return true;
      case 3: {  // end_poll
        int action = apply_step(w, transitions.end_poll);
        if (action == kPending) return true;
        v[kInPoll]--;
        pc(w) = is(action, Action::Requeue) ? 4 : 0;
        return true;
      }
      case 4:  // re-queued, with the reference it held
        v[kQueue]++;
        pc(w) = 0;
        return true;
      case 10:  // finish: the frames are destroyed (cancelled unless the body ran to its end)
        if (!v[kDone]) v[kCancelled] = 1;
        pc(w) = 11;
        return true;
      case 11: {  // complete; the join lock only if a join waker was stored
        int action = apply_step(w, transitions.complete);
        if (action == kPending) return true;
        v[kInPoll]--;
        pc(w) = is(action, Action::WakeJoiner) ? 12 : 0;
        return true;
      }
      case 12:  // join lock: take the waker and wake it
        if (v[kJoinLock]) return false;
        if (v[kJoinWaker]) {
          v[kJoinWaker] = 0;
          v[kJoinWoken] = 1;
        }
        pc(w) = 0;
        return true;
      default: return false;
    }
  }

  bool event() {
    if (pc(kEvent) == 0) {  // under the event's lock: fire, take the registered waker
      v[kFired] = 1;
      v[kTake] = v[kRegistered];
      v[kRegistered] = 0;
      pc(kEvent) = v[kTake] ? 1 : 100;
      return true;
    }
    if (pc(kEvent) == 100) return false;
    return schedule(kEvent, 1, transitions.wake);
  }

  bool canceller() {
    if (!v[kHasCancel] || pc(kCanceller) == 100) return false;
    return schedule(kCanceller, 0, transitions.cancel);
  }

  // poll_join, then parked until woken.
  bool joiner() {
    int& at = pc(kJoiner);
    switch (at) {
      case 0:  // take the join lock
        if (v[kJoinLock]) return false;
        v[kJoinLock] = 1;
        at = 1;
        return true;
      case 1:  // complete? done
        if (v[kState] & C) {
          v[kJoinLock] = 0;
          at = 100;
          return true;
        }
        at = 2;
        return true;
      case 2:  // store the waker
        v[kJoinWaker] = 1;
        at = 3;
        return true;
      case 3: {  // join_wait; completed meanwhile: take the waker back; unlock
        int action = apply_step(kJoiner, transitions.join_wait);
        if (action == kPending) return true;
        v[kJoinLock] = 0;
        if (is(action, Action::Finished)) {
          v[kJoinWaker] = 0;
          at = 100;
        } else {
          at = 4;
        }
        return true;
      }
      case 4:  // parked until woken, then polls again
        if (!v[kJoinWoken]) return false;
        v[kJoinWoken] = 0;
        at = 0;
        return true;
      default: return false;
    }
  }

  bool step(int t) override {
    if (t < kWorkers) return worker(t);
    if (t == kEvent) return event();
    if (t == kCanceller) return canceller();
    return joiner();
  }

  std::string invariant() const override {
    if (v[kInPoll] > 1) return "the task is polled by two workers at once";
    if (v[kQueue] > 1) return "the task is queued twice";
    if (v[kPolls] > 6) return "unbounded re-polling";
    return {};
  }

  std::string final_check() const override {
    if (!(v[kState] & C)) return "the task never finished (lost wake-up)";
    if (v[kPc + kJoiner] != 100) return "the joiner was never woken";
    if (!v[kHasCancel] && v[kCancelled]) return "cancelled without a cancel";
    if (v[kDone] && v[kCancelled]) return "both finished and cancelled";
    if (v[kQueue] != 0) return "a finished task left in a queue";
    return {};
  }
};

// A task just spawned: scheduled, in the queue.
TaskModel spawned_task(bool with_cancel = false) {
  TaskModel model;
  model.v[TaskModel::kState] = TaskModel::S;
  model.v[TaskModel::kQueue] = 1;
  model.v[TaskModel::kHasCancel] = with_cancel ? 1 : 0;
  return model;
}

TEST(Model, task_state_machine_never_loses_a_wake_nor_polls_twice_at_once) {
  Exploration result = explore(spawned_task());
  EXPECT_EQ(result.failure, "");
  EXPECT_GT(result.finals, 0u);
}

TEST(Model, task_state_machine_cancel_before_during_and_after_polls) {
  Exploration result = explore(spawned_task(/*with_cancel=*/true));
  EXPECT_EQ(result.failure, "");
  EXPECT_GT(result.finals, 0u);
}

TEST(Model, task_state_machine_model_detects_a_complete_that_skips_the_join_waker) {
  // The harness can fail: a complete() that never tells the worker to take the join waker
  // strands the joiner.
  TaskModel model = spawned_task();
  model.transitions.complete = [](u32 seen) {
    return TaskState::Transition{TaskState::complete(seen).next, TaskState::Action::None};
  };
  EXPECT_EQ(explore(model).failure, "the joiner was never woken");
}

TEST(Model, task_state_machine_model_detects_a_dropped_notification) {
  // The harness can fail: an end_poll that ignores "notified" loses the wake-up.
  TaskModel model = spawned_task();
  model.transitions.end_poll = [](u32 seen) {
    return TaskState::Transition{seen & ~(TaskState::kRunning | TaskState::kNotified),
                                 TaskState::Action::None};
  };
  EXPECT_EQ(explore(model).failure, "the task never finished (lost wake-up)");
}

TEST(Model, task_state_machine_model_detects_a_wake_that_queues_a_running_task) {
  // The harness can fail: a wake that queues a running task lets two workers poll it at once.
  TaskModel model = spawned_task();
  model.transitions.wake = [](u32 seen) {
    if ((seen & (TaskState::kComplete | TaskState::kScheduled)) != 0) {
      return TaskState::Transition{seen, TaskState::Action::None};
    }
    return TaskState::Transition{seen | TaskState::kScheduled, TaskState::Action::Enqueue};
  };
  EXPECT_NE(explore(model).failure, "");
}

// ---- The MPSC run queue: push (two steps) racing pop, as in mpsc_queue.h ------------------------
//
// Nodes 1..3 (0 is the stub); producer 0 pushes nodes 1 and 2, producer 1 pushes node 3; the
// consumer pops until it has all three. A pop may find the queue "inconsistent" (nullptr) only
// while a push is half done.
//
// Memory orders (mpsc_queue.h): `next = nullptr` relaxed, the head exchange acq_rel, the link
// store release, the consumer's loads acquire. Each thread carries a vector clock; a release
// store gives the location the writer's clock (and a relaxed store gives it none: it ends the
// release sequence), an acquire load joins the location's clock into the reader's, and the
// exchange does both. Two happens-before checks follow from them:
//   - a node's contents (the task record, written by its producer just before push) happen-before
//     the pop that returns it, so the record needs no stronger order than the push's;
//   - a node's `next = nullptr` happens-before the link later stored into it (else the link could
//     come first in the location's modification order and be overwritten by the null).
// The interleavings are sequentially consistent, so this does not produce the stale reads weak
// memory also allows; in pop() a stale link or head only makes it return nullptr early (the
// queue looks inconsistent and the consumer retries), which the model already covers.
struct QueueModel : Model<64> {
  static constexpr int kNull = 0, kStub = 4;
  enum {
    kHead,
    kTail,
    kNext = 2 /* nodes 0..4 */,
    kPc = 7 /* 2 producers */,
    kPrev = 9,
    kConsumerPc = 11,
    kCT,
    kCN,
    kCPrev,
    kPopped,
    kCount,
    kEmpty,
    kClock = 18 /* 3 threads x 3 components */,
    kLoc = 27 /* clocks of next[0..4] and of head (location 5), 3 components each */,
    kStamp = 45 /* per node: its producer's clock when it wrote the contents (0: none) */,
    kNullStamp = 50 /* per node: the writer's clock at its last `next = nullptr` */,
    kNullWriter = 55 /* per node: which thread wrote it (-1: the initial stub) */,
    kRelaxedLink = 60 /* 1: the broken variant with a relaxed link store */,
    kFailure = 61 /* 1: contents not published; 2: a link raced with a nullptr store */
  };
  static constexpr int kConsumer = 2, kHeadLoc = 5;

  QueueModel() {
    v[kHead] = kStub;  // empty: head and tail at the stub
    v[kTail] = kStub;
    for (int t = 0; t < 3; ++t) clock(t, t) = 1;
    for (int node = 0; node <= kStub; ++node) v[kNullWriter + node] = -1;
  }

  int threads() const override { return 3; }

  int& clock(int thread, int of) { return v[kClock + thread * 3 + of]; }
  int& location(int where, int of) { return v[kLoc + where * 3 + of]; }
  void acquire(int thread, int where) {
    for (int u = 0; u < 3; ++u) clock(thread, u) = std::max(clock(thread, u), location(where, u));
  }
  void release(int thread, int where) {
    for (int u = 0; u < 3; ++u) location(where, u) = clock(thread, u);
    clock(thread, thread)++;
  }
  void relaxed_store(int where) {
    for (int u = 0; u < 3; ++u) location(where, u) = 0;
  }
  void store_null(int thread, int node) {  // next = nullptr (relaxed)
    v[kNext + node] = kNull;
    relaxed_store(node);
    v[kNullStamp + node] = clock(thread, thread);
    v[kNullWriter + node] = thread;
  }
  void store_link(int thread, int prev, int node, bool release_order) {  // prev->next = node
    int writer = v[kNullWriter + prev];
    if (writer >= 0 && clock(thread, writer) < v[kNullStamp + prev]) v[kFailure] = 2;
    v[kNext + prev] = node;
    if (release_order) {
      release(thread, prev);
    } else {
      relaxed_store(prev);
    }
  }
  void exchange_head(int thread, int node, int& prev) {  // acq_rel
    acquire(thread, kHeadLoc);
    prev = v[kHead];
    v[kHead] = node;
    release(thread, kHeadLoc);
  }

  bool producer(int p) {
    int& pc = v[kPc + p];
    int node = p == 0 ? (pc < 3 ? 1 : 2) : 3;
    int base = (p == 0 && pc >= 3) ? 3 : 0;
    switch (pc - base) {
      case 0:
        v[kStamp + node] = clock(p, p);  // the task record, written before push()
        store_null(p, node);
        pc++;
        return true;
      case 1:
        exchange_head(p, node, v[kPrev + p]);
        pc++;
        return true;
      case 2:
        store_link(p, v[kPrev + p], node, v[kRelaxedLink] == 0);
        pc++;
        return true;
      default: return false;
    }
  }

  void got(int node) {
    v[kPopped] |= 1 << node;
    v[kCount]++;
    int producer = node == 3 ? 1 : 0;
    if (clock(kConsumer, producer) < v[kStamp + node]) v[kFailure] = 1;
  }

  // pop() from mpsc_queue.h, one shared access per step.
  bool consumer() {
    int& pc = v[kConsumerPc];
    int& tail = v[kCT];
    int& next = v[kCN];
    switch (pc) {
      case 0:
        if (v[kCount] == 3) return false;
        tail = v[kTail];
        pc = 1;
        return true;
      case 1:
        next = v[kNext + tail];
        acquire(kConsumer, tail);
        pc = 2;
        return true;
      case 2:
        if (tail == kStub) {
          if (next == kNull) {
            v[kEmpty]++;
            pc = 0;
            return true;
          }
          v[kTail] = next;
          tail = next;
          pc = 3;
          return true;
        }
        pc = 4;
        return true;
      case 3:
        next = v[kNext + tail];
        acquire(kConsumer, tail);
        pc = 4;
        return true;
      case 4:
        if (next != kNull) {
          v[kTail] = next;
          got(tail);
          pc = 0;
          return true;
        }
        pc = 5;
        return true;
      case 5:  // a producer between its two steps?
        acquire(kConsumer, kHeadLoc);
        if (tail != v[kHead]) {
          v[kEmpty]++;
          pc = 0;
          return true;
        }
        pc = 6;
        return true;
      case 6:
        store_null(kConsumer, kStub);
        pc = 7;
        return true;  // push(stub)
      case 7:
        exchange_head(kConsumer, kStub, v[kCPrev]);
        pc = 8;
        return true;
      case 8:
        store_link(kConsumer, v[kCPrev], kStub, true);
        pc = 9;
        return true;
      case 9:
        next = v[kNext + tail];
        acquire(kConsumer, tail);
        pc = 10;
        return true;
      case 10:
        if (next != kNull) {
          v[kTail] = next;
          got(tail);
          pc = 0;
          return true;
        }
        v[kEmpty]++;
        pc = 0;
        return true;
      default: return false;
    }
  }

  bool step(int t) override {
    // Bound the consumer's empty pops so that the state space stays finite.
    if (t == 2) return v[kEmpty] < 3 && consumer();
    return producer(t);
  }

  std::string invariant() const override {
    if (v[kCount] != __builtin_popcount(v[kPopped])) return "a node was popped twice";
    if (v[kPopped] & (1 << kStub)) return "the stub was handed out";
    if (v[kFailure] == 1) return "a popped node's contents did not happen-before the pop";
    if (v[kFailure] == 2) return "a link store raced with the node's nullptr store";
    return {};
  }
  std::string final_check() const override {
    if (v[kPc] != 6 || v[kPc + 1] != 3) return "a producer is stuck";
    if (v[kCount] == 3) return {};
    // Out of empty pops: once both producers are done, pops must find every node.
    QueueModel rest = *this;
    rest.v[kEmpty] = 0;
    for (int i = 0; i < 200 && rest.v[kCount] != 3 && rest.v[kEmpty] == 0; ++i) rest.consumer();
    if (rest.v[kCount] != 3) return "a pushed node is lost";
    return {};
  }
};

TEST(Model, mpsc_queue_pops_every_node_exactly_once) {
  QueueModel model;
  Exploration result = explore(model);
  EXPECT_EQ(result.failure, "");
  EXPECT_GT(result.states, 1000u);
}

TEST(Model, mpsc_queue_release_acquire_publishes_the_record) {
  // The same exploration checks the happens-before edges of the weaker orders; here the harness
  // shows it can fail: with a relaxed link store a popped record is not published.
  QueueModel broken;
  broken.v[QueueModel::kRelaxedLink] = 1;
  EXPECT_EQ(explore(broken).failure, "a popped node's contents did not happen-before the pop");
}

}  // namespace
}  // namespace async_test
