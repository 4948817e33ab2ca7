// The service registry: publish, connect, accept, unpublish when the service goes (service.h).
#include <ipc/service.h>
#include <support/allocation_cost.h>

#include <string>

#include "ipc_test_util.h"

namespace ipc_test {
namespace {

class ServiceTest : public IpcTest {
 protected:
  // `table` is the service's program, `other` the client's.
  ServiceRegistry registry{4};
};

TEST_F(ServiceTest, NamesAreValidated) {
  EXPECT_TRUE(ServiceRegistry::valid_name("kv"));
  EXPECT_TRUE(ServiceRegistry::valid_name("log.v1_x-2"));
  EXPECT_TRUE(ServiceRegistry::valid_name(std::string(64, 'n').c_str()));
  EXPECT_FALSE(ServiceRegistry::valid_name(std::string(65, 'n').c_str()));
  EXPECT_FALSE(ServiceRegistry::valid_name(""));
  EXPECT_FALSE(ServiceRegistry::valid_name("."));
  EXPECT_FALSE(ServiceRegistry::valid_name(".."));
  EXPECT_FALSE(ServiceRegistry::valid_name("a/b"));
  EXPECT_FALSE(ServiceRegistry::valid_name("sp ace"));
  EXPECT_EQ(ipc::service_publish(table, registry, "a/b").error(), Error::Invalid);
  EXPECT_EQ(ipc::service_connect(other, registry, "").error(), Error::Invalid);
}

TEST_F(ServiceTest, AClientConnectsAndTheServiceAnswersOnTheNewChannel) {
  u32 service = MUST(ipc::service_publish(table, registry, "echo"));
  EXPECT_EQ(registry.count(), 1u);
  Ref<Service> listener = MUST(table.get<Service>(service, right::kRead));
  EXPECT_EQ(listener->name(), "echo");
  EXPECT_EQ(ipc::service_accept(table, service).error(), Error::WouldBlock);
  EXPECT_FALSE(listener->signals().contains(signal::kReadable));

  u32 client = MUST(ipc::service_connect(other, registry, "echo"));
  EXPECT_TRUE(listener->signals().contains(signal::kReadable));
  EXPECT_EQ(listener->pending(), 1u);
  // The client may write before the service accepts.
  MUST(ipc::channel_write(other, client, bytes("ping"), {}));
  u32 connection = MUST(ipc::service_accept(table, service));
  EXPECT_FALSE(listener->signals().contains(signal::kReadable));
  std::string buffer(16, '\0');
  ipc::MessageSizes sizes;
  MUST(ipc::channel_read(table, connection, ipc_test::span(buffer), {}, sizes));
  EXPECT_EQ(buffer.substr(0, sizes.bytes), "ping");
  MUST(ipc::channel_write(table, connection, bytes("pong"), {}));
  MUST(ipc::channel_read(other, client, ipc_test::span(buffer), {}, sizes));
  EXPECT_EQ(buffer.substr(0, sizes.bytes), "pong");
  std::string names;
  registry.for_each_name([&](support::StringView name) { names.append(name.data(), name.size()); });
  EXPECT_EQ(names, "echo");
}

TEST_F(ServiceTest, NamesAreUniqueAmongLiveServicesAndTheRegistryIsBounded) {
  u32 first = MUST(ipc::service_publish(table, registry, "kv"));
  EXPECT_EQ(ipc::service_publish(other, registry, "kv").error(), Error::Exists);
  EXPECT_EQ(other.count(), 0u);
  MUST(table.close(first));  // unpublished with its last handle
  EXPECT_EQ(registry.count(), 0u);
  EXPECT_EQ(ipc::service_connect(other, registry, "kv").error(), Error::NotFound);
  MUST(ipc::service_publish(other, registry, "kv"));
  MUST(ipc::service_publish(table, registry, "b"));
  MUST(ipc::service_publish(table, registry, "c"));
  MUST(ipc::service_publish(table, registry, "d"));
  EXPECT_EQ(ipc::service_publish(table, registry, "e").error(), Error::LimitReached);
}

TEST_F(ServiceTest, WhenTheServiceGoesPendingClientsSeeThePeerClosed) {
  u32 service = MUST(ipc::service_publish(table, registry, "gone", 2));
  u32 c1 = MUST(ipc::service_connect(other, registry, "gone"));
  u32 c2 = MUST(ipc::service_connect(other, registry, "gone"));
  EXPECT_EQ(ipc::service_connect(other, registry, "gone").error(), Error::Busy);  // backlog 2
  u64 client_charge = other_account.used();
  (void)service;
  table.close_all();  // the service's program ends
  EXPECT_EQ(registry.count(), 0u);
  for (u32 c : {c1, c2}) {
    Ref<ChannelEnd> end = MUST(other.get<ChannelEnd>(c));
    EXPECT_TRUE(end->signals().contains(signal::kPeerClosed));
  }
  // The connection messages were charged to the client until freed.
  EXPECT_LT(other_account.used(), client_charge);
}

TEST_F(ServiceTest, AServiceWithPendingConnectionsCannotBeSentAway) {
  u32 service = MUST(ipc::service_publish(table, registry, "svc"));
  ipc::ChannelNumbers channel = MUST(ipc::channel_create(table));
  u32 client = MUST(ipc::service_connect(table, registry, "svc"));
  // The service holds the pending end; sending the service into that end's own queue (through
  // the client's end) would be a cycle, and so would any transfer while it holds carriers.
  ipc::HandleTransfer t[1] = {{service}};
  EXPECT_EQ(ipc::channel_write(table, client, {}, t).error(), Error::WouldCycle);
  EXPECT_EQ(ipc::channel_write(table, channel.a, {}, t).error(), Error::WouldCycle);
  u32 accepted = MUST(ipc::service_accept(table, service));
  MUST(ipc::channel_write(table, channel.a, {}, t));  // empty backlog: it may travel
  (void)accepted;
}

TEST_F(ServiceTest, ConnectionsAndServicesAreChargedAndRefusedBeyondTheAccount) {
  MUST(ipc::service_publish(table, registry, "s"));
  ipc::BoundedAccount tiny(100);
  EXPECT_EQ(registry.publish(tiny, "t").error(), Error::LimitReached);
  EXPECT_EQ(registry.connect(tiny, "s").error(), Error::LimitReached);
  // Room for the channel but not for its connection message: nothing is left behind.
  ipc::BoundedAccount channel_only(support::allocation_cost(sizeof(ipc::Channel)) + 16);
  EXPECT_EQ(registry.connect(channel_only, "s").error(), Error::LimitReached);
  EXPECT_EQ(channel_only.used(), 0u);
  EXPECT_EQ(MUST(table.get<Service>(0))->pending(), 0u);
  // A pending connection is charged to the client until accepted.
  u64 before = other_account.used();
  u32 client = MUST(ipc::service_connect(other, registry, "s"));
  u64 with_connection = other_account.used();
  MUST(ipc::service_accept(table, 0));
  EXPECT_LT(other_account.used(), with_connection);
  EXPECT_GT(other_account.used(), before);  // the channel stays charged to its creator
  (void)client;
}

TEST_F(ServiceTest, AConnectionIsAllOrNothing) {
  MUST(ipc::service_publish(table, registry, "s"));
  ipc::HandleTable full(other_account, 1);
  Handle h = MUST(ipc::Channel::create(other_account)).a;
  MUST(full.insert(h));
  EXPECT_EQ(ipc::service_connect(full, registry, "s").error(), Error::TableFull);
  Ref<Service> listener = MUST(table.get<Service>(0));
  EXPECT_EQ(listener->pending(), 0u);
}

}  // namespace
}  // namespace ipc_test
