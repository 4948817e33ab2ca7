// Threads as programs: each has its own handle table and account, blocks the way the kernel will
// (an operation says WouldBlock, the thread waits on a WaitSet whose Waker is its doorbell, then
// retries), and passes handles to the others through channels. Acceptance 3 of issue 14 on the
// host: after 10,000 pipelines and 10,000 channel round trips, the live objects, handles and
// messages are back where they were and every account is back at zero.
#include <ipc/channel.h>
#include <ipc/pipe.h>
#include <ipc/service.h>
#include <ipc/wait_set.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

// One thread's way of blocking: wait until `object` asserts one of `mask`.
void wait_for(Doorbell& bell, Ref<Object> object, Signals mask) {
  WaitSet::Entry entry[1];
  WaitSet set(entry, bell);
  MUST(set.add(support::move(object), mask, 0));
  WaitSet::Ready ready[1];
  while (set.poll(ready) == 0) bell.wait();
}

// Writes all of `data`; false if the reader went away.
bool write_all(Doorbell& bell, const Ref<PipeWriter>& writer, support::Bytes data) {
  while (!data.empty()) {
    ipc::Result<usize> n = writer->write(data);
    if (n.is_ok()) {
      data = data.subspan(n.value());
    } else if (n.error() == Error::WouldBlock) {
      wait_for(bell, writer, signal::kWritable | signal::kPeerClosed);
    } else {
      EXPECT_EQ(n.error(), Error::PeerClosed);
      return false;
    }
  }
  return true;
}

// Reads into `out`; 0 at end of file.
usize read_some(Doorbell& bell, const Ref<PipeReader>& reader, support::Span<u8> out) {
  for (;;) {
    ipc::Result<usize> n = reader->read(out);
    if (n.is_ok()) return n.value();
    EXPECT_EQ(n.error(), Error::WouldBlock);
    wait_for(bell, reader, signal::kReadable | signal::kPeerClosed);
  }
}

// A blocking channel_write; PeerClosed and the like are returned.
ipc::Result<void> send(Doorbell& bell, HandleTable& table, u32 channel, support::Bytes data,
                       support::Span<const HandleTransfer> handles) {
  for (;;) {
    ipc::Result<void> r = ipc::channel_write(table, channel, data, handles);
    if (r.is_ok() || r.error() != Error::WouldBlock) return r;
    wait_for(bell, MUST(table.get<ChannelEnd>(channel)), signal::kWritable | signal::kPeerClosed);
  }
}

// A blocking channel_read; PeerClosed once the peer is gone and everything was read.
ipc::Result<void> receive(Doorbell& bell, HandleTable& table, u32 channel, support::Span<u8> data,
                          support::Span<u32> handles, MessageSizes& sizes) {
  for (;;) {
    ipc::Result<void> r = ipc::channel_read(table, channel, data, handles, sizes);
    if (r.is_ok() || r.error() != Error::WouldBlock) return r;
    wait_for(bell, MUST(table.get<ChannelEnd>(channel)), signal::kReadable | signal::kPeerClosed);
  }
}

u8 pattern(u32 pipeline, u64 offset) { return static_cast<u8>(pipeline * 31 + offset * 7); }
u32 length_of(u32 pipeline) { return (pipeline * 2654435761u) % 6000; }

// Connects to `name`, retrying while the service's backlog is full.
u32 connect(HandleTable& table, ipc::ServiceRegistry& registry, const char* name) {
  for (;;) {
    ipc::Result<u32> r = ipc::service_connect(table, registry, name);
    if (r.is_ok()) return r.value();
    EXPECT_EQ(r.error(), Error::Busy);
    std::this_thread::yield();
  }
}

// A program's account, kept alive by the charges to it (retain/release), as the kernel keeps a
// program's record: a message a dead client left queued is still charged to it until freed.
class ProgramAccount final : public ipc::Account {
 public:
  bool charge(u64 bytes) override { return bounded_.charge(bytes); }
  void uncharge(u64 bytes) override { bounded_.uncharge(bytes); }
  void retain() override { refs_.fetch_add(1); }
  void release() override {
    if (refs_.fetch_sub(1) == 1) {
      EXPECT_EQ(bounded_.used(), 0u);  // every charge came back
      delete this;
    }
  }
  u64 used() const { return bounded_.used(); }

 private:
  ipc::BoundedAccount bounded_{64 << 20};
  std::atomic<u32> refs_{1};  // the program's own
};

struct Program {
  ~Program() {
    table.close_all();
    account.release();
  }
  ProgramAccount& account = *new ProgramAccount;
  HandleTable table{account, 256};
  Doorbell bell;
};

TEST(IpcStress, TenThousandPipelinesThroughThreeProgramsLeaveNothingBehind) {
  constexpr u32 kPipelines = 10000;
  Counts before = Counts::now();
  {
    Program producer, relay, consumer;
    // Control channels: producer -> relay, producer -> consumer.
    ipc::ChannelEnds to_relay = MUST(ipc::Channel::create(producer.account));
    ipc::ChannelEnds to_consumer = MUST(ipc::Channel::create(producer.account));
    u32 p_relay = MUST(producer.table.insert(to_relay.a));
    u32 p_consumer = MUST(producer.table.insert(to_consumer.a));
    u32 r_control = MUST(relay.table.insert(to_relay.b));
    u32 c_control = MUST(consumer.table.insert(to_consumer.b));
    std::atomic<u32> verified{0};

    std::thread producing([&] {
      HandleTable& t = producer.table;
      std::vector<u8> data;
      for (u32 i = 0; i < kPipelines; ++i) {
        // A small capacity, so that writers and readers block often.
        ipc::PipeNumbers a = MUST(ipc::pipe_create(t, 4096));
        ipc::PipeNumbers b = MUST(ipc::pipe_create(t, 4096));
        HandleTransfer for_relay[2] = {{a.reader}, {b.writer}};
        MUST(send(producer.bell, t, p_relay, {}, for_relay));
        HandleTransfer for_consumer[1] = {{b.reader}};
        u32 header[2] = {i, length_of(i)};
        MUST(send(producer.bell, t, p_consumer,
                  {reinterpret_cast<const u8*>(header), sizeof header}, for_consumer));
        data.resize(length_of(i));
        for (u32 k = 0; k < data.size(); ++k) data[k] = pattern(i, k);
        Ref<PipeWriter> writer = MUST(t.get<PipeWriter>(a.writer));
        EXPECT_TRUE(write_all(producer.bell, writer, {data.data(), data.size()}));
        MUST(t.close(a.writer));  // end of file for the relay
      }
      t.close_all();
    });

    std::thread relaying([&] {
      HandleTable& t = relay.table;
      u8 buffer[1500];
      for (;;) {
        u32 ends[2];
        MessageSizes sizes;
        ipc::Result<void> r = receive(relay.bell, t, r_control, {}, ends, sizes);
        if (r.is_error()) {
          EXPECT_EQ(r.error(), Error::PeerClosed);
          break;
        }
        Ref<PipeReader> in = MUST(t.get<PipeReader>(ends[0], ipc::right::kRead));
        Ref<PipeWriter> out = MUST(t.get<PipeWriter>(ends[1], ipc::right::kWrite));
        while (usize n = read_some(relay.bell, in, buffer)) {
          EXPECT_TRUE(write_all(relay.bell, out, {buffer, n}));
        }
        MUST(t.close(ends[0]));
        MUST(t.close(ends[1]));
      }
      t.close_all();
    });

    std::thread consuming([&] {
      HandleTable& t = consumer.table;
      u8 buffer[2500];
      for (;;) {
        u32 header[2];
        u32 end[1];
        MessageSizes sizes;
        ipc::Result<void> r = receive(consumer.bell, t, c_control,
                                      {reinterpret_cast<u8*>(header), sizeof header}, end, sizes);
        if (r.is_error()) {
          EXPECT_EQ(r.error(), Error::PeerClosed);
          break;
        }
        Ref<PipeReader> in = MUST(t.get<PipeReader>(end[0]));
        u64 got = 0;
        bool same = true;
        while (usize n = read_some(consumer.bell, in, buffer)) {
          for (usize k = 0; k < n; ++k) same = same && buffer[k] == pattern(header[0], got + k);
          got += n;
        }
        EXPECT_TRUE(same) << "pipeline " << header[0];
        EXPECT_EQ(got, header[1]) << "pipeline " << header[0];
        verified.fetch_add(1);
        MUST(t.close(end[0]));
      }
      t.close_all();
    });

    producing.join();
    relaying.join();
    consuming.join();
    EXPECT_EQ(verified.load(), kPipelines);
    EXPECT_EQ(producer.account.used(), 0u);
    EXPECT_EQ(relay.account.used(), 0u);
    EXPECT_EQ(consumer.account.used(), 0u);
  }
  EXPECT_EQ(Counts::now(), before);
}

// A server waits on its service and every connection at once; clients connect through the
// registry and make round trips, some carrying a pipe end that comes back, and now and then a
// client dies in the middle of a request (its table closed), then starts again.
TEST(IpcStress, TenThousandRoundTripsWithClientsDyingLeaveNothingBehind) {
  constexpr u32 kClients = 4;
  constexpr u32 kRoundTrips = 10000;
  Counts before = Counts::now();
  {
    ipc::ServiceRegistry registry;
    Program server;
    u32 service = MUST(ipc::service_publish(server.table, registry, "echo"));
    std::atomic<bool> stop{false};
    std::atomic<u32> answered{0};

    std::thread serving([&] {
      HandleTable& t = server.table;
      std::vector<u32> connections;
      constexpr usize kMaxWatched = 16;
      WaitSet::Entry storage[kMaxWatched];
      WaitSet::Ready ready[kMaxWatched];
      while (!stop.load()) {
        WaitSet set(storage, server.bell);
        if (connections.size() + 1 < kMaxWatched) {
          MUST(set.add(t, service, signal::kReadable, ~u64{0}));
        }
        for (usize i = 0; i < connections.size(); ++i) {
          MUST(set.add(t, connections[i], signal::kReadable | signal::kPeerClosed, i));
        }
        usize n = set.poll(ready);
        if (n == 0) {
          server.bell.wait();
          continue;
        }
        std::vector<u32> closed;
        for (usize k = 0; k < n; ++k) {
          if (ready[k].key == ~u64{0}) {
            connections.push_back(MUST(ipc::service_accept(t, service)));
            continue;
          }
          u32 connection = connections[ready[k].key];
          u8 request[64];
          u32 handles[2];
          MessageSizes sizes;
          ipc::Result<void> r = ipc::channel_read(t, connection, request, handles, sizes);
          if (r.is_error()) {
            // Only the client's death ends a connection; its queue was read to the end.
            EXPECT_EQ(r.error(), Error::PeerClosed);
            closed.push_back(connection);
            continue;
          }
          std::vector<HandleTransfer> back;
          for (u32 h = 0; h < sizes.handles; ++h) back.push_back({handles[h]});
          ipc::Result<void> w =
              ipc::channel_write(t, connection, {request, sizes.bytes}, {back.data(), back.size()});
          if (w.is_ok()) {
            answered.fetch_add(1);
          } else {
            // The client died after asking: what it sent is dropped here.
            EXPECT_EQ(w.error(), Error::PeerClosed);
            for (u32 h = 0; h < sizes.handles; ++h) MUST(t.close(handles[h]));
          }
        }
        for (u32 connection : closed) {
          MUST(t.close(connection));
          std::erase(connections, connection);
        }
      }
      t.close_all();
    });

    std::atomic<u32> trips{0};
    std::atomic<u32> deaths{0};
    std::vector<std::thread> clients;
    for (u32 c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto program = std::make_unique<Program>();
        u32 channel = connect(program->table, registry, "echo");
        for (u32 i = 0; i < kRoundTrips / kClients;) {
          HandleTable& t = program->table;
          u32 request[2] = {c, i};
          bool with_pipe = i % 5 == 0;
          ipc::PipeNumbers pipe{};
          std::vector<HandleTransfer> handles;
          if (with_pipe) {
            pipe = MUST(ipc::pipe_create(t, 128));
            handles.push_back({pipe.writer, ipc::right::kWrite | ipc::right::kTransfer});
          }
          MUST(send(program->bell, t, channel, {reinterpret_cast<const u8*>(request), 8},
                    {handles.data(), handles.size()}));
          if ((c * 7919 + i) % 97 == 0 && deaths.load() < 200) {
            // Dies with its request (and perhaps a pipe end) in flight, then starts again.
            deaths.fetch_add(1);
            program = std::make_unique<Program>();
            channel = connect(program->table, registry, "echo");
            continue;
          }
          u32 reply[2];
          u32 back[1];
          MessageSizes sizes;
          MUST(receive(program->bell, t, channel, {reinterpret_cast<u8*>(reply), 8}, back, sizes));
          EXPECT_EQ(reply[0], c);
          EXPECT_EQ(reply[1], i);
          EXPECT_EQ(sizes.handles, with_pipe ? 1u : 0u);
          if (with_pipe) {
            // The writer came back (with fewer rights): it still feeds our reader.
            Ref<PipeWriter> writer = MUST(t.get<PipeWriter>(back[0], ipc::right::kWrite));
            MUST(writer->write(support::Bytes(reinterpret_cast<const u8*>("ok"), 2)));
            EXPECT_EQ(MUST(t.get<PipeReader>(pipe.reader))->available(), 2u);
            MUST(t.close(back[0]));
            MUST(t.close(pipe.reader));
          }
          trips.fetch_add(1);
          ++i;
        }
        // The program ends (its table and account go with it).
      });
    }
    for (std::thread& client : clients) client.join();
    stop.store(true);
    server.bell.wake();
    serving.join();
    EXPECT_EQ(trips.load(), kRoundTrips);
    EXPECT_GT(deaths.load(), 0u);
    EXPECT_GE(answered.load(), kRoundTrips);
    EXPECT_EQ(server.account.used(), 0u);
    EXPECT_EQ(registry.count(), 0u);
  }
  EXPECT_EQ(Counts::now(), before);
}

}  // namespace
}  // namespace ipc_test
