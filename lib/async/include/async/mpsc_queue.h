// The intrusive multi-producer, single-consumer queue behind every run queue (Dmitry Vyukov's
// design). push() is wait-free, allocates nothing and takes no lock, so it is safe from interrupt
// handlers; pop() is for one consumer at a time (the executor serialises consumers with
// RunQueue::consumer). A producer interrupted between its two steps leaves the queue briefly
// "inconsistent": pop() then returns nullptr although len > 0, and the consumer retries later.
#pragma once

#include <async/task.h>

namespace async::detail {

class MpscQueue {
 public:
  MpscQueue() : head_(&stub_), tail_(&stub_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void push(QueueNode& node) {
    node.next.store(nullptr);
    QueueNode* prev = head_.exchange(&node);
    prev->next.store(&node);  // the link that makes `node` visible to the consumer
  }

  // The oldest node, or nullptr when empty (or a push is half done). One consumer at a time.
  QueueNode* pop() {
    QueueNode* tail = tail_;
    QueueNode* next = tail->next.load();
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load();
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load()) return nullptr;  // a producer is between its two steps
    push(stub_);
    next = tail->next.load();
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
  SpinLock consumer;
};

}  // namespace async::detail
