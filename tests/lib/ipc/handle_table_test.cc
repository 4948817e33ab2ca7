// HandleTable: numbering, limits, rights, renumbering, transfers and closing (handle_table.h).
#include <ipc/handle_table.h>
#include <ipc/pipe.h>

#include <vector>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

class TestObject final : public Object {
 public:
  static constexpr Kind kKind = Kind::Console;
  TestObject() : Object(kKind) {}
};

Handle make(ipc::Rights rights = right::kRead | right::kWrite | right::kDuplicate |
                                 right::kTransfer | right::kWait) {
  return MUST(Handle::create(Ref<Object>(new TestObject), rights));
}

class HandleTableTest : public IpcTest {
 protected:
  u32 put(ipc::Rights rights = right::kRead | right::kWrite | right::kDuplicate | right::kTransfer |
                               right::kWait) {
    Handle h = make(rights);
    return MUST(table.insert(h));
  }
};

TEST_F(HandleTableTest, NumbersAreTheLowestFree) {
  EXPECT_EQ(put(), 0u);
  EXPECT_EQ(put(), 1u);
  EXPECT_EQ(put(), 2u);
  EXPECT_EQ(table.count(), 3u);
  ASSERT_TRUE(table.close(1).is_ok());
  EXPECT_EQ(put(), 1u);
  EXPECT_EQ(put(), 3u);
  ASSERT_TRUE(table.close(0).is_ok());
  ASSERT_TRUE(table.close(2).is_ok());
  EXPECT_EQ(put(), 0u);
  EXPECT_EQ(put(), 2u);
  EXPECT_EQ(table.close(17).error(), Error::BadHandle);
  EXPECT_EQ(table.lookup(9).error(), Error::BadHandle);
}

TEST_F(HandleTableTest, LimitGivesTableFullAndFreeingMakesRoomAgain) {
  HandleTable small(account, 3);
  for (u32 i = 0; i < 3; ++i) {
    Handle h = make();
    EXPECT_EQ(MUST(small.insert(h)), i);
  }
  Handle extra = make();
  EXPECT_EQ(small.insert(extra).error(), Error::TableFull);
  EXPECT_TRUE(extra);  // left with the caller
  EXPECT_EQ(small.insert_at(3, extra).error(), Error::TableFull);
  ASSERT_TRUE(small.close(1).is_ok());
  EXPECT_EQ(MUST(small.insert(extra)), 1u);
  EXPECT_FALSE(extra);
  // Duplicates and received handles count against the same limit.
  EXPECT_EQ(small.duplicate(0).error(), Error::TableFull);
  u32 numbers[1];
  EXPECT_EQ(small.reserve(numbers).error(), Error::TableFull);
}

TEST_F(HandleTableTest, SlotsAreChargedAndARefusedChargeChangesNothing) {
  ipc::BoundedAccount tight(600);
  {
    HandleTable t(tight, 1000);
    for (u32 i = 0; i < 8; ++i) {
      Handle h = make();
      ASSERT_EQ(MUST(t.insert(h)), i);
    }
    u64 charged = tight.used();
    EXPECT_GT(charged, 8 * sizeof(Handle));
    // The ninth slot needs a bigger array than 600 bytes pay for.
    Handle h = make();
    EXPECT_EQ(t.insert(h).error(), Error::LimitReached);
    EXPECT_TRUE(h);
    EXPECT_EQ(t.count(), 8u);
    EXPECT_EQ(tight.used(), charged);
    EXPECT_EQ(t.renumber(0, 200).error(), Error::LimitReached);
    EXPECT_TRUE(t.lookup(0).is_ok());
  }
  EXPECT_EQ(tight.used(), 0u);
}

TEST_F(HandleTableTest, LookupChecksRightsAndKind) {
  u32 r = put(right::kRead);
  EXPECT_TRUE(table.lookup(r, right::kRead).is_ok());
  EXPECT_EQ(table.lookup(r, right::kRead | right::kWrite).error(), Error::AccessDenied);
  EXPECT_EQ(table.get<PipeReader>(r).error(), Error::WrongType);
  EXPECT_TRUE(table.get<TestObject>(r, right::kRead).is_ok());
  ASSERT_TRUE(table.set_word(r, 77).is_ok());
  EXPECT_EQ(MUST(table.lookup(r)).word, 77u);
}

TEST_F(HandleTableTest, DuplicateReducesAndNeverIncreasesRights) {
  u32 full = put(right::kRead | right::kWrite | right::kDuplicate);
  u32 read_only = MUST(table.duplicate(full, right::kRead));
  EXPECT_EQ(MUST(table.lookup(read_only)).rights, right::kRead);
  EXPECT_EQ(MUST(table.lookup(read_only)).object, MUST(table.lookup(full)).object);
  // No kDuplicate on the copy, and no right the source lacks.
  EXPECT_EQ(table.duplicate(read_only).error(), Error::AccessDenied);
  EXPECT_EQ(table.duplicate(full, right::kTransfer).error(), Error::AccessDenied);
  u32 same = MUST(table.duplicate(full));
  EXPECT_EQ(MUST(table.lookup(same)).rights, right::kRead | right::kWrite | right::kDuplicate);
  ASSERT_TRUE(table.reduce_rights(same, right::kWrite).is_ok());
  EXPECT_EQ(table.reduce_rights(same, right::kRead).error(), Error::AccessDenied);
  EXPECT_EQ(MUST(table.lookup(same)).object->handle_count(), 3u);
}

TEST_F(HandleTableTest, RenumberMovesAndClosesWhatWasThere) {
  Handle a = MUST(ipc::Pipe::create(account)).reader;
  ipc::PipeEnds pipe = MUST(ipc::Pipe::create(account));
  u32 zero = MUST(table.insert(a));
  u32 one = MUST(table.insert(pipe.writer));
  Ref<PipeReader> reader = ipc::ref_cast<PipeReader>(pipe.reader.ref());
  EXPECT_EQ(zero, 0u);
  // The writer at 1 replaces what was at 0 (its own pipe's reader, now closed), 1 is free.
  ASSERT_TRUE(table.renumber(one, zero).is_ok());
  EXPECT_EQ(table.lookup(one).error(), Error::BadHandle);
  EXPECT_EQ(MUST(table.lookup(zero)).object->kind(), Kind::PipeWriter);
  // To a number past the end of the array: it grows; to itself: nothing happens.
  ASSERT_TRUE(table.renumber(zero, 40).is_ok());
  ASSERT_TRUE(table.renumber(40, 40).is_ok());
  EXPECT_EQ(table.count(), 1u);
  EXPECT_EQ(table.renumber(3, 4).error(), Error::BadHandle);
  EXPECT_EQ(table.renumber(40, 64).error(), Error::BadHandle);  // past the limit
  ASSERT_TRUE(table.close(40).is_ok());
  EXPECT_TRUE(reader->signals().contains(ipc::signal::kPeerClosed));
}

TEST_F(HandleTableTest, InsertAtPlacesStandardStreams) {
  Handle h = make();
  ASSERT_TRUE(table.insert_at(2, h).is_ok());
  Handle again = make();
  EXPECT_EQ(table.insert_at(2, again).error(), Error::Exists);
  EXPECT_EQ(put(), 0u);
  EXPECT_EQ(put(), 1u);
  EXPECT_EQ(put(), 3u);
}

TEST_F(HandleTableTest, RemoveGivesTheHandleAndCloseAllClosesEverything) {
  u32 a = put();
  put();
  Handle taken = MUST(table.remove(a));
  EXPECT_TRUE(taken);
  u64 handles = ipc::stats::handles();
  table.close_all();
  EXPECT_EQ(ipc::stats::handles(), handles - 1);
  EXPECT_EQ(table.count(), 0u);
  // A closed table takes nothing more.
  EXPECT_EQ(table.insert(taken).error(), Error::BadHandle);
  table.close_all();
}

TEST_F(HandleTableTest, TakeIsAllOrNothingAndUndoRestoresRights) {
  u32 a = put(right::kRead | right::kWrite | right::kTransfer);
  u32 b = put(right::kRead | right::kTransfer);
  u32 c = put(right::kRead);  // no kTransfer
  Handle out[2];
  HandleTransfer no_transfer[2] = {{a, right::kSame}, {c, right::kSame}};
  EXPECT_EQ(table.take(no_transfer, out).error(), Error::AccessDenied);
  HandleTransfer twice[2] = {{a, right::kSame}, {a, right::kSame}};
  EXPECT_EQ(table.take(twice, out).error(), Error::Invalid);
  HandleTransfer more[2] = {{a, right::kSame}, {b, right::kWrite}};
  EXPECT_EQ(table.take(more, out).error(), Error::AccessDenied);
  HandleTransfer missing[2] = {{a, right::kSame}, {9, right::kSame}};
  EXPECT_EQ(table.take(missing, out).error(), Error::BadHandle);
  EXPECT_FALSE(out[0]);
  EXPECT_EQ(table.count(), 3u);

  HandleTransfer good[2] = {{a, right::kRead}, {b, right::kSame}};
  ASSERT_TRUE(table.take(good, out).is_ok());
  EXPECT_EQ(out[0].rights(), right::kRead);
  EXPECT_EQ(out[1].rights(), right::kRead | right::kTransfer);
  // Reserved: not found, not reused.
  EXPECT_EQ(table.lookup(a).error(), Error::BadHandle);
  EXPECT_EQ(table.close(b).error(), Error::BadHandle);
  EXPECT_EQ(put(), 3u);
  table.undo_take(good, out);
  EXPECT_EQ(MUST(table.lookup(a)).rights, right::kRead | right::kWrite | right::kTransfer);
  EXPECT_TRUE(table.lookup(b).is_ok());

  ASSERT_TRUE(table.take(good, out).is_ok());
  table.commit_take(good);
  EXPECT_EQ(put(), a);
  EXPECT_EQ(put(), b);
  EXPECT_EQ(table.count(), 4u);
}

TEST_F(HandleTableTest, ReserveFillAndUnreserve) {
  put();
  u32 numbers[3];
  ASSERT_TRUE(table.reserve(numbers).is_ok());
  EXPECT_EQ(numbers[0], 1u);
  EXPECT_EQ(numbers[2], 3u);
  EXPECT_EQ(table.count(), 4u);
  Handle handles[2] = {make(), make()};
  table.fill(support::Span<const u32>(numbers, 2), handles);
  table.unreserve(support::Span<const u32>(numbers + 2, 1));
  EXPECT_TRUE(table.lookup(2).is_ok());
  EXPECT_EQ(put(), 3u);
  // All or none: a table with two free numbers refuses three.
  HandleTable small(account, 6);
  Handle h = make();
  MUST(small.insert_at(0, h));
  for (int i = 0; i < 3; ++i) {
    Handle more = make();
    MUST(small.insert(more));
  }
  EXPECT_EQ(small.reserve(numbers).error(), Error::TableFull);
  EXPECT_EQ(small.count(), 4u);
}

TEST_F(HandleTableTest, AfterCloseAllTransfersLeaveHandlesWithTheCaller) {
  u32 a = put();
  Handle out[1];
  HandleTransfer t[1] = {{a, right::kSame}};
  ASSERT_TRUE(table.take(t, out).is_ok());
  table.close_all();  // the program was killed while its transfer was under way
  table.undo_take(t, out);
  EXPECT_TRUE(out[0]);  // the caller drops it
  out[0].reset();
}

}  // namespace
}  // namespace ipc_test
