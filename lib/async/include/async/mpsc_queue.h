// The intrusive multi-producer, single-consumer queue behind every run queue (Dmitry Vyukov's
// design). push() is wait-free, allocates nothing and takes no lock, so it is safe from interrupt
// handlers; pop() is for one consumer at a time (the executor serialises consumers with
// RunQueue::consumer). A producer interrupted between its two steps leaves the queue briefly
// "inconsistent": pop() then returns nullptr although len > 0, and the consumer retries later.
//
// Memory orders: the queue only has to publish a node's contents (a task's record, initialised
// with plain or relaxed stores by the spawner) to the consumer that pops it. The link store is a
// release and every load of a link an acquire, so everything a producer wrote before push()
// happens-before whatever the consumer does after pop() returns the node. The head exchange is
// acq_rel: the producer that links a node behind `prev` must see prev's `next = nullptr` first
// (else its link could be overwritten); that store itself is relaxed, ordered by the release
// half of prev's exchange. Nothing here needs sequential
// consistency: the idle protocol's Dekker pair is RunQueue::len against sleepers_, both still
// sequentially consistent. Model.mpsc_queue_* (tests/lib/async/model_test.cc) checks these
// orders with vector clocks in every interleaving.
#pragma once

#include <async/task.h>

namespace async::detail {

class MpscQueue {
 public:
  MpscQueue() : head_(&stub_), tail_(&stub_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void push(QueueNode& node) {
    node.next.store(nullptr, support::MemoryOrder::Relaxed);
    QueueNode* prev = head_.exchange(&node, support::MemoryOrder::AcqRel);
    // The link that makes `node` visible to the consumer (release: publishes its contents).
    prev->next.store(&node, support::MemoryOrder::Release);
  }

  // Pushes the chain first -> ... -> last (linked through `next` by the caller, with plain or
  // relaxed stores) with one exchange: a batch moved from another queue costs what one push
  // does. The release link publishes the chain's links and contents with it.
  void push_chain(QueueNode& first, QueueNode& last) {
    last.next.store(nullptr, support::MemoryOrder::Relaxed);
    QueueNode* prev = head_.exchange(&last, support::MemoryOrder::AcqRel);
    prev->next.store(&first, support::MemoryOrder::Release);
  }

  // The oldest node, or nullptr when empty (or a push is half done). One consumer at a time.
  QueueNode* pop() {
    QueueNode* tail = tail_;
    QueueNode* next = tail->next.load(support::MemoryOrder::Acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(support::MemoryOrder::Acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    // A producer is between its two steps (a stale head only makes this pop return nullptr).
    if (tail != head_.load(support::MemoryOrder::Acquire)) return nullptr;
    push(stub_);
    next = tail->next.load(support::MemoryOrder::Acquire);
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

 private:
  support::Atomic<QueueNode*> head_;  // producers' end
  QueueNode* tail_;                   // consumer's end, guarded by the consumer lock
  QueueNode stub_;
};

// A run queue: the MPSC queue, the number of tasks on it (counted before the push, so that
// len > 0 whenever a task is on its way), and the lock that makes its consumers take turns
// (the owning worker, thieves, and for the injector every worker). Producers never take it.
struct RunQueue {
  MpscQueue queue;
  support::Atomic<u64> len{0};
  support::SpinLock consumer;
};

}  // namespace async::detail
