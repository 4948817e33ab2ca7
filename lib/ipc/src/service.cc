#include <ipc/service.h>
#include <support/allocation_cost.h>
#include <support/new.h>

#include "assert.h"

namespace ipc {

using support::LockGuard;
using support::SpinLock;
using support::StringView;

Service::Service(ServiceRegistry& registry, Charge charge, StringView name, u32 backlog)
    : Object(kKind, lock_), registry_(registry), charge_(support::move(charge)), backlog_(backlog) {
  link_.service = this;
  name_size_ = static_cast<u32>(name.size());
  __builtin_memcpy(name_, name.data(), name.size());
}

Service::~Service() { IPC_ASSERT(pending_.empty() && !link_.node.is_linked()); }

u32 Service::pending() const {
  LockGuard<SpinLock> guard(lock_);
  return static_cast<u32>(pending_.size());
}

u32 Service::queued_carriers_locked() const { return static_cast<u32>(pending_.size()); }

Result<void> Service::enqueue(MessagePtr& connection) {
  LockGuard<SpinLock> guard(lock_);
  if (closed_) return Error::NotFound;
  if (pending_.size() >= backlog_) return Error::Busy;
  pending_.push_back(*connection.release());
  set_signals_locked(signal::kReadable, signal::kReadable);
  return {};
}

Result<Handle> Service::accept() {
  MessagePtr connection;
  {
    LockGuard<SpinLock> guard(lock_);
    if (closed_) return Error::BadHandle;
    Message* head = pending_.pop_front();
    if (head == nullptr) return Error::WouldBlock;
    connection = MessagePtr(head);
    set_signals_locked(signal::kReadable, pending_.empty() ? signal::kNone : signal::kReadable);
  }
  // Freeing the message (at return) gives its charge back to the client.
  return support::move(connection->handles()[0]);
}

void Service::on_last_handle(Reaper& reaper) {
  // First out of the registry (no new connection finds it), then closed (a connect that found
  // it just before fails, or its connection is freed below).
  registry_.remove(*this);
  LockGuard<SpinLock> guard(lock_);
  closed_ = true;
  reaper.adopt(pending_);
  set_signals_locked(signal::kReadable, signal::kNone);
}

ServiceRegistry::~ServiceRegistry() { IPC_ASSERT(count() == 0); }

bool ServiceRegistry::valid_name(StringView name) {
  if (name.empty() || name.size() > kMaxServiceName || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

u32 ServiceRegistry::count() {
  return state_.with([](State& s) { return s.count; });
}

void ServiceRegistry::remove(Service& service) {
  state_.with([&](State& s) {
    if (!service.link_.node.is_linked()) return;  // publish refused it
    s.services.remove(service.link_);
    --s.count;
  });
}

Result<Handle> ServiceRegistry::publish(Account& account, StringView name, u32 backlog) {
  if (!valid_name(name) || backlog == 0) return Error::Invalid;
  Charge charge = TRY(Charge::take(account, support::allocation_cost(sizeof(Service))));
  Service* service = new (std::nothrow) Service(*this, support::move(charge), name, backlog);
  if (service == nullptr) return Error::NoMemory;
  // A new object: its first handle cannot fail. If the name is refused, dropping it frees the
  // service (its on_last_handle finds it unlisted).
  Handle handle = MUST(Handle::create(Ref<Object>(service), right::kService));
  TRY(state_.with([&](State& s) -> Result<void> {
    for (Service::Link& link : s.services) {
      if (link.service->name() == name) return Error::Exists;
    }
    if (s.count >= max_services_) return Error::LimitReached;
    s.services.push_back(service->link_);
    ++s.count;
    return {};
  }));
  return handle;
}

Result<Handle> ServiceRegistry::connect(Account& account, StringView name,
                                        const ChannelLimits& limits) {
  if (!valid_name(name)) return Error::Invalid;
  // Listed means its on_last_handle has not unlisted it, so its closer still holds a reference:
  // taking one here is safe.
  Ref<Service> service = state_.with([&](State& s) -> Ref<Service> {
    for (Service::Link& link : s.services) {
      if (link.service->name() == name) return Ref<Service>(link.service);
    }
    return nullptr;
  });
  if (!service) return Error::NotFound;
  ChannelEnds ends = TRY(Channel::create(account, limits));
  MessagePtr connection = TRY(Message::create(account, {}, 1));
  connection->handles()[0] = support::move(ends.b);
  // On failure the connection (and the service's end in it) is freed, then the client's end.
  TRY(service->enqueue(connection));
  return support::move(ends.a);
}

namespace {

// Puts the handle a call makes at a number reserved before it, so that a full table refuses
// the call before anything is made (or taken).
template <typename Make> Result<u32> into_table(HandleTable& table, Make&& make) {
  u32 number[1];
  TRY(table.reserve(number));
  Result<Handle> made = make();
  if (made.is_error()) {
    table.unreserve(number);
    return made.error();
  }
  Handle handle[1] = {made.release_value()};
  table.fill(number, handle);
  return number[0];
}

}  // namespace

Result<u32> service_publish(HandleTable& table, ServiceRegistry& registry, StringView name,
                            u32 backlog) {
  return into_table(table, [&] { return registry.publish(table.account(), name, backlog); });
}

Result<u32> service_connect(HandleTable& table, ServiceRegistry& registry, StringView name,
                            const ChannelLimits& limits) {
  return into_table(table, [&] { return registry.connect(table.account(), name, limits); });
}

Result<u32> service_accept(HandleTable& table, u32 service) {
  Ref<Service> listener = TRY(table.get<Service>(service, right::kRead));
  return into_table(table, [&] { return listener->accept(); });
}

}  // namespace ipc
