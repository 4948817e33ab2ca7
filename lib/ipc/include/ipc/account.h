// Account: where the memory that IPC allocates for a program is charged. Every allocation this
// library makes on a program's behalf (its handle table's slots, the pipes and channels it
// creates, the messages it sends, the connections it asks for, the services it publishes) is
// charged to an Account first, with support::allocation_cost (what the kernel heap really takes),
// and refused with Error::LimitReached when the account says no. The kernel implements it over
// a program's share of the pool of all programs (kernel/proc, ProgramAccount); tests and simple
// embedders use BoundedAccount.
//
// A charge can outlive the call that made it (a message queued at another program charges its
// sender until it is received; a pipe charges its creator until both ends are gone, possibly
// after the creator ended), so a kept charge holds the account with retain()/release(). The
// kernel's implementation keeps the program's record alive that way; BoundedAccount has no
// count and must simply outlive every charge made to it.
#pragma once

#include <ipc/error.h>
#include <support/atomic.h>
#include <support/types.h>

namespace ipc {

class Account {
 public:
  // Charges `bytes`: true, or false (nothing charged) when that would pass the account's limit.
  // Called from any thread, possibly with a handle table's lock held: it must not call back
  // into IPC.
  virtual bool charge(u64 bytes) = 0;
  virtual void uncharge(u64 bytes) = 0;
  // Keep the account alive while a charge to it is held (Charge does it).
  virtual void retain() {}
  virtual void release() {}

 protected:
  ~Account() = default;
};

// A charge held: given back (uncharge, then release) when the Charge is destroyed or reset.
// Move-only. An empty Charge holds nothing.
class Charge {
 public:
  Charge() = default;
  Charge(const Charge&) = delete;
  Charge& operator=(const Charge&) = delete;
  Charge(Charge&& other) : account_(other.account_), bytes_(other.bytes_) {
    other.account_ = nullptr;
    other.bytes_ = 0;
  }
  Charge& operator=(Charge&& other) {
    if (this != &other) {
      reset();
      account_ = other.account_;
      bytes_ = other.bytes_;
      other.account_ = nullptr;
      other.bytes_ = 0;
    }
    return *this;
  }
  ~Charge() { reset(); }

  // Charges `bytes` to `account`: Error::LimitReached when refused.
  static Result<Charge> take(Account& account, u64 bytes) {
    if (!account.charge(bytes)) return Error::LimitReached;
    account.retain();
    Charge charge;
    charge.account_ = &account;
    charge.bytes_ = bytes;
    return charge;
  }

  // Charges `more` to the same account (which must be set): Error::LimitReached when refused.
  Result<void> grow(u64 more) {
    if (!account_->charge(more)) return Error::LimitReached;
    bytes_ += more;
    return {};
  }
  // Gives `less` (at most bytes()) back now, keeping the rest.
  void shrink(u64 less) {
    account_->uncharge(less);
    bytes_ -= less;
  }

  void reset() {
    if (account_ == nullptr) return;
    Account* account = account_;
    u64 bytes = bytes_;
    account_ = nullptr;
    bytes_ = 0;
    account->uncharge(bytes);
    account->release();
  }

  Account* account() const { return account_; }
  u64 bytes() const { return bytes_; }

 private:
  Account* account_ = nullptr;
  u64 bytes_ = 0;
};

// A count of bytes with a limit, and optionally a parent that is charged too (a program's share
// of a pool): a charge succeeds only if both have room. Thread-safe (atomics only). Has no
// reference count: it must outlive every charge made to it.
class BoundedAccount final : public Account {
 public:
  explicit BoundedAccount(u64 limit, Account* parent = nullptr) : limit_(limit), parent_(parent) {}

  bool charge(u64 bytes) override {
    u64 used = used_.load(support::MemoryOrder::Relaxed);
    do {
      if (bytes > limit_ - used) return false;
      // Relaxed would do for a counter; the default order keeps TSan's view simple.
    } while (!used_.compare_exchange(used, used + bytes));
    if (parent_ != nullptr && !parent_->charge(bytes)) {
      used_.fetch_sub(bytes);
      return false;
    }
    return true;
  }
  void uncharge(u64 bytes) override {
    if (parent_ != nullptr) parent_->uncharge(bytes);
    used_.fetch_sub(bytes);
  }

  u64 used() const { return used_.load(); }
  u64 limit() const { return limit_; }

 private:
  const u64 limit_;
  Account* const parent_;
  support::Atomic<u64> used_{0};
};

}  // namespace ipc
