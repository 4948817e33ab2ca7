// Synchronisation between tasks that suspends instead of spinning: WaitQueue, Semaphore, Mutex.
//
// Each keeps its state and its waiters under one small spinlock, held only for a few
// instructions and never across a suspension. Waiters are intrusive nodes inside the awaiting
// task's frame: waiting allocates nothing. Wake-ups may be spurious: a woken waiter re-polls its
// condition and waits again if it lost a race. A waiter that is woken but cancelled before it
// acts passes its wake-up on, so a release is never lost.
#pragma once

#include <async/task.h>
#include <support/intrusive_list.h>
#include <support/spinlock.h>

namespace async {

namespace detail {

struct Waiter {
  support::IntrusiveNode node;
  Waker waker;
  bool woken = false;  // taken off the list by a wake (and not yet polled)
};

// A FIFO of waiters. Not thread-safe: the owner's lock guards it. Wakers are woken with that
// lock held, which is fine: waking takes no lock.
class WaiterList {
 public:
  // Puts `waiter` at the back (or keeps its place if already queued) with a fresh waker.
  void wait(Waiter& waiter, Waker waker) {
    waiter.waker = support::move(waker);
    waiter.woken = false;
    if (!waiter.node.is_linked()) list_.push_back(waiter);
  }
  // Withdraws `waiter`. Returns true when it had been woken and must pass the wake on.
  bool withdraw(Waiter& waiter) {
    bool pass_on = waiter.woken;
    if (waiter.node.is_linked()) list_.remove(waiter);
    waiter.woken = false;
    waiter.waker.reset();
    return pass_on;
  }
  bool wake_one() {
    Waiter* waiter = list_.pop_front();
    if (waiter == nullptr) return false;
    waiter->woken = true;
    waiter->waker.wake();
    return true;
  }
  void wake_all() {
    while (wake_one()) {
    }
  }
  bool empty() const { return list_.empty(); }
  usize size() const { return list_.size(); }

 private:
  support::IntrusiveList<Waiter, &Waiter::node> list_;
};

}  // namespace detail

// A queue of tasks waiting for a condition that others announce with notify_one/notify_all.
// `Lock` guards the queue; the kernel uses an interrupt-disabling lock for queues notified from
// interrupt handlers (the console's input buffer), which then never block task code.
template <typename Lock = support::SpinLock> class BasicWaitQueue {
 public:
  // co_await queue.wait_until(pred): resumes once pred() is true. pred runs with the queue's
  // lock held, first when awaited and again after every notify; make the condition true, then
  // notify, and a waiter cannot miss it.
  template <typename Pred> class WaitUntil : public Leaf<WaitUntil<Pred>> {
   public:
    WaitUntil(BasicWaitQueue& queue, Pred pred) : queue_(queue), pred_(support::move(pred)) {}
    WaitUntil(const WaitUntil&) = delete;
    ~WaitUntil() {
      support::LockGuard<Lock> guard(queue_.lock_);
      if (queue_.waiters_.withdraw(waiter_)) queue_.waiters_.wake_one();
    }
    bool poll(TaskHeader& task) {
      support::LockGuard<Lock> guard(queue_.lock_);
      if (pred_()) {
        queue_.waiters_.withdraw(waiter_);
        return true;
      }
      queue_.waiters_.wait(waiter_, task.waker());
      return false;
    }
    void await_resume() {}

   private:
    BasicWaitQueue& queue_;
    Pred pred_;
    detail::Waiter waiter_ GUARDED_BY(queue_.lock_);  // on queue_.waiters_ while waiting
  };

  template <typename Pred> WaitUntil<Pred> wait_until(Pred pred) {
    return WaitUntil<Pred>(*this, support::move(pred));
  }

  // co_await queue.wait(): resumes after a notify_one/notify_all that comes after this wait
  // began (a spurious wake-up does not resume it).
  class Wait : public Leaf<Wait> {
   public:
    explicit Wait(BasicWaitQueue& queue) : queue_(queue) {}
    Wait(const Wait&) = delete;
    ~Wait() {
      support::LockGuard<Lock> guard(queue_.lock_);
      if (queue_.waiters_.withdraw(waiter_)) queue_.waiters_.wake_one();
    }
    bool poll(TaskHeader& task) {
      support::LockGuard<Lock> guard(queue_.lock_);
      if (registered_ && waiter_.woken) {
        queue_.waiters_.withdraw(waiter_);
        return true;
      }
      queue_.waiters_.wait(waiter_, task.waker());
      registered_ = true;
      return false;
    }
    void await_resume() {}

   private:
    BasicWaitQueue& queue_;
    detail::Waiter waiter_ GUARDED_BY(queue_.lock_);  // on queue_.waiters_ while waiting
    bool registered_ = false;
  };
  Wait wait() { return Wait(*this); }

  void notify_one() {
    support::LockGuard<Lock> guard(lock_);
    waiters_.wake_one();
  }
  void notify_all() {
    support::LockGuard<Lock> guard(lock_);
    waiters_.wake_all();
  }
  usize waiting() {
    support::LockGuard<Lock> guard(lock_);
    return waiters_.size();
  }

 private:
  Lock lock_;
  detail::WaiterList waiters_ GUARDED_BY(lock_);
};
using WaitQueue = BasicWaitQueue<>;

// A counting semaphore. acquire() suspends while no permit is free; waiters are served first
// come, first served, except that a permit released while a woken waiter has not yet run may go
// to a task that asks first (it then waits again, at the back).
class Semaphore {
 public:
  explicit Semaphore(usize permits) : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  bool try_acquire() {
    support::LockGuard guard(lock_);
    if (permits_ == 0) return false;
    --permits_;
    return true;
  }
  void release(usize permits = 1) {
    support::LockGuard guard(lock_);
    permits_ += permits;
    for (usize i = 0; i < permits && waiters_.wake_one(); ++i) {
    }
  }
  usize available() {
    support::LockGuard guard(lock_);
    return permits_;
  }

  class Acquire : public Leaf<Acquire> {
   public:
    explicit Acquire(Semaphore& semaphore) : semaphore_(semaphore) {}
    Acquire(const Acquire&) = delete;
    ~Acquire() {
      support::LockGuard guard(semaphore_.lock_);
      if (semaphore_.waiters_.withdraw(waiter_) && semaphore_.permits_ > 0) {
        semaphore_.waiters_.wake_one();
      }
    }
    bool poll(TaskHeader& task) {
      support::LockGuard guard(semaphore_.lock_);
      if (semaphore_.permits_ > 0) {
        --semaphore_.permits_;
        semaphore_.waiters_.withdraw(waiter_);
        return true;
      }
      semaphore_.waiters_.wait(waiter_, task.waker());
      return false;
    }
    void await_resume() {}

   protected:
    Semaphore& semaphore_;
    detail::Waiter waiter_ GUARDED_BY(semaphore_.lock_);  // on semaphore_.waiters_ while waiting
  };
  // co_await semaphore.acquire(): takes one permit, suspending until one is free.
  Acquire acquire() { return Acquire(*this); }

 private:
  support::SpinLock lock_;
  usize permits_ GUARDED_BY(lock_);
  detail::WaiterList waiters_ GUARDED_BY(lock_);
};

class Mutex;

// Holds a Mutex; unlocks it when destroyed (also when the holding task is cancelled).
class [[nodiscard]] MutexGuard {
 public:
  explicit MutexGuard(Mutex& mutex) : mutex_(&mutex) {}
  MutexGuard(MutexGuard&& other) : mutex_(other.mutex_) { other.mutex_ = nullptr; }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;
  inline ~MutexGuard();
  inline void unlock();

 private:
  Mutex* mutex_;
};

// A mutual-exclusion lock for tasks: lock() suspends while another task holds it.
class Mutex {
 public:
  Mutex() = default;

  class Lock : public Semaphore::Acquire {
   public:
    explicit Lock(Mutex& mutex) : Semaphore::Acquire(mutex.semaphore_), mutex_(mutex) {}
    MutexGuard await_resume() { return MutexGuard(mutex_); }

   private:
    Mutex& mutex_;
  };
  // `MutexGuard guard = co_await mutex.lock();`
  Lock lock() { return Lock(*this); }
  // A guard when the mutex was free, else nothing.
  support::Optional<MutexGuard> try_lock() {
    if (!semaphore_.try_acquire()) return support::kNone;
    return MutexGuard(*this);
  }
  bool is_locked() { return semaphore_.available() == 0; }

 private:
  friend class MutexGuard;
  Semaphore semaphore_{1};
};

MutexGuard::~MutexGuard() { unlock(); }
void MutexGuard::unlock() {
  if (mutex_ != nullptr) mutex_->semaphore_.release();
  mutex_ = nullptr;
}

}  // namespace async
