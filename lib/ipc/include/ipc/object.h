// Object: the base of every kernel object a handle can name (files, directories and the console,
// which the kernel defines as subclasses; pipe ends, channel ends and services, defined here), its
// signals and their observers, and Ref<T>, the counted pointer to one. See docs/ipc.md.
//
// Two counts, two meanings:
//  - references (Ref<T>, acquire/release) keep the memory: the last one destroys the object.
//    The kernel takes one for the length of an operation (a "transient reference").
//  - handles (ipc::Handle, in a table or in a message on its way) keep the object OPEN: when the
//    last handle goes, on_last_handle() runs once (a pipe end closes: its peer sees end of file
//    or a broken pipe; a channel end's queue is freed; a service is unpublished), even while
//    transient references remain. An object never gets handles again once they are all gone.
//
// Signals are what a waiter can wait for (Readable, Writable, PeerClosed ...), kept by each
// object under its lock and readable at any time without it. An Observer registered on an
// object is called, with the object's lock held, each time one of the signals it watches becomes
// asserted; WaitSet (wait_set.h) builds "wait on several handles at once" from it.
//
// Locks. Each object guards its state with its lock(): its own, or one shared by the two ends of
// a pipe or a channel (the ends' states are changed together). Lock order (docs/ipc.md):
//   handle table  ->  Account::charge (its slots grow); never an object's lock
//   object locks  ->  observer callbacks (leaves: they take no IPC lock)
// Object locks are never nested, except by a channel write that carries channel ends or services:
// it takes all the locks involved in address order. on_last_handle() and destroy() run with no
// IPC lock held. No operation may be called from an interrupt handler (the locks do not mask
// interrupts): the kernel changes an object's signals from task context.
#pragma once

#include <ipc/flags.h>
#include <support/atomic.h>
#include <support/intrusive_list.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>
#include <support/types.h>
#include <support/utility.h>

namespace ipc {

class Reaper;

// What an object is. Kinds 8..15 are the embedder's own (embedder_kind(n)); the live-object
// counters (stats::objects) have one slot per kind.
enum class Kind : u8 {
  File = 0,
  Directory = 1,
  Console = 2,
  PipeReader = 3,
  PipeWriter = 4,
  ChannelEnd = 5,
  Service = 6,
  Socket = 7,
};
inline constexpr u32 kKindCount = 16;
inline constexpr u32 kFirstEmbedderKind = 8;
constexpr Kind embedder_kind(u32 n) { return static_cast<Kind>(kFirstEmbedderKind + n); }
// "file", "pipe reader" ... ("embedder N" past Socket).
const char* kind_name(Kind kind);

// Objects of these kinds can hold handles (a channel end's queue, a service's pending
// connections): the kinds the cycle rule of channel writes looks at (docs/ipc.md, "Cycles").
constexpr bool carries_handles(Kind kind) {
  return kind == Kind::ChannelEnd || kind == Kind::Service;
}

using Signals = Flags<struct SignalsTag, u32>;

namespace signal {
inline constexpr Signals kNone{0};
// Pipe reader: bytes to read. Channel end: a message to read. Service: a connection to accept.
inline constexpr Signals kReadable{1u << 0};
// Pipe writer: room for a write of up to kPipeAtomicWrite bytes. Channel end: room in the
// peer's queue for one more message.
inline constexpr Signals kWritable{1u << 1};
// Pipe reader: every writer is gone (read gives end of file once empty). Pipe writer: every
// reader is gone (write fails with PeerClosed). Channel end: the peer is closed (messages
// already queued stay readable).
inline constexpr Signals kPeerClosed{1u << 2};
// Bits 3..15 are reserved for this library; 16..31 are the embedder's (its objects' own).
inline constexpr u32 kEmbedderShift = 16;
constexpr Signals embedder(u32 bits) { return Signals(bits << kEmbedderShift); }
}  // namespace signal

class Object;

// A registration for an object's signals. The owner keeps it (it is intrusive: registering
// allocates nothing) and must unobserve it before it is destroyed.
class Observer {
 public:
  // Called with the observed object's lock held, on whatever thread changed the signals, each
  // time one of the watched signals goes from clear to asserted (`now` is the object's whole
  // set). It must be short and must not call any IPC operation, nor take a lock that is held
  // around one: it is a leaf (the kernel rings the waiting program's doorbell; a thread wakes a
  // condition variable).
  using Callback = void (*)(Observer& observer, Object& object, Signals now);

  explicit Observer(Callback callback, void* context = nullptr)
      : callback_(callback), context_(context) {}
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  void* context() const { return context_; }
  void set_context(void* context) { context_ = context; }

  support::IntrusiveNode link;  // on the observed object's list (under its lock)

 private:
  friend class Object;
  Callback callback_;
  void* context_;
  Signals mask_;                // under the observed object's lock
  Object* observed_ = nullptr;  // likewise
};

class Object {
 public:
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  Kind kind() const { return kind_; }
  // The signals asserted now (a snapshot: they may change as soon as it is read).
  Signals signals() const { return Signals(signals_.load(support::MemoryOrder::Acquire)); }
  // The handles that keep the object open (tests and diagnostics).
  u32 handle_count() const { return handles_.load(support::MemoryOrder::Relaxed) & ~kRetired; }
  // True once the last handle went (on_last_handle ran or is running).
  bool retired() const { return (handles_.load(support::MemoryOrder::Acquire) & kRetired) != 0; }
  // The lock that guards this object's state (shared by the two ends of a pipe or a channel).
  support::SpinLock& lock() const RETURN_CAPABILITY(*lock_) { return *lock_; }

  // Registers `observer` for the signals in `mask` and returns the signals asserted now, read
  // under the same lock, so that nothing asserted after this check goes unnoticed. The observer
  // must not be registered anywhere. Takes lock().
  Signals observe(Observer& observer, Signals mask) EXCLUDES(*lock_);
  // Unregisters `observer` (registered here). Once it returns the callback is not running and
  // will not run again. Returns the signals asserted now. Takes lock().
  Signals unobserve(Observer& observer) EXCLUDES(*lock_);

  // For carrier kinds (carries_handles): how many carrier handles wait in this object's queue.
  // lock() held. A carrier with any cannot be sent through a channel (docs/ipc.md, "Cycles").
  virtual u32 queued_carriers_locked() const { return 0; }

  // References (Ref<T> does this). The last release destroys the object.
  void acquire() { refs_.fetch_add(1, support::MemoryOrder::Relaxed); }
  void release() {
    if (refs_.fetch_sub(1, support::MemoryOrder::AcqRel) == 1) destroy();
  }

 protected:
  // An object with a lock of its own.
  explicit Object(Kind kind);
  // An object whose state is guarded by `shared_lock`, which must outlive it.
  Object(Kind kind, support::SpinLock& shared_lock);
  virtual ~Object();

  // Called once when the last handle goes, with no IPC lock held, on the thread that dropped it;
  // the object is still referenced while it runs. Handles that the object held (a queue of
  // messages) go to `reaper`, which drops them after it returns (never recursively).
  virtual void on_last_handle(Reaper& reaper) {}
  // Frees the object when its last reference goes (with no IPC lock held). Default: delete this
  // (the object came from new (std::nothrow)). The ends of a pipe or a channel override it.
  virtual void destroy() { delete this; }

  // lock() held. Sets the signals in `managed` to their value in `value` (others unchanged) and
  // calls the observers watching any signal that became asserted. Not checked by the analysis:
  // the ends of a pair call it holding the pair's lock, which it cannot tie to lock().
  void set_signals_locked(Signals managed, Signals value) NO_THREAD_SAFETY_ANALYSIS;

 private:
  friend class Handle;
  friend class Reaper;
  static constexpr u32 kRetired = 1u << 31;

  // Handle counting (Handle and Reaper): the first handle of a new object (false if it ever had
  // one), another one while one is held, and one dropped (true: it was the last).
  bool add_first_handle();
  void add_handle() { handles_.fetch_add(1, support::MemoryOrder::Relaxed); }
  bool drop_handle();

  support::Atomic<u32> refs_{0};
  support::Atomic<u32> handles_{0};  // count, and kRetired once it went to zero
  support::Atomic<u32> signals_{0};  // written under lock()
  const Kind kind_;
  support::SpinLock own_lock_;
  support::SpinLock* const lock_;
  support::IntrusiveList<Observer, &Observer::link> observers_ GUARDED_BY(*lock_);
};

// A counted reference to an object (an intrusive shared pointer). Copying takes a reference,
// destruction drops one.
template <typename T> class Ref {
 public:
  constexpr Ref() = default;
  constexpr Ref(decltype(nullptr)) {}
  // Takes a new reference to `object` (may be null).
  explicit Ref(T* object) : object_(object) {
    if (object_ != nullptr) object_->acquire();
  }
  Ref(const Ref& other) : Ref(other.object_) {}
  Ref(Ref&& other) : object_(other.object_) { other.object_ = nullptr; }
  // From a reference to a derived type.
  template <typename U> Ref(const Ref<U>& other) : Ref(static_cast<T*>(other.get())) {}
  template <typename U> Ref(Ref<U>&& other) : object_(other.leak()) {}
  Ref& operator=(Ref other) {
    T* mine = object_;
    object_ = other.object_;
    other.object_ = mine;
    return *this;
  }
  ~Ref() { reset(); }

  void reset() {
    T* object = object_;
    object_ = nullptr;
    if (object != nullptr) object->release();
  }
  // Gives the reference up without dropping it (for adopt()).
  T* leak() {
    T* object = object_;
    object_ = nullptr;
    return object;
  }
  // Takes over a reference already counted (one that leak() gave up).
  static Ref adopt(T* object) {
    Ref ref;
    ref.object_ = object;
    return ref;
  }

  T* get() const { return object_; }
  T* operator->() const { return object_; }
  T& operator*() const { return *object_; }
  explicit operator bool() const { return object_ != nullptr; }
  template <typename U> bool operator==(const Ref<U>& other) const {
    return object_ == other.get();
  }

 private:
  T* object_ = nullptr;
};

// A reference to `object` as a T (whose static kKind names its kind), or null if it is another
// kind. There is no RTTI: the kind tag is the check.
template <typename T> Ref<T> ref_cast(const Ref<Object>& object) {
  if (!object || object->kind() != T::kKind) return nullptr;
  return Ref<T>(static_cast<T*>(object.get()));
}

// Live counts for leak tests and diagnostics (docs/ipc.md, "Counters"): objects constructed and
// not yet destroyed, per kind and in all; handles in existence (in tables, in messages, held by
// the kernel); messages not yet freed. Global, and the one piece of mutable global state here:
// they never affect behaviour.
namespace stats {
u64 objects(Kind kind);
u64 objects();
u64 handles();
u64 messages();
}  // namespace stats

}  // namespace ipc
