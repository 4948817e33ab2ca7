// Objects, references, handles and observers (object.h, handle.h), with an object of the kind
// the kernel will define itself (a file).
#include <ipc/handle.h>
#include <ipc/message.h>
#include <ipc/object.h>

#include <vector>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

// What the kernel's file objects will look like: a subclass with its own kind and lock.
class TestFile final : public Object {
 public:
  static constexpr Kind kKind = Kind::File;
  explicit TestFile(int* closes = nullptr, int* destroyed = nullptr)
      : Object(kKind), closes_(closes), destroyed_(destroyed) {}
  ~TestFile() override {
    if (destroyed_ != nullptr) ++*destroyed_;
  }
  void set(Signals managed, Signals value) {
    support::LockGuard<support::SpinLock> guard(lock());
    set_signals_locked(managed, value);
  }

 private:
  void on_last_handle(ipc::Reaper&) override {
    if (closes_ != nullptr) ++*closes_;
  }
  int* closes_;
  int* destroyed_;
};

// An embedder's kind of its own.
class Other final : public Object {
 public:
  static constexpr Kind kKind = ipc::embedder_kind(1);
  Other() : Object(kKind) {}
};

class ObjectTest : public IpcTest {};

TEST_F(ObjectTest, LastReferenceDestroysAndCountersFollow) {
  u64 files = ipc::stats::objects(Kind::File);
  int destroyed = 0;
  {
    Ref<TestFile> file(new TestFile(nullptr, &destroyed));
    EXPECT_EQ(ipc::stats::objects(Kind::File), files + 1);
    Ref<Object> second = file;
    file.reset();
    EXPECT_EQ(destroyed, 0);
    EXPECT_EQ(second->kind(), Kind::File);
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(ipc::stats::objects(Kind::File), files);
}

TEST_F(ObjectTest, LastHandleClosesOnceWhileTransientReferencesKeepTheMemory) {
  int closes = 0, destroyed = 0;
  u64 handles = ipc::stats::handles();
  Handle first = MUST(Handle::create(Ref<Object>(new TestFile(&closes, &destroyed)),
                                     right::kRead | right::kDuplicate));
  EXPECT_EQ(ipc::stats::handles(), handles + 1);
  Handle second = MUST(first.duplicate());
  EXPECT_EQ(first.object()->handle_count(), 2u);
  Ref<Object> transient = first.ref();  // the kernel, in the middle of an operation
  first.reset();
  EXPECT_EQ(closes, 0);
  second.reset();
  EXPECT_EQ(closes, 1);  // closed although a reference remains
  EXPECT_TRUE(transient->retired());
  EXPECT_EQ(destroyed, 0);
  // A closed object never gets a handle again.
  EXPECT_EQ(Handle::create(transient, right::kRead).error(), ipc::Error::BadHandle);
  transient.reset();
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(closes, 1);
}

TEST_F(ObjectTest, DuplicateNeverIncreasesRights) {
  Handle h = MUST(Handle::create(Ref<Object>(new TestFile), right::kRead | right::kDuplicate));
  Handle reduced = MUST(h.duplicate(right::kRead));
  EXPECT_EQ(reduced.rights(), right::kRead);
  // More than the source has, or from a handle without kDuplicate.
  EXPECT_EQ(h.duplicate(right::kRead | right::kWrite).error(), ipc::Error::AccessDenied);
  EXPECT_EQ(reduced.duplicate(right::kRead).error(), ipc::Error::AccessDenied);
  EXPECT_EQ(reduced.reduce(right::kWrite).error(), ipc::Error::AccessDenied);
  EXPECT_TRUE(reduced.reduce(right::kNone).is_ok());
  EXPECT_EQ(reduced.rights(), right::kNone);
  EXPECT_EQ(h.object()->handle_count(), 2u);
}

TEST_F(ObjectTest, WordTravelsWithDuplicates) {
  Handle h = MUST(Handle::create(Ref<Object>(new TestFile), right::kDuplicate));
  h.set_word(0x1234);
  EXPECT_EQ(MUST(h.duplicate()).word(), 0x1234u);
}

TEST_F(ObjectTest, RefCastChecksTheKind) {
  Ref<Object> object(new TestFile);
  EXPECT_TRUE(ipc::ref_cast<TestFile>(object));
  EXPECT_FALSE(ipc::ref_cast<Other>(object));
  Ref<Object> other(new Other);
  EXPECT_TRUE(ipc::ref_cast<Other>(other));
  EXPECT_EQ(ipc::stats::objects(ipc::embedder_kind(1)), 1u);
  EXPECT_STREQ(ipc::kind_name(Kind::PipeReader), "pipe reader");
}

struct Seen {
  std::vector<Signals> calls;
  static void record(ipc::Observer& observer, Object&, Signals now) {
    static_cast<Seen*>(observer.context())->calls.push_back(now);
  }
};

TEST_F(ObjectTest, ObserversHearRisingEdgesOfWatchedSignalsOnly) {
  Ref<TestFile> file(new TestFile);
  Seen seen;
  ipc::Observer observer(&Seen::record, &seen);
  file->set(signal::kWritable, signal::kWritable);
  // Registration reports what is asserted already; no call for it.
  EXPECT_EQ(file->observe(observer, signal::kReadable | signal::kPeerClosed), signal::kWritable);
  EXPECT_TRUE(seen.calls.empty());
  file->set(signal::kWritable, signal::kNone);  // not watched
  file->set(signal::kReadable, signal::kReadable);
  file->set(signal::kReadable, signal::kReadable);  // no change: no call
  file->set(signal::kReadable, signal::kNone);      // falling: no call
  file->set(signal::kPeerClosed | signal::kReadable, signal::kPeerClosed | signal::kReadable);
  ASSERT_EQ(seen.calls.size(), 2u);
  EXPECT_EQ(seen.calls[0], signal::kReadable);
  EXPECT_EQ(seen.calls[1], signal::kPeerClosed | signal::kReadable);
  EXPECT_EQ(file->unobserve(observer), signal::kPeerClosed | signal::kReadable);
  file->set(signal::kReadable, signal::kNone);
  file->set(signal::kReadable, signal::kReadable);
  EXPECT_EQ(seen.calls.size(), 2u);  // gone after unobserve
  // Embedder signals live above the library's.
  file->set(signal::embedder(1), signal::embedder(1));
  EXPECT_TRUE(file->signals().contains(signal::embedder(1)));
}

TEST_F(ObjectTest, FreeingAMessageClosesWhatItCarriesAndGivesItsChargeBack) {
  int closes = 0;
  ipc::MessagePtr message = MUST(ipc::Message::create(account, {}, 1000));
  for (Handle& h : message->handles()) {
    h = MUST(Handle::create(Ref<Object>(new TestFile(&closes)), right::kRead));
  }
  EXPECT_GT(account.used(), 1000 * sizeof(Handle));
  message.reset();
  EXPECT_EQ(closes, 1000);
  EXPECT_EQ(account.used(), 0u);
}

}  // namespace
}  // namespace ipc_test
