// WaitSet: waiting on several objects at once (poll_oneoff over pipe ends, "ready to read, peer
// closed, writable" over channel ends), built from Observers.
//
// The caller adds each object with the signals it waits for, then polls: the entries whose
// watched signals are asserted are ready. If none is, the caller suspends (the kernel: the
// program, holding no hart; a host thread: on a condition variable) until the set's Waker is
// called, then polls again. Nothing is lost between the poll and the suspension: add() registers
// the observer before it reads the signals, so any signal asserted after that calls the Waker;
// the Waker must remember a call that comes before the caller suspends (a doorbell).
//
// The set holds a reference to each object, so an observed object stays valid; it does not keep
// it open. Storage for the entries is the caller's (no allocation here). Not thread-safe: one
// owner adds, polls and clears; only the Waker is called from other threads.
#pragma once

#include <ipc/error.h>
#include <ipc/handle_table.h>
#include <ipc/object.h>
#include <support/span.h>

namespace ipc {

class WaitSet {
 public:
  // Called on whatever thread asserted a watched signal, with that object's lock held, possibly
  // on several threads at once: the rules of Observer::Callback apply (a leaf: ring a doorbell).
  class Waker {
   public:
    virtual void wake() = 0;

   protected:
    ~Waker() = default;
  };

  class Entry {
   public:
    Entry() : observer_(&WaitSet::notify) {}
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    friend class WaitSet;
    Observer observer_;
    Ref<Object> object_;
    Signals mask_;
    u64 key_ = 0;
    WaitSet* set_ = nullptr;
  };

  struct Ready {
    u64 key = 0;
    Signals signals;  // the watched signals asserted (signals & mask)
  };

  // Up to storage.size() entries, which must outlive the set.
  WaitSet(support::Span<Entry> storage, Waker& waker) : entries_(storage), waker_(waker) {}
  ~WaitSet() { clear(); }
  WaitSet(const WaitSet&) = delete;
  WaitSet& operator=(const WaitSet&) = delete;

  // Watches `object` for `mask`; `key` names it in poll()'s results. Invalid when the storage
  // is full or `object` is null. Takes the object's lock.
  Result<void> add(Ref<Object> object, Signals mask, u64 key);
  // Watches the object at `number` of `table`, which needs kWait: BadHandle, AccessDenied.
  Result<void> add(HandleTable& table, u32 number, Signals mask, u64 key);

  // Writes the ready entries (in the order they were added) to `out`, at most out.size() of
  // them, and returns how many were written. Reads the signals without locks.
  usize poll(support::Span<Ready> out) const;
  usize size() const { return count_; }
  // Unregisters every entry and drops its reference. After it returns the Waker is not called.
  void clear();

 private:
  static void notify(Observer& observer, Object& object, Signals now);

  support::Span<Entry> entries_;
  usize count_ = 0;
  Waker& waker_;
};

}  // namespace ipc
