// WaitSet: several objects at once, wake-ups, no lost signal (wait_set.h).
#include <ipc/channel.h>
#include <ipc/pipe.h>
#include <ipc/wait_set.h>

#include <thread>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

class WaitSetTest : public IpcTest {
 protected:
  Doorbell bell;
  WaitSet::Entry storage[4];
  WaitSet::Ready ready[4];
};

TEST_F(WaitSetTest, ReportsWhatIsAlreadyAssertedWithoutRinging) {
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  WaitSet set(storage, bell);
  MUST(set.add(table, pipe.writer, signal::kWritable | signal::kPeerClosed, 7));
  MUST(set.add(table, pipe.reader, signal::kReadable | signal::kPeerClosed, 8));
  ASSERT_EQ(set.poll(ready), 1u);
  EXPECT_EQ(ready[0].key, 7u);
  EXPECT_EQ(ready[0].signals, signal::kWritable);
  EXPECT_FALSE(bell.take());
}

TEST_F(WaitSetTest, RingsWhenAnyWatchedObjectBecomesReady) {
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  ipc::ChannelNumbers channel = MUST(ipc::channel_create(table));
  WaitSet set(storage, bell);
  MUST(set.add(table, pipe.reader, signal::kReadable | signal::kPeerClosed, 1));
  MUST(set.add(table, channel.b, signal::kReadable | signal::kPeerClosed, 2));
  EXPECT_EQ(set.poll(ready), 0u);

  MUST(ipc::channel_write(table, channel.a, bytes("m"), {}));
  EXPECT_TRUE(bell.take());
  ASSERT_EQ(set.poll(ready), 1u);
  EXPECT_EQ(ready[0].key, 2u);

  MUST(MUST(table.get<ipc::PipeWriter>(pipe.writer))->write(bytes("b")));
  EXPECT_TRUE(bell.take());
  ASSERT_EQ(set.poll(ready), 2u);
  EXPECT_EQ(ready[0].key, 1u);
  EXPECT_EQ(ready[1].key, 2u);

  // The peer's close rings too (PeerClosed rises although Readable was already up).
  MUST(table.close(channel.a));
  EXPECT_TRUE(bell.take());
  ASSERT_EQ(set.poll(ready), 2u);
  EXPECT_EQ(ready[1].signals, signal::kReadable | signal::kPeerClosed);

  set.clear();
  MUST(table.close(pipe.writer));
  EXPECT_FALSE(bell.take());  // not watched any more
}

TEST_F(WaitSetTest, NeedsTheWaitRightAndRoom) {
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  MUST(table.reduce_rights(pipe.reader, right::kRead));
  WaitSet set(support::Span<WaitSet::Entry>(storage, 1), bell);
  EXPECT_EQ(set.add(table, pipe.reader, signal::kReadable, 0).error(), Error::AccessDenied);
  EXPECT_EQ(set.add(table, 40, signal::kReadable, 0).error(), Error::BadHandle);
  MUST(set.add(table, pipe.writer, signal::kWritable, 0));
  EXPECT_EQ(set.add(table, pipe.writer, signal::kWritable, 1).error(), Error::Invalid);
  EXPECT_EQ(set.size(), 1u);
}

TEST_F(WaitSetTest, KeepsTheObjectValidButNotOpen) {
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  WaitSet set(storage, bell);
  MUST(set.add(table, pipe.writer, signal::kPeerClosed, 0));
  MUST(table.close(pipe.reader));
  EXPECT_TRUE(bell.take());
  MUST(table.close(pipe.writer));  // closes although the set refers to it
  EXPECT_EQ(set.poll(ready), 1u);
}

TEST_F(WaitSetTest, AThreadSleepsUntilAnotherMakesItReady) {
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  ipc::Ref<ipc::PipeReader> reader = MUST(table.get<ipc::PipeReader>(pipe.reader));
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) {
      std::this_thread::yield();
      MUST(MUST(table.get<ipc::PipeWriter>(pipe.writer))->write(bytes("x")));
    }
    MUST(table.close(pipe.writer));
  });
  usize total = 0;
  for (;;) {
    WaitSet set(storage, bell);
    MUST(set.add(table, pipe.reader, signal::kReadable | signal::kPeerClosed, 0));
    if (set.poll(ready) == 0) {
      bell.wait();
      continue;
    }
    u8 buffer[16];
    usize n = MUST(reader->read(buffer));
    if (n == 0) break;
    total += n;
  }
  writer.join();
  EXPECT_EQ(total, 100u);
}

}  // namespace
}  // namespace ipc_test
