// Channels: messages, handle transfer with rights, backpressure, closing, freeing what a dead
// receiver was sent, and the cycle rule (channel.h).
#include <ipc/channel.h>
#include <ipc/pipe.h>
#include <support/allocation_cost.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

class ChannelTest : public IpcTest {
 protected:
  // A channel whose end `a` is in `table` (the sender) and `b` in `other` (the receiver).
  void connect(const ipc::ChannelLimits& limits = {}) {
    ipc::ChannelEnds ends = MUST(ipc::Channel::create(account, limits));
    a = MUST(table.insert(ends.a));
    b = MUST(other.insert(ends.b));
  }
  ipc::Result<void> send(const std::string& data, std::vector<HandleTransfer> handles = {}) {
    return ipc::channel_write(table, a, bytes(data), {handles.data(), handles.size()});
  }
  // Reads one message at `b` into strings and numbers.
  ipc::Result<void> receive(std::string* data, std::vector<u32>* handles, u32 max_bytes = 1024,
                            u32 max_handles = 16) {
    std::string buffer(max_bytes, '\0');
    std::vector<u32> numbers(max_handles);
    ipc::Result<void> r = ipc::channel_read(other, b, ipc_test::span(buffer),
                                            {numbers.data(), numbers.size()}, sizes);
    if (r.is_ok()) {
      buffer.resize(sizes.bytes);
      numbers.resize(sizes.handles);
      if (data != nullptr) *data = buffer;
      if (handles != nullptr) *handles = numbers;
    }
    return r;
  }
  Ref<ChannelEnd> end_a() { return MUST(table.get<ChannelEnd>(a)); }
  Ref<ChannelEnd> end_b() { return MUST(other.get<ChannelEnd>(b)); }

  u32 a = 0, b = 0;
  MessageSizes sizes;
};

TEST_F(ChannelTest, MessagesArriveWholeAndInOrder) {
  connect();
  MUST(send("one"));
  MUST(send(""));
  MUST(send("three"));
  EXPECT_EQ(end_b()->queued(), 3u);
  std::string data;
  MUST(receive(&data, nullptr));
  EXPECT_EQ(data, "one");
  MUST(receive(&data, nullptr));
  EXPECT_EQ(data, "");
  MUST(receive(&data, nullptr));
  EXPECT_EQ(data, "three");
  EXPECT_EQ(receive(&data, nullptr).error(), Error::WouldBlock);
}

TEST_F(ChannelTest, HandlesMoveWithTheirRightsReducedAndTheirWord) {
  connect();
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  MUST(table.set_word(pipe.writer, 99));
  Ref<ipc::Object> writer_object = MUST(table.lookup(pipe.writer)).object;
  MUST(send("take this", {{pipe.writer, right::kWrite | right::kTransfer}}));
  EXPECT_EQ(table.lookup(pipe.writer).error(), Error::BadHandle);  // gone from the sender
  std::vector<u32> numbers;
  MUST(receive(nullptr, &numbers));
  ASSERT_EQ(numbers.size(), 1u);
  ipc::HandleInfo got = MUST(other.lookup(numbers[0]));
  EXPECT_EQ(got.object, writer_object);
  EXPECT_EQ(got.rights, right::kWrite | right::kTransfer);  // no kWait, no kDuplicate now
  EXPECT_EQ(got.word, 99u);
  EXPECT_EQ(other.duplicate(numbers[0]).error(), Error::AccessDenied);
  EXPECT_EQ(writer_object->handle_count(), 1u);  // moved, not copied
  // The receiver writes into the sender's pipe.
  Ref<PipeWriter> writer = MUST(other.get<PipeWriter>(numbers[0], right::kWrite));
  MUST(writer->write(bytes("hi")));
  EXPECT_EQ(MUST(table.get<PipeReader>(pipe.reader))->available(), 2u);
}

TEST_F(ChannelTest, TransfersAreAllOrNothing) {
  connect({.max_messages = 1});
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  MUST(table.reduce_rights(pipe.reader, right::kRead));  // no kTransfer
  EXPECT_EQ(send("x", {{pipe.writer}, {pipe.reader}}).error(), Error::AccessDenied);
  EXPECT_EQ(send("x", {{pipe.writer, right::kRead}}).error(), Error::AccessDenied);  // increase
  EXPECT_EQ(send("x", {{pipe.writer}, {pipe.writer}}).error(), Error::Invalid);
  EXPECT_EQ(send("x", {{pipe.writer}, {42}}).error(), Error::BadHandle);
  // A full queue: refused after the handles were taken out; they come back with their rights.
  MUST(send("fills the queue"));
  EXPECT_EQ(send("x", {{pipe.writer, right::kWrite}}).error(), Error::WouldBlock);
  EXPECT_EQ(MUST(table.lookup(pipe.writer)).rights, right::kPipeWriter);
  EXPECT_EQ(table.count(), 3u);
  EXPECT_EQ(end_b()->queued(), 1u);
}

TEST_F(ChannelTest, BackpressureByMessagesAndByBytes) {
  connect({.max_messages = 3, .max_bytes = 100, .max_message_bytes = 40});
  EXPECT_TRUE(end_a()->signals().contains(signal::kWritable));
  MUST(send(std::string(40, 'a')));
  MUST(send(std::string(20, 'b')));
  // 60 queued: a message of 40 still fits, but Writable promises room for any message, so it
  // went away when less than 40 bytes of room might be left.
  EXPECT_TRUE(end_a()->signals().contains(signal::kWritable));
  MUST(send(std::string(10, 'c')));
  EXPECT_FALSE(end_a()->signals().contains(signal::kWritable));
  EXPECT_EQ(send("").error(), Error::WouldBlock);  // three messages
  std::string data;
  MUST(receive(&data, nullptr));
  EXPECT_EQ(data.size(), 40u);
  EXPECT_TRUE(end_a()->signals().contains(signal::kWritable));
  MUST(send(std::string(40, 'd')));  // 70 bytes, 3 messages
  MUST(receive(&data, nullptr));
  MUST(send(std::string(30, 'e')));                                  // 80 bytes
  EXPECT_EQ(send(std::string(21, 'f')).error(), Error::WouldBlock);  // 101 > 100 bytes
  EXPECT_EQ(send(std::string(41, 'f')).error(), Error::TooBig);
}

TEST_F(ChannelTest, TooSmallBuffersKeepTheMessageAndSayItsSizes) {
  connect();
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  MUST(send("twelve bytes", {{pipe.reader}, {pipe.writer}}));
  EXPECT_EQ(receive(nullptr, nullptr, 5, 2).error(), Error::BufferTooSmall);
  EXPECT_EQ(sizes, (MessageSizes{12, 2}));
  EXPECT_EQ(receive(nullptr, nullptr, 12, 1).error(), Error::BufferTooSmall);
  EXPECT_EQ(other.count(), 1u);  // nothing reserved was left behind
  std::string data;
  std::vector<u32> numbers;
  MUST(receive(&data, &numbers, 12, 2));
  EXPECT_EQ(data, "twelve bytes");
  EXPECT_EQ(numbers, (std::vector<u32>{1, 2}));
}

TEST_F(ChannelTest, AFullReceiverTableKeepsTheMessage) {
  ipc::HandleTable small(other_account, 2);
  ipc::ChannelEnds ends = MUST(ipc::Channel::create(account));
  a = MUST(table.insert(ends.a));
  b = MUST(small.insert(ends.b));
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  MUST(send("", {{pipe.reader}, {pipe.writer}}));
  u32 numbers[2];
  EXPECT_EQ(ipc::channel_read(small, b, {}, numbers, sizes).error(), Error::TableFull);
  EXPECT_EQ(MUST(small.get<ChannelEnd>(b))->queued(), 1u);
}

TEST_F(ChannelTest, PeerCloseIsObservableAndQueuedMessagesStayReadable) {
  connect();
  MUST(send("before"));
  Ref<ChannelEnd> receiver = end_b();
  table.close_all();  // the sender ends
  EXPECT_TRUE(receiver->signals().contains(signal::kPeerClosed | signal::kReadable));
  EXPECT_FALSE(receiver->signals().contains(signal::kWritable));
  std::string data;
  MUST(receive(&data, nullptr));
  EXPECT_EQ(data, "before");
  EXPECT_EQ(receive(&data, nullptr).error(), Error::PeerClosed);
  EXPECT_EQ(ipc::channel_write(other, b, bytes("reply"), {}).error(), Error::PeerClosed);
}

TEST_F(ChannelTest, AHandleSentToAReceiverThatDiesIsFreed) {
  connect();
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  Ref<PipeReader> reader = MUST(table.get<PipeReader>(pipe.reader));
  u64 charged = account.used();
  MUST(send("your writer", {{pipe.writer}}));
  EXPECT_GT(account.used(), charged);  // the message is charged to its sender
  other.close_all();                   // the receiver dies before reading it
  EXPECT_EQ(account.used(), charged);
  // The writer's only handle was in the message: the pipe's reader sees end of file.
  EXPECT_TRUE(reader->signals().contains(signal::kPeerClosed));
  std::string buffer(4, '\0');
  EXPECT_EQ(MUST(reader->read(ipc_test::span(buffer))), 0u);
  EXPECT_EQ(ipc::stats::objects(ipc::Kind::PipeWriter), 1u);  // alive while `reader` refers
  EXPECT_EQ(MUST(table.get<ChannelEnd>(a))->signals(), signal::kPeerClosed);
}

TEST_F(ChannelTest, MessagesAreChargedToTheSenderUntilRead) {
  connect();
  u64 sender = account.used(), receiver = other_account.used();
  MUST(send(std::string(1000, 'x')));
  u64 cost = account.used() - sender;
  EXPECT_GE(cost, 1000u);
  EXPECT_EQ(other_account.used(), receiver);
  MUST(receive(nullptr, nullptr));
  EXPECT_EQ(account.used(), sender);
  // A sender whose account has no room for the message cannot queue it.
  ipc::BoundedAccount tight(cost + 100);
  ipc::HandleTable poor(tight, 8);
  ipc::ChannelEnds ends = MUST(ipc::Channel::create(account));
  u32 end = MUST(poor.insert(ends.a));
  EXPECT_EQ(ipc::channel_write(poor, end, bytes(std::string(1000, 'x')), {}).error(),
            Error::LimitReached);
  poor.close_all();
}

TEST_F(ChannelTest, CreationIsChargedToTheCreatorUntilBothEndsAreFreed) {
  ipc::BoundedAccount tiny(64);
  EXPECT_EQ(ipc::Channel::create(tiny).error(), Error::LimitReached);
  ipc::BoundedAccount enough(4096);
  ipc::ChannelEnds ends = MUST(ipc::Channel::create(enough));
  EXPECT_EQ(enough.used(), support::allocation_cost(sizeof(ipc::Channel)));
  ends.a.reset();
  EXPECT_GT(enough.used(), 0u);
  ends.b.reset();
  EXPECT_EQ(enough.used(), 0u);
}

TEST_F(ChannelTest, LimitsForOneMessage) {
  connect({.max_message_handles = 1});
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  EXPECT_EQ(send("", {{pipe.reader}, {pipe.writer}}).error(), Error::TooBig);
  EXPECT_EQ(send(std::string(65 << 10, 'x')).error(), Error::TooBig);
  EXPECT_EQ(ipc::Channel::create(account, {.max_message_handles = 65}).error(), Error::Invalid);
  EXPECT_EQ(ipc::Channel::create(account, {.max_bytes = 10, .max_message_bytes = 11}).error(),
            Error::Invalid);
}

TEST_F(ChannelTest, ReadingAndWritingNeedTheirRights) {
  connect();
  MUST(table.reduce_rights(a, right::kRead | right::kTransfer));
  EXPECT_EQ(send("x").error(), Error::AccessDenied);
  ipc::PipeNumbers pipe = MUST(ipc::pipe_create(table));
  EXPECT_EQ(ipc::channel_write(table, pipe.writer, {}, {}).error(), Error::WrongType);
}

// --- Cycles.

class ChannelCycleTest : public IpcTest {
 protected:
  // Two channels in one table: (x, x_peer) and (y, y_peer).
  void SetUp() override {
    IpcTest::SetUp();
    x = MUST(ipc::channel_create(table));
    y = MUST(ipc::channel_create(table));
  }
  ipc::Result<void> send_through(u32 channel, u32 handle) {
    HandleTransfer transfer[1] = {{handle}};
    return ipc::channel_write(table, channel, {}, transfer);
  }
  ipc::ChannelNumbers x, y;
};

TEST_F(ChannelCycleTest, AnEndCannotTravelThroughItsOwnChannel) {
  EXPECT_EQ(send_through(x.a, x.a).error(), Error::WouldCycle);
  EXPECT_EQ(send_through(x.a, x.b).error(), Error::WouldCycle);
  EXPECT_EQ(table.count(), 4u);
}

TEST_F(ChannelCycleTest, AnEndWithEndsQueuedForItCannotTravel) {
  // x.a goes into y.b's queue (written at y.a)...
  MUST(send_through(y.a, x.a));
  // ...so y.b, which now holds x.a, may not go into x.b's queue (written at x.a's peer: x.b
  // writes to x.a's queue, where x.a would then hold y.b: a cycle).
  EXPECT_EQ(send_through(x.b, y.b).error(), Error::WouldCycle);
  // Once y.b's queue is read, it may travel.
  u32 got[1];
  MessageSizes sizes;
  MUST(ipc::channel_read(table, y.b, {}, got, sizes));
  MUST(send_through(x.b, y.b));
}

TEST_F(ChannelCycleTest, WhatTheRuleAllowsIsFreedOnceNoProgramHoldsIt) {
  // x.a queued for y.b, and y.a queued for x.a: a chain, not a cycle. When the table closes,
  // y.b's close frees x.a, whose close frees y.a.
  MUST(send_through(y.a, x.a));
  MUST(send_through(x.b, y.a));
  EXPECT_EQ(table.count(), 2u);
  EXPECT_EQ(ipc::stats::objects(ipc::Kind::ChannelEnd), 4u);
  table.close_all();
  EXPECT_EQ(ipc::stats::objects(ipc::Kind::ChannelEnd), 0u);
}

TEST_F(ChannelCycleTest, ALongChainIsFreedWithoutRecursion) {
  // end(i+1) queued for end(i), 100,000 deep; closing the head frees them all.
  constexpr u32 kDepth = 100000;
  ipc::BoundedAccount big(1 << 30);
  ipc::HandleTable t(big, 8);
  ipc::ChannelNumbers head = MUST(ipc::channel_create(t));
  u32 previous_peer = head.b;
  for (u32 i = 0; i < kDepth; ++i) {
    ipc::ChannelNumbers next = MUST(ipc::channel_create(t));
    HandleTransfer transfer[1] = {{next.a}};
    MUST(ipc::channel_write(t, previous_peer, {}, transfer));
    MUST(t.close(previous_peer));
    previous_peer = next.b;
  }
  // Each pair is one allocation: a closed end is freed with its peer.
  EXPECT_EQ(ipc::stats::objects(ipc::Kind::ChannelEnd), 2u * (kDepth + 1) + 4);
  t.close_all();
  EXPECT_EQ(ipc::stats::objects(ipc::Kind::ChannelEnd), 4u);  // the fixture's two channels
  EXPECT_EQ(big.used(), 0u);
}

TEST_F(ChannelCycleTest, RacingWritesCannotCloseACycle) {
  // Two threads each try to put one end into the other's queue; the locks of both channels are
  // taken together, so at most one of each pair of writes succeeds.
  for (int round = 0; round < 1000; ++round) {
    ipc::ChannelNumbers p = MUST(ipc::channel_create(table));
    ipc::ChannelNumbers q = MUST(ipc::channel_create(table));
    std::atomic<int> go{0};
    ipc::Result<void> first = ipc::Error::Invalid, second = ipc::Error::Invalid;
    std::thread t1([&] {
      go.fetch_add(1);
      while (go.load() < 2) std::this_thread::yield();
      first = send_through(q.a, p.a);  // p.a queued for q.b
    });
    std::thread t2([&] {
      go.fetch_add(1);
      while (go.load() < 2) std::this_thread::yield();
      second = send_through(p.b, q.b);  // q.b queued for p.a
    });
    t1.join();
    t2.join();
    EXPECT_FALSE(first.is_ok() && second.is_ok()) << "round " << round;
    EXPECT_TRUE(first.is_ok() || second.is_ok()) << "round " << round;
    // Whatever was queued goes when no handle is left.
    for (u32 n : {p.a, p.b, q.a, q.b}) (void)table.close(n);
    ASSERT_EQ(ipc::stats::objects(ipc::Kind::ChannelEnd), 4u) << "round " << round;
  }
}

}  // namespace
}  // namespace ipc_test
