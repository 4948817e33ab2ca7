// ServiceRegistry and Service: named services (what a program sees as /svc/NAME) that other
// programs connect to, each connection a new channel.
//
// publish(name) gives the publishing program a handle to a Service object, registered under
// `name`. connect(name) makes a channel, queues one end at the service as a pending connection
// (a message carrying it, charged to the connecting program until accepted) and returns the
// other end. The service takes pending connections with accept(); Readable says one is waiting.
// The registry unpublishes a service when its last handle goes (the program ended, or closed
// it): pending connections are freed, their clients see PeerClosed on their ends.
//
// Names are 1 to kMaxServiceName bytes of [A-Za-z0-9._-], not "." or "..": the part after
// "/svc/" (mapping the path is the integration's business).
//
// Locks: the registry's lock guards the name list and is never held while a service's lock is
// taken, nor the other way round (a lookup takes a reference, then lets go of the registry).
#pragma once

#include <ipc/account.h>
#include <ipc/channel.h>
#include <ipc/error.h>
#include <ipc/handle.h>
#include <ipc/handle_table.h>
#include <ipc/message.h>
#include <ipc/object.h>
#include <support/intrusive_list.h>
#include <support/spinlock.h>
#include <support/string_view.h>
#include <support/thread_safety.h>

namespace ipc {

inline constexpr u32 kMaxServiceName = 64;
inline constexpr u32 kDefaultBacklog = 16;  // pending connections per service
inline constexpr u32 kDefaultMaxServices = 256;

class ServiceRegistry;

class Service final : public Object {
 public:
  static constexpr Kind kKind = Kind::Service;

  support::StringView name() const { return support::StringView(name_, name_size_); }
  // The oldest pending connection: a handle (rights right::kChannel) to a channel end whose
  // peer the connecting program holds. WouldBlock: none pending. BadHandle: the service is
  // closed.
  Result<Handle> accept();
  // Connections waiting now.
  u32 pending() const;

  u32 queued_carriers_locked() const override REQUIRES(lock_);

  // The registry's link (under the registry's lock).
  struct Link {
    support::IntrusiveNode node;
    Service* service = nullptr;
  };

 private:
  friend class ServiceRegistry;
  Service(ServiceRegistry& registry, Charge charge, support::StringView name, u32 backlog);
  ~Service() override;
  // Queues a connection: NotFound once closed, Busy when the backlog is full.
  Result<void> enqueue(MessagePtr& connection);
  void on_last_handle(Reaper& reaper) override;

  // The service's lock (Object's lock()), named here so that the analysis can check its data.
  mutable support::SpinLock lock_;
  ServiceRegistry& registry_;
  Link link_;
  Charge charge_;
  const u32 backlog_;
  char name_[kMaxServiceName];
  u32 name_size_ = 0;
  MessageList pending_ GUARDED_BY(lock_);
  bool closed_ GUARDED_BY(lock_) = false;
};

class ServiceRegistry {
 public:
  explicit ServiceRegistry(u32 max_services = kDefaultMaxServices) : max_services_(max_services) {}
  // Every service must be gone (their handles all closed) before the registry.
  ~ServiceRegistry();
  ServiceRegistry(const ServiceRegistry&) = delete;
  ServiceRegistry& operator=(const ServiceRegistry&) = delete;

  static bool valid_name(support::StringView name);

  // Publishes a service named `name` with room for `backlog` pending connections (at least 1),
  // charged to `account`; returns its handle (rights right::kService). Invalid (name, backlog),
  // Exists (a live service has the name), LimitReached (the registry is full, or the account
  // refused), NoMemory.
  Result<Handle> publish(Account& account, support::StringView name, u32 backlog = kDefaultBacklog);
  // Connects to the service `name`: a new channel (`limits`) and its connection message are
  // charged to `account`. Returns the client's end. NotFound (no live service), Busy (its
  // backlog is full), Invalid (name), LimitReached, NoMemory.
  Result<Handle> connect(Account& account, support::StringView name,
                         const ChannelLimits& limits = {});
  // Services published now.
  u32 count();
  // Calls fn(StringView name) for each published service, with the registry's lock held: fn
  // must not call the registry.
  template <typename Fn> void for_each_name(Fn&& fn) {
    state_.with([&](State& s) {
      for (Service::Link& link : s.services) fn(link.service->name());
    });
  }

 private:
  friend class Service;
  struct State {
    support::IntrusiveList<Service::Link, &Service::Link::node> services;
    u32 count = 0;
  };
  void remove(Service& service);

  const u32 max_services_;
  support::Locked<State> state_;
};

// --- Table-level calls.
// publish: the service's handle goes to the lowest free number.
Result<u32> service_publish(HandleTable& table, ServiceRegistry& registry, support::StringView name,
                            u32 backlog = kDefaultBacklog);
// connect: the client's channel end goes to the lowest free number.
Result<u32> service_connect(HandleTable& table, ServiceRegistry& registry, support::StringView name,
                            const ChannelLimits& limits = {});
// accept on the service at `service` (kRead): the new channel end goes to the lowest free
// number; if the table cannot take it, the connection stays pending.
Result<u32> service_accept(HandleTable& table, u32 service);

}  // namespace ipc
