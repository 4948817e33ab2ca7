// TaskState: the one definition of a task's state machine (docs/executor.md, "Task states").
//
// The state is one word of bits. Each transition is a pure function of the state a thread read
// (`seen`): it returns the state to write (`next`; equal to `seen` when nothing must be written)
// and the Action the caller must take afterwards. TaskState::apply() performs a transition on the
// word with a load and a compare-and-swap loop; the interleaving model test
// (tests/lib/async/model_test.cc) performs the same functions step by step in every interleaving
// of wakers, workers, a canceller and a joiner. So the model checks this code, not a copy of it.
//
// Memory orders: every write is a read-modify-write on this one word, so all transitions of a
// task are totally ordered, and none needs sequential consistency (the idle protocol's Dekker
// pair is elsewhere: RunQueue::len against Executor::sleepers_). A write is acq_rel: a waker's
// release publishes what it did before waking (e.g. a value sent) to the worker whose acquire
// starts or ends the poll; start_poll's acquire also sees the task's fields written by whoever
// queued it. The first load of a transition is an acquire too: a transition that writes nothing
// acts on what it read (join_wait seeing kComplete then reads the task's outcome).
#pragma once

#include <support/atomic.h>
#include <support/types.h>

namespace async {

class TaskState {
 public:
  static constexpr u32 kScheduled = 1;  // in a run queue or a LIFO slot (which holds a reference)
  static constexpr u32 kRunning = 2;    // being polled by a worker
  static constexpr u32 kNotified = 4;   // woken while running: poll again
  static constexpr u32 kComplete = 8;   // finished or cancelled; the frame is gone
  static constexpr u32 kCancelRequested = 16;
  static constexpr u32 kJoinWaiting = 32;  // a join waker was stored: complete() must take it

  // What the caller of a transition must do next.
  enum class Action : u8 {
    None,           // nothing
    Enqueue,        // wake, cancel: the caller set kScheduled: take a reference and queue the task
    Notified,       // wake, cancel: the task is running; its worker will poll it again
    Poll,           // start_poll: poll the task
    Cancel,         // start_poll, seize: finish the task as cancelled
    DropReference,  // start_poll: the task completed while queued: drop the queue's reference
    Requeue,        // end_poll: woken during the poll: queue it again (with the same reference)
    WakeJoiner,     // complete: a join waker was stored: take it (join lock) and wake it
    Finished,       // join_wait: the task has completed: do not wait
  };

  struct Transition {
    u32 next;
    Action action;
  };

  // ---- The transitions (pure) ----

  // A worker took the task from a queue: scheduled -> running.
  static constexpr Transition start_poll(u32 seen) {
    if ((seen & kComplete) != 0) return {seen, Action::DropReference};  // shutdown finished it
    u32 next = (seen & ~kScheduled) | kRunning;
    return {next, (seen & kCancelRequested) != 0 ? Action::Cancel : Action::Poll};
  }
  // The poll returned pending: running -> idle, or, if woken meanwhile, -> scheduled again.
  static constexpr Transition end_poll(u32 seen) {
    if ((seen & kNotified) != 0) {
      return {(seen & ~(kRunning | kNotified)) | kScheduled, Action::Requeue};
    }
    return {seen & ~kRunning, Action::None};
  }
  // A waker: idle -> scheduled (the caller queues it); running -> notified; else nothing.
  static constexpr Transition wake(u32 seen) {
    if ((seen & kComplete) != 0) return {seen, Action::None};
    if ((seen & kRunning) != 0) {
      if ((seen & kNotified) != 0) return {seen, Action::None};
      return {seen | kNotified, Action::Notified};
    }
    if ((seen & kScheduled) != 0) return {seen, Action::None};
    return {seen | kScheduled, Action::Enqueue};
  }
  // Executor shutdown takes a task no worker runs, as if to poll it, to cancel it: wakes from now
  // on only mark it notified (its destructors may wake it), none queues it. A complete task is
  // left alone.
  static constexpr Transition seize(u32 seen) {
    if ((seen & kComplete) != 0) return {seen, Action::None};
    return {seen | kRunning, Action::Cancel};
  }
  // The root coroutine finished, or the task was cancelled: -> complete (frames already gone).
  static constexpr Transition complete(u32 seen) {
    u32 next = (seen & ~(kRunning | kNotified)) | kComplete;
    return {next, (seen & kJoinWaiting) != 0 ? Action::WakeJoiner : Action::None};
  }
  // JoinHandle::cancel: marks the request and wakes the task (at most once; never a finished one).
  static constexpr Transition cancel(u32 seen) {
    if ((seen & (kComplete | kCancelRequested)) != 0) return {seen, Action::None};
    Transition woken = wake(seen);
    return {woken.next | kCancelRequested, woken.action};
  }
  // poll_join, under the join lock, after storing its waker: announce it, unless already complete.
  static constexpr Transition join_wait(u32 seen) {
    if ((seen & kComplete) != 0) return {seen, Action::Finished};
    return {seen | kJoinWaiting, Action::None};
  }

  // ---- Applying them ----

  using Function = Transition (*)(u32 seen);

  // Performs `transition` atomically on the word; returns its action. Lock-free; safe from
  // interrupt handlers.
  Action apply(Function transition) {
    u32 seen = word_.load(support::MemoryOrder::Acquire);
    for (;;) {
      Transition step = transition(seen);
      if (step.next == seen) return step.action;
      if (word_.compare_exchange(seen, step.next, support::MemoryOrder::AcqRel)) {
        return step.action;
      }
    }
  }

  // Performs `transition` with a plain load and store: only for a caller that holds every
  // reference to the task (TaskHeader::held_alone), so that no other thread can reach the word
  // (a waker, a JoinHandle, a queue: each would hold a reference). Whoever dropped the other
  // references did so with a release that the caller's acquire load of the count saw.
  Action apply_alone(Function transition) {
    u32 seen = word_.load(support::MemoryOrder::Relaxed);
    Transition step = transition(seen);
    if (step.next != seen) word_.store(step.next, support::MemoryOrder::Relaxed);
    return step.action;
  }

  u32 load(support::MemoryOrder order = support::MemoryOrder::Acquire) const {
    return word_.load(order);
  }
  // Only before the task is published (spawn) or after every worker stopped (shutdown).
  void reset(u32 value) { word_.store(value, support::MemoryOrder::Relaxed); }

 private:
  support::Atomic<u32> word_{0};
};

}  // namespace async
