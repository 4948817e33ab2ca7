// Channels between tasks: Channel<T, N>, a bounded multi-producer multi-consumer queue of up to
// N values, and Oneshot<T>, a single value handed from one side to the other. Both live where
// their owner puts them (a frame, an object) and allocate nothing; they must outlive every task
// that uses them. Senders suspend while the channel is full, receivers while it is empty.
#pragma once

#include <async/sync.h>
#include <support/new.h>

namespace async {

template <typename T, usize N> class Channel {
  static_assert(N > 0, "a channel holds at least one value");

 public:
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() {
    while (count_ > 0) take().~T();
  }

  // co_await channel.send(value): Result<void, Error>; Error::Closed (the value is dropped)
  // once close() was called.
  class Send : public Leaf<Send> {
   public:
    Send(Channel& channel, T value) : channel_(channel), value_(support::move(value)) {}
    Send(const Send&) = delete;
    ~Send() {
      support::LockGuard guard(channel_.lock_);
      if (channel_.senders_.withdraw(waiter_) && channel_.count_ < N) channel_.senders_.wake_one();
    }
    bool poll(TaskHeader& task) {
      support::LockGuard guard(channel_.lock_);
      if (channel_.closed_) {
        channel_.senders_.withdraw(waiter_);
        result_ = Error::Closed;
        return true;
      }
      if (channel_.count_ < N) {
        channel_.senders_.withdraw(waiter_);
        channel_.put(support::move(value_));
        channel_.receivers_.wake_one();
        return true;
      }
      channel_.senders_.wait(waiter_, task.waker());
      return false;
    }
    support::Result<void, Error> await_resume() { return result_; }

   private:
    Channel& channel_;
    T value_;
    detail::Waiter waiter_ GUARDED_BY(channel_.lock_);  // on channel_.senders_ while waiting
    support::Result<void, Error> result_;
  };

  // co_await channel.recv(): Result<T, Error>; Error::Closed once closed and empty.
  class Recv : public Leaf<Recv> {
   public:
    explicit Recv(Channel& channel) : channel_(channel) {}
    Recv(const Recv&) = delete;
    ~Recv() {
      support::LockGuard guard(channel_.lock_);
      if (channel_.receivers_.withdraw(waiter_) && channel_.count_ > 0) {
        channel_.receivers_.wake_one();
      }
    }
    bool poll(TaskHeader& task) {
      support::LockGuard guard(channel_.lock_);
      if (channel_.count_ > 0) {
        channel_.receivers_.withdraw(waiter_);
        value_ = channel_.take();
        channel_.senders_.wake_one();
        return true;
      }
      if (channel_.closed_) {
        channel_.receivers_.withdraw(waiter_);
        return true;
      }
      channel_.receivers_.wait(waiter_, task.waker());
      return false;
    }
    support::Result<T, Error> await_resume() {
      if (!value_.has_value()) return Error::Closed;
      return support::move(*value_);
    }

   private:
    Channel& channel_;
    detail::Waiter waiter_ GUARDED_BY(channel_.lock_);  // on channel_.receivers_ while waiting
    support::Optional<T> value_;
  };

  Send send(T value) { return Send(*this, support::move(value)); }
  Recv recv() { return Recv(*this); }

  // Without suspending: a value if one is queued.
  support::Optional<T> try_recv() {
    support::LockGuard guard(lock_);
    if (count_ == 0) return support::kNone;
    support::Optional<T> value(take());
    senders_.wake_one();
    return value;
  }

  // Refuses further sends and wakes every waiter; queued values can still be received.
  void close() {
    support::LockGuard guard(lock_);
    closed_ = true;
    senders_.wake_all();
    receivers_.wake_all();
  }
  usize size() {
    support::LockGuard guard(lock_);
    return count_;
  }

 private:
  T* slot(usize index) REQUIRES(lock_) { return reinterpret_cast<T*>(storage_) + index; }
  void put(T&& value) REQUIRES(lock_) {
    new (slot((head_ + count_) % N)) T(support::move(value));
    ++count_;
  }
  T take() REQUIRES(lock_) {
    T* at = slot(head_);
    T value(support::move(*at));
    at->~T();
    head_ = (head_ + 1) % N;
    --count_;
    return value;
  }

  support::SpinLock lock_;
  alignas(T) unsigned char storage_[sizeof(T) * N] GUARDED_BY(lock_);
  usize head_ GUARDED_BY(lock_) = 0;
  usize count_ GUARDED_BY(lock_) = 0;
  bool closed_ GUARDED_BY(lock_) = false;
  detail::WaiterList senders_ GUARDED_BY(lock_);
  detail::WaiterList receivers_ GUARDED_BY(lock_);
};

// One value, sent once, received once. send() never suspends; co_await recv() waits for it and
// yields Error::Closed if the sender called close() instead.
template <typename T> class Oneshot {
 public:
  Oneshot() = default;
  Oneshot(const Oneshot&) = delete;
  Oneshot& operator=(const Oneshot&) = delete;

  // Error::Closed when a value was already sent or the channel closed.
  support::Result<void, Error> send(T value) {
    support::LockGuard guard(lock_);
    if (closed_) return Error::Closed;
    value_ = support::move(value);
    closed_ = true;
    receiver_.wake_all();
    return {};
  }
  void close() {
    support::LockGuard guard(lock_);
    closed_ = true;
    receiver_.wake_all();
  }

  class Recv : public Leaf<Recv> {
   public:
    explicit Recv(Oneshot& oneshot) : oneshot_(oneshot) {}
    Recv(const Recv&) = delete;
    ~Recv() {
      support::LockGuard guard(oneshot_.lock_);
      oneshot_.receiver_.withdraw(waiter_);
    }
    bool poll(TaskHeader& task) {
      support::LockGuard guard(oneshot_.lock_);
      if (oneshot_.closed_) {
        oneshot_.receiver_.withdraw(waiter_);
        return true;
      }
      oneshot_.receiver_.wait(waiter_, task.waker());
      return false;
    }
    support::Result<T, Error> await_resume() {
      support::LockGuard guard(oneshot_.lock_);
      if (!oneshot_.value_.has_value()) return Error::Closed;
      T value = support::move(*oneshot_.value_);
      oneshot_.value_.reset();
      return value;
    }

   private:
    Oneshot& oneshot_;
    detail::Waiter waiter_ GUARDED_BY(oneshot_.lock_);  // on oneshot_.receiver_ while waiting
  };
  Recv recv() { return Recv(*this); }

 private:
  support::SpinLock lock_;
  support::Optional<T> value_ GUARDED_BY(lock_);
  bool closed_ GUARDED_BY(lock_) = false;
  detail::WaiterList receiver_ GUARDED_BY(lock_);
};

}  // namespace async
