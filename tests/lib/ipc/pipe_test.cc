// Pipes: end of file, broken pipe, would-block, partial and whole writes, signals, closing by
// last handle (pipe.h).
#include <ipc/pipe.h>
#include <support/allocation_cost.h>

#include <string>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

class PipeTest : public IpcTest {
 protected:
  void make(u32 capacity = ipc::kDefaultPipeCapacity) {
    ends = MUST(ipc::Pipe::create(account, capacity));
    reader = ipc::ref_cast<PipeReader>(ends.reader.ref());
    writer = ipc::ref_cast<PipeWriter>(ends.writer.ref());
  }
  std::string read(usize max) {
    std::string out(max, '\0');
    usize n = MUST(reader->read(ipc_test::span(out)));
    out.resize(n);
    return out;
  }
  void TearDown() override {
    ends = {};
    reader.reset();
    writer.reset();
    IpcTest::TearDown();
  }

  PipeEnds ends;
  Ref<PipeReader> reader;
  Ref<PipeWriter> writer;
};

TEST_F(PipeTest, BytesComeOutInOrder) {
  make();
  EXPECT_EQ(MUST(writer->write(bytes("hello "))), 6u);
  EXPECT_EQ(MUST(writer->write(bytes("world"))), 5u);
  EXPECT_EQ(reader->available(), 11u);
  EXPECT_EQ(read(3), "hel");  // a partial read
  EXPECT_EQ(read(100), "lo world");
}

TEST_F(PipeTest, EmptyPipeWouldBlockThenGivesEndOfFileOnceTheWriterIsClosed) {
  make();
  std::string buffer(8, '\0');
  EXPECT_EQ(reader->read(ipc_test::span(buffer)).error(), Error::WouldBlock);
  MUST(writer->write(bytes("last")));
  ends.writer.reset();  // the last handle
  EXPECT_TRUE(reader->signals().contains(signal::kPeerClosed | signal::kReadable));
  EXPECT_EQ(read(8), "last");  // what was written before the close is still read
  EXPECT_EQ(read(8), "");      // then end of file, every time
  EXPECT_EQ(read(8), "");
  EXPECT_EQ(writer->write(bytes("x")).error(), Error::BadHandle);  // through a transient ref
}

TEST_F(PipeTest, WriteAfterTheLastReaderIsGoneIsABrokenPipe) {
  make();
  MUST(writer->write(bytes("unread")));
  Handle second_reader = MUST(ends.reader.duplicate());
  ends.reader.reset();
  EXPECT_TRUE(writer->write(bytes("still a reader")).is_ok());
  second_reader.reset();
  EXPECT_EQ(writer->write(bytes("x")).error(), Error::PeerClosed);
  EXPECT_EQ(writer->write(bytes("")).error(), Error::PeerClosed);
  EXPECT_EQ(writer->signals(), signal::kPeerClosed);
  EXPECT_EQ(writer->room(), 0u);
}

TEST_F(PipeTest, TransientReferencesDoNotDelayTheClose) {
  make();
  Ref<ipc::Object> held_by_kernel = ends.writer.ref();
  ends.writer.reset();
  EXPECT_TRUE(reader->signals().contains(signal::kPeerClosed));
  EXPECT_EQ(read(4), "");
  EXPECT_TRUE(held_by_kernel->retired());
}

TEST_F(PipeTest, LargeWritesArePartialAndSmallOnesWhole) {
  make(10000);
  std::string big(25000, 'b');
  EXPECT_EQ(MUST(writer->write(bytes(big))), 10000u);  // up to the capacity
  EXPECT_EQ(writer->write(bytes("x")).error(), Error::WouldBlock);
  EXPECT_FALSE(writer->signals().contains(signal::kWritable));
  EXPECT_EQ(read(6000).size(), 6000u);
  // 6000 bytes of room: a 5000-byte write is partial only above kPipeAtomicWrite.
  EXPECT_EQ(MUST(writer->write(bytes(std::string(5000, 'c')))), 5000u);
  // 1000 bytes of room: a 2000-byte write (<= 4096) goes whole or not at all...
  EXPECT_EQ(writer->write(bytes(std::string(2000, 'd'))).error(), Error::WouldBlock);
  // ...a 5000-byte one partially.
  EXPECT_EQ(MUST(writer->write(bytes(std::string(5000, 'e')))), 1000u);
  EXPECT_EQ(reader->available(), 10000u);
  // The ring wrapped: order is kept across the seam.
  std::string all = read(10000);
  EXPECT_EQ(all, std::string(4000, 'b') + std::string(5000, 'c') + std::string(1000, 'e'));
}

TEST_F(PipeTest, SignalsFollowTheState) {
  make(8192);
  EXPECT_EQ(reader->signals(), signal::kNone);
  EXPECT_EQ(writer->signals(), signal::kWritable);
  MUST(writer->write(bytes(std::string(4096, 'x'))));
  EXPECT_EQ(reader->signals(), signal::kReadable);
  EXPECT_EQ(writer->signals(), signal::kWritable);  // exactly a whole write of room left
  MUST(writer->write(bytes("y")));
  EXPECT_EQ(writer->signals(), signal::kNone);  // less than a whole write of room
  read(1);
  EXPECT_EQ(writer->signals(), signal::kWritable);
  read(5000);
  EXPECT_EQ(reader->signals(), signal::kNone);
}

TEST_F(PipeTest, SmallPipesTakeWritesUpToTheirCapacityWhole) {
  make(16);
  EXPECT_EQ(writer->write(bytes(std::string(17, 'a'))).value(), 16u);
  read(10);
  EXPECT_EQ(writer->write(bytes(std::string(11, 'a'))).error(), Error::WouldBlock);
  EXPECT_TRUE(writer->signals().empty());
  read(6);
  EXPECT_TRUE(writer->signals().contains(signal::kWritable));
}

TEST_F(PipeTest, CreationIsChargedAndBounded) {
  EXPECT_EQ(ipc::Pipe::create(account, 0).error(), Error::Invalid);
  EXPECT_EQ(ipc::Pipe::create(account, ipc::kMaxPipeCapacity + 1).error(), Error::Invalid);
  ipc::BoundedAccount small(64 << 10);  // less than a default pipe and its record
  EXPECT_EQ(ipc::Pipe::create(small).error(), Error::LimitReached);
  EXPECT_EQ(small.used(), 0u);
  {
    PipeEnds pipe = MUST(ipc::Pipe::create(small, 4096));
    EXPECT_GE(small.used(), 4096u);
    // The charge stays while either end lives, whoever holds it.
    pipe.reader.reset();
    EXPECT_GE(small.used(), 4096u);
  }
  EXPECT_EQ(small.used(), 0u);
}

TEST_F(PipeTest, PipeCreateFillsTheTableAllOrNothing) {
  ipc::PipeNumbers numbers = MUST(ipc::pipe_create(table));
  EXPECT_EQ(numbers.reader, 0u);
  EXPECT_EQ(numbers.writer, 1u);
  EXPECT_TRUE(table.get<PipeReader>(numbers.reader, ipc::right::kRead).is_ok());
  EXPECT_EQ(table.get<PipeWriter>(numbers.writer, ipc::right::kRead).error(), Error::AccessDenied);
  ipc::HandleTable small(account, 3);
  MUST(ipc::pipe_create(small));
  EXPECT_EQ(ipc::pipe_create(small).error(), Error::TableFull);
  EXPECT_EQ(small.count(), 2u);
}

}  // namespace
}  // namespace ipc_test
