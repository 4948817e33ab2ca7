// net::Socket over lwIP's raw TCP API (docs/net.md, "Sockets").
//
// State. A socket's Impl (its pcb, its received bytes, its flags, a listener's queue) is guarded
// by the stack lock (kernel/net/stack.h), because lwIP's callbacks, which run with that lock
// held, change it. The signals are derived from that state by refresh(), which takes the
// object's lock to set them: lock order stack lock -> object lock -> observer callbacks. No
// lwIP call is ever made with an object lock held (lwIP may call another socket's callbacks
// from any call: tcp_new can abort an older connection to make room).
//
// Lifetime. lwIP holds a pointer to a socket (the pcb's callback argument) only while the
// socket is referenced by something that must detach it, under the stack lock, before letting
// go: its handles (on_last_handle detaches the pcb, closes or resets it, and frees the receive
// ring) or, for a connection not yet accepted, its listener's queue (the listener resets what
// it still queues when its own last handle goes; accept moves the reference into the handle).
// lwIP never calls back with a pointer to a socket whose last handle went: the err callback
// (lwIP freed the pcb) clears `pcb`, and nothing touches a pcb afterwards. So destroy() (the
// last reference) finds no pcb: it frees memory and gives the charge back, with no stack lock.
//
// What a hostile peer or program can do (and what bounds it):
//  - A peer that never reads: the connection's send buffer (TCP_SND_BUF) fills, send answers
//    WouldBlock and kWritable stays down for that socket only. lwIP gives up on it after its
//    retransmission limit when the peer stops acknowledging (Connaborted).
//  - A peer that floods: lwIP accepts at most the window (TCP_WND) beyond what the program
//    has read; tcp_recved opens the window only as the program reads. The bytes are copied out
//    of lwIP's pbufs at once into the socket's receive ring (charged to the program, or for a
//    connection not yet accepted to its listener's program), so a peer's segments, however
//    small, never hold the stack's shared pbuf pool while a program does not read.
//  - 1000 half-open or unaccepted connections: a listener queues at most its backlog of
//    accepted connections (beyond it the accept callback refuses and lwIP resets the new
//    connection); with TCP_LISTEN_BACKLOG lwIP also refuses SYNs beyond the backlog of
//    handshakes in progress. All listeners share lwIP's PCB pool (MEMP_NUM_TCP_PCB): a flood
//    of handshakes to one listener can take every free PCB until they time out, and while it
//    lasts new connections to any listener are refused; connections already established go on
//    (lwIP only evicts PCBs of a lower priority, and all have the same).
//  - A program that opens sockets until its limit: each socket charges its record and
//    kBufferCharge to the program's account and takes a handle; Nomem or the handle limit
//    stop it, and everything goes back when its handles close (or it ends).
//  - A program that closes with unread data: the peer gets a reset, the ring is freed.
#include <kernel/diag/panic.h>
#include <kernel/net/socket.h>
#include <kernel/net/stack.h>
#include <support/allocation_cost.h>
#include <support/new.h>
#include <support/utility.h>

#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

namespace net {

using ipc::Signals;
namespace signal = ipc::signal;

namespace {
constexpr Signals kManaged = signal::kReadable | signal::kWritable | signal::kPeerClosed;
constexpr u32 kMaxBacklog = 128;
static_assert(4 * kListenersPerAccount <= MEMP_NUM_TCP_PCB_LISTEN);
// The receive ring: lwIP never delivers more than the window beyond what was read.
constexpr u32 kReceiveRing = TCP_WND;
static_assert(kBufferCharge >= support::allocation_cost(kReceiveRing) + TCP_SND_BUF);
// One tcp_write: its length is a u16_t.
constexpr u32 kMaxWrite = 0xffff;
// lwIP's coarse timer runs every 500 ms: the poll callback every second re-raises kWritable
// after a send that found the stack's memory exhausted (no sent callback may come then).
constexpr u8 kPollInterval = 2;
}  // namespace

struct Socket::Impl {
  // Everything is guarded by the stack lock, except `listener` (set before the socket is
  // shared) and `charge` (set before, or by accept before a handle exists).
  bool listener = false;
  // Null before it is made, once lwIP freed it (err callback) and once detached.
  tcp_pcb* pcb GUARDED_BY(stack_lock()) = nullptr;
  bool closed GUARDED_BY(stack_lock()) = false;     // the last handle went
  bool connected GUARDED_BY(stack_lock()) = false;  // the handshake completed (stays true)
  bool peer_fin GUARDED_BY(stack_lock()) = false;   // the peer shut down its sending side
  bool read_shut GUARDED_BY(stack_lock()) = false;
  bool write_shut GUARDED_BY(stack_lock()) = false;
  // tcp_write found no memory: kWritable waits for a sent or poll callback.
  bool send_blocked GUARDED_BY(stack_lock()) = false;
  Errno error GUARDED_BY(stack_lock()) = Errno::Success;

  // Received bytes not yet read, copied out of lwIP's pbufs as they arrive (a pbuf holds a
  // whole frame of the shared pool, whatever its payload: kept, a peer's small segments would
  // drain the pool): a ring of kReceiveRing bytes, made when the first bytes come.
  u8* rx_ring GUARDED_BY(stack_lock()) = nullptr;
  u32 rx_start GUARDED_BY(stack_lock()) = 0;
  u32 rx_bytes GUARDED_BY(stack_lock()) = 0;

  // A listener's connections not yet accepted (each holds a reference), oldest first.
  Socket* queue_head GUARDED_BY(stack_lock()) = nullptr;
  Socket* queue_tail GUARDED_BY(stack_lock()) = nullptr;
  u32 queued GUARDED_BY(stack_lock()) = 0;
  u32 backlog GUARDED_BY(stack_lock()) = 0;
  Socket* queue_next GUARDED_BY(stack_lock()) = nullptr;  // a queued connection's link

  Endpoint local GUARDED_BY(stack_lock());
  Endpoint peer GUARDED_BY(stack_lock());
  ipc::Charge charge;

  // A new socket (no pcb yet), or null without memory.
  static ipc::Ref<Socket> make();
  static Socket* of(void* arg) { return static_cast<Socket*>(arg); }
  static Impl& state(Socket& socket) { return *socket.impl_; }

  // The listeners charged to `account` (a scan of lwIP's listeners: at most its pool's 32).
  static u32 listeners_of(const ipc::Account& account) REQUIRES(stack_lock()) {
    u32 n = 0;
    for (tcp_pcb_listen* l = tcp_listen_pcbs.listen_pcbs; l != nullptr; l = l->next) {
      if (l->accept != on_accept) continue;  // not a socket's (a kernel test's own listener)
      Socket* socket = of(l->callback_arg);
      if (socket != nullptr && state(*socket).charge.account() == &account) ++n;
    }
    return n;
  }

  static void refresh(Socket& socket) REQUIRES(stack_lock());
  static Signals signals_of(const Impl& s) REQUIRES(stack_lock());

  // The receive queue.
  bool append(const pbuf* p) REQUIRES(stack_lock());
  u32 copy_out(u8* out, u32 size) const REQUIRES(stack_lock());
  void consume(u32 size) REQUIRES(stack_lock());
  void free_received() REQUIRES(stack_lock());
  void window_opens(u32 bytes) REQUIRES(stack_lock());

  // lwIP's callbacks (stack lock held).
  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err);
  static err_t on_connected(void* arg, tcp_pcb* pcb, err_t err);
  static err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err);
  static err_t on_sent(void* arg, tcp_pcb* pcb, u16_t len);
  static err_t on_poll(void* arg, tcp_pcb* pcb);
  static void on_err(void* arg, err_t err);

  static void attach(Socket& socket, tcp_pcb* pcb) REQUIRES(stack_lock());
  static void detach(tcp_pcb* pcb) REQUIRES(stack_lock());
  static void let_go_if_finished(Impl& s) REQUIRES(stack_lock());
  static void close_connection(Socket& socket, bool reset) REQUIRES(stack_lock());
  static void close_listener(Socket& socket) REQUIRES(stack_lock());
  static Socket* dequeue(Socket& listener) REQUIRES(stack_lock());
  static void set_endpoints(Impl& s, const tcp_pcb* pcb) REQUIRES(stack_lock());
};

namespace {

using Impl = Socket::Impl;

// lwIP calls back with the stack lock held (whoever called into lwIP took it): what the
// thread-safety analysis cannot see from a function pointer.
inline void held_by_lwip() WARDEN_THREAD_ANNOTATION(assert_capability(stack_lock())) {}

u32 to_host(const ip_addr_t& address) { return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&address))); }

ip_addr_t to_lwip(u32 address) {
  ip_addr_t out;
  ip_addr_set_ip4_u32_val(out, lwip_htonl(address));
  return out;
}

// What the record costs: the Socket and its Impl, two allocations.
constexpr u64 kRecordCharge =
    support::allocation_cost(sizeof(Socket)) + support::allocation_cost(sizeof(Socket::Impl));

// lwIP's err callback codes, for a connection that was (`connected`) or was not yet up.
Errno errno_of(err_t err, bool connected) {
  switch (err) {
    case ERR_RST: return connected ? Errno::Connreset : Errno::Connrefused;
    case ERR_ABRT:  // lwIP gave up (retransmissions or the handshake timed out) or evicted it
      return connected ? Errno::Connaborted : Errno::Timedout;
    case ERR_TIMEOUT: return Errno::Timedout;
    case ERR_RTE: return Errno::Hostunreach;
    default: return Errno::Connreset;
  }
}

// An address this machine answers on (any of its interfaces' addresses, or loopback).
// Whether a listener already takes `local`'s port on its address: the same address, or either
// of the two is every address (0). With SOF_REUSEADDR lwIP's own check lets a second listener
// bind 10.0.2.15:80 beside *:80, and the more specific one would then take the other's
// connections: one program could take over another's port.
bool port_taken(Endpoint local) REQUIRES(stack_lock()) {
  for (tcp_pcb_listen* l = tcp_listen_pcbs.listen_pcbs; l != nullptr; l = l->next) {
    if (l->local_port != local.port) continue;
    u32 address = to_host(l->local_ip);
    if (address == 0 || local.address == 0 || address == local.address) return true;
  }
  return false;
}

bool is_local_address(u32 address) REQUIRES(stack_lock()) {
  if (address == 0 || (address >> 24) == 127) return true;
  netif* n;
  NETIF_FOREACH(n) {
    if (netif_is_up(n) && to_host(n->ip_addr) == address) return true;
  }
  return false;
}

}  // namespace

// ---- signals ----

Signals Impl::signals_of(const Impl& s) {
  Signals now;
  if (s.listener) {
    if (s.queued != 0) now |= signal::kReadable;
    return now;
  }
  bool failed = s.error != Errno::Success;
  bool gone = s.connected && s.pcb == nullptr;  // closed by lwIP after both sides finished
  if (s.rx_bytes != 0 || s.peer_fin || failed || s.read_shut || gone) now |= signal::kReadable;
  if (s.peer_fin || failed || gone) now |= signal::kPeerClosed;
  bool send_over = s.write_shut || failed || gone;
  bool room = s.connected && s.pcb != nullptr && !s.send_blocked && tcp_sndbuf(s.pcb) != 0 &&
              tcp_sndqueuelen(s.pcb) < TCP_SND_QUEUELEN;
  if (send_over || room) now |= signal::kWritable;
  return now;
}

void Impl::refresh(Socket& socket) {
  Signals now = signals_of(state(socket));
  support::LockGuard<support::SpinLock> guard(socket.lock());
  socket.set_signals_locked(kManaged, now);
}

// ---- the receive queue ----

// Copies `p` in: false (nothing taken) when the ring cannot be made or has no room (then lwIP
// keeps the bytes and offers them again from its timer).
bool Impl::append(const pbuf* p) {
  if (rx_ring == nullptr) rx_ring = new (std::nothrow) u8[kReceiveRing];
  if (rx_ring == nullptr || p->tot_len > kReceiveRing - rx_bytes) return false;
  for (const pbuf* q = p; q != nullptr; q = q->next) {
    const u8* from = static_cast<const u8*>(q->payload);
    u32 at = (rx_start + rx_bytes) % kReceiveRing;
    u32 first = kReceiveRing - at < q->len ? kReceiveRing - at : q->len;
    __builtin_memcpy(rx_ring + at, from, first);
    __builtin_memcpy(rx_ring, from + first, q->len - first);
    rx_bytes += q->len;
  }
  return true;
}

u32 Impl::copy_out(u8* out, u32 size) const {
  u32 n = size < rx_bytes ? size : rx_bytes;
  u32 first = kReceiveRing - rx_start < n ? kReceiveRing - rx_start : n;
  __builtin_memcpy(out, rx_ring + rx_start, first);
  __builtin_memcpy(out + first, rx_ring, n - first);
  return n;
}

void Impl::consume(u32 size) {
  rx_bytes -= size;
  rx_start = rx_bytes == 0 ? 0 : (rx_start + size) % kReceiveRing;
}

// Tells lwIP that `bytes` left the receive queue: the window opens by as much (tcp_recved
// sends an update when it is worth one).
void Impl::window_opens(u32 bytes) {
  for (u32 left = bytes; pcb != nullptr && left != 0;) {
    u16_t step = static_cast<u16_t>(left < kMaxWrite ? left : kMaxWrite);
    tcp_recved(pcb, step);
    left -= step;
  }
}

void Impl::free_received() {
  delete[] rx_ring;
  rx_ring = nullptr;
  rx_start = rx_bytes = 0;
}

// ---- lwIP's callbacks ----

void Impl::attach(Socket& socket, tcp_pcb* pcb) {
  tcp_arg(pcb, &socket);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_err);
  tcp_poll(pcb, on_poll, kPollInterval);
  // Every send goes out at once (a program cannot ask for TCP_NODELAY through WASI, and
  // Nagle with delayed acknowledgements stalls the write-write-read of a request/response).
  tcp_nagle_disable(pcb);
  state(socket).pcb = pcb;
}

// lwIP keeps no pointer to the socket after this: with no recv callback it acknowledges and
// drops what still arrives (tcp_recv_null), and nothing else calls back.
void Impl::detach(tcp_pcb* pcb) {
  tcp_arg(pcb, nullptr);
  tcp_recv(pcb, nullptr);
  tcp_sent(pcb, nullptr);
  tcp_err(pcb, nullptr);
  tcp_poll(pcb, nullptr, 0);
}

// Both directions are over (our FIN sent, the peer's received): lwIP finishes the connection by
// itself (LAST_ACK, or FIN_WAIT/CLOSING then TIME_WAIT) and frees the pcb without telling anyone
// from TIME_WAIT (its timer, or tcp_kill_timewait when the pool is short). So the socket lets go
// of it now: a pointer kept past that would name a freed slot, soon another connection's.
void Impl::let_go_if_finished(Impl& s) {
  if (s.pcb == nullptr || !s.write_shut || !s.peer_fin) return;
  detach(s.pcb);
  s.pcb = nullptr;
}

void Impl::set_endpoints(Impl& s, const tcp_pcb* pcb) {
  s.local = Endpoint{to_host(pcb->local_ip), pcb->local_port};
  s.peer = Endpoint{to_host(pcb->remote_ip), pcb->remote_port};
}

err_t Impl::on_accept(void* arg, tcp_pcb* pcb, err_t err) {
  held_by_lwip();
  Socket* listener = of(arg);
  if (listener == nullptr || pcb == nullptr || err != ERR_OK) return ERR_VAL;
  Impl& l = state(*listener);
  // Returning an error makes lwIP reset the new connection.
  if (l.closed || l.queued >= l.backlog) return ERR_MEM;
  // The connection's record is the kernel's until accept() charges the program: at most
  // `backlog` of them per listener, which the listener's own charge covers.
  ipc::Ref<Socket> made = Impl::make();
  if (!made) return ERR_MEM;
  Socket& socket = *made;
  Impl& s = state(socket);
  attach(socket, pcb);
  s.connected = true;
  set_endpoints(s, pcb);
  refresh(socket);
  Socket* queued = made.leak();
  if (l.queue_tail == nullptr) {
    l.queue_head = queued;
  } else {
    state(*l.queue_tail).queue_next = queued;
  }
  l.queue_tail = queued;
  l.queued++;
  refresh(*listener);
  return ERR_OK;
}

err_t Impl::on_connected(void* arg, tcp_pcb* pcb, err_t) {
  held_by_lwip();
  Socket* socket = of(arg);
  if (socket == nullptr) return ERR_OK;
  Impl& s = state(*socket);
  s.connected = true;
  set_endpoints(s, pcb);
  refresh(*socket);
  return ERR_OK;
}

err_t Impl::on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
  held_by_lwip();
  Socket* socket = of(arg);
  if (socket == nullptr || err != ERR_OK) {
    if (p != nullptr) {
      tcp_recved(pcb, p->tot_len);
      pbuf_free(p);
    }
    return ERR_OK;
  }
  Impl& s = state(*socket);
  if (p == nullptr) {
    s.peer_fin = true;
    // Our FIN went first: lwIP goes on to TIME_WAIT and frees the pcb later without a callback.
    let_go_if_finished(s);
  } else if (s.read_shut) {
    // Receiving was shut down: acknowledge and drop (as Linux does), the window stays open.
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  } else {
    // The window bounds what can wait here: tcp_recved reopens it as the program reads.
    if (!s.append(p)) return ERR_MEM;  // lwIP keeps p (refused data) and tries again later
    pbuf_free(p);
  }
  refresh(*socket);
  return ERR_OK;
}

err_t Impl::on_sent(void* arg, tcp_pcb*, u16_t) {
  held_by_lwip();
  Socket* socket = of(arg);
  if (socket == nullptr) return ERR_OK;
  state(*socket).send_blocked = false;
  refresh(*socket);
  return ERR_OK;
}

// lwIP's periodic poll: a send that found no room may try again (as after an acknowledgement).
err_t Impl::on_poll(void* arg, tcp_pcb* pcb) { return on_sent(arg, pcb, 0); }

// lwIP has freed the pcb (reset, timeout, eviction, or the close finished while only sending
// was shut down): never touch it again.
void Impl::on_err(void* arg, err_t err) {
  held_by_lwip();
  Socket* socket = of(arg);
  if (socket == nullptr) return;
  Impl& s = state(*socket);
  s.pcb = nullptr;
  // ERR_CLSD: both sides finished normally (after shutdown(write) and the peer's FIN).
  if (err == ERR_CLSD) {
    s.peer_fin = true;
  } else if (s.error == Errno::Success) {
    s.error = errno_of(err, s.connected);
  }
  refresh(*socket);
}

// ---- closing ----

void Impl::close_connection(Socket& socket, bool reset) {
  Impl& s = state(socket);
  s.closed = true;
  // Unread bytes: the peer learns that they were lost (a reset, as BSD sockets do).
  if (s.rx_bytes != 0) reset = true;
  s.free_received();
  if (s.pcb == nullptr) return;
  tcp_pcb* pcb = s.pcb;
  s.pcb = nullptr;
  detach(pcb);
  // tcp_close sends what is queued then a FIN, and frees the pcb later by itself (it retries a
  // FIN it could not queue from its timer); it fails only for want of memory in states where
  // nothing is owed to the peer.
  if (reset || tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

Socket* Impl::dequeue(Socket& listener) {
  Impl& l = state(listener);
  Socket* first = l.queue_head;
  if (first == nullptr) return nullptr;
  l.queue_head = state(*first).queue_next;
  if (l.queue_head == nullptr) l.queue_tail = nullptr;
  state(*first).queue_next = nullptr;
  l.queued--;
  return first;
}

// Stops listening, resets the queued connections and drops their references (the last ones:
// they never had a handle; destroying them frees memory only, which the stack lock allows).
void Impl::close_listener(Socket& listener) {
  Impl& l = state(listener);
  l.closed = true;
  if (l.pcb != nullptr) {
    tcp_arg(l.pcb, nullptr);
    tcp_accept(l.pcb, nullptr);
    // A listening pcb closes at once (lwIP frees it and forgets the handshakes in progress).
    tcp_close(l.pcb);
    l.pcb = nullptr;
  }
  while (Socket* queued = dequeue(listener)) {
    close_connection(*queued, /*reset=*/true);
    queued->release();
  }
  refresh(listener);
}

// ---- Socket ----

Socket::Socket() : Object(kKind) {}

Socket::~Socket() {
  ASSERT(impl_->pcb == nullptr && impl_->rx_ring == nullptr && impl_->queue_head == nullptr);
  delete impl_;
}

ipc::Ref<Socket> Impl::make() {
  Impl* impl = new (std::nothrow) Impl;
  if (impl == nullptr) return nullptr;
  Socket* socket = new (std::nothrow) Socket;
  if (socket == nullptr) {
    delete impl;
    return nullptr;
  }
  socket->impl_ = impl;
  return ipc::Ref<Socket>(socket);
}

void Socket::on_last_handle(ipc::Reaper&) {
  StackGuard guard(stack_lock());
  if (impl_->listener) {
    Impl::close_listener(*this);
  } else {
    Impl::close_connection(*this, /*reset=*/false);
    Impl::refresh(*this);
  }
}

bool Socket::listening() const { return impl_->listener; }

Errno Socket::connect_status() {
  StackGuard guard(stack_lock());
  if (impl_->error != Errno::Success) return impl_->error;
  return impl_->connected ? Errno::Success : Errno::WouldBlock;
}

u64 Socket::available() const {
  StackGuard guard(stack_lock());
  return impl_->rx_bytes;
}

u64 Socket::room() const {
  StackGuard guard(stack_lock());
  const Impl& s = *impl_;
  bool open = s.connected && s.pcb != nullptr && !s.write_shut && s.error == Errno::Success;
  return open ? tcp_sndbuf(s.pcb) : 0;
}

Endpoint Socket::local() const {
  StackGuard guard(stack_lock());
  return impl_->local;
}

Endpoint Socket::peer() const {
  StackGuard guard(stack_lock());
  return impl_->peer;
}

Errno Socket::accept(ipc::Account& account, ipc::Handle* out) {
  if (!impl_->listener) return Errno::Inval;
  // Charged first, with no lock held (an account may take its own), given back if nothing
  // waits.
  auto charge = ipc::Charge::take(account, kRecordCharge + kBufferCharge);
  ipc::Ref<Socket> taken;
  {
    StackGuard guard(stack_lock());
    if (impl_->closed) return Errno::Badf;
    Socket* first = Impl::dequeue(*this);
    if (first == nullptr) return Errno::WouldBlock;
    taken = ipc::Ref<Socket>::adopt(first);
    if (charge.is_error()) {
      Impl::close_connection(*first, /*reset=*/true);
    } else {
      Impl::state(*first).charge = support::move(charge.value());
    }
    Impl::refresh(*this);
  }
  if (charge.is_error()) return Errno::Nomem;
  // A new object: its first handle cannot fail.
  *out = MUST(ipc::Handle::create(ipc::Ref<ipc::Object>(support::move(taken)), socket_rights()));
  return Errno::Success;
}

Errno Socket::recv(support::Span<u8> out, bool peek, u64* done) {
  *done = 0;
  if (impl_->listener) return Errno::Notconn;
  StackGuard guard(stack_lock());
  Impl& s = *impl_;
  if (s.closed) return Errno::Badf;
  if (out.empty() || s.read_shut) return Errno::Success;
  if (s.rx_bytes != 0) {
    u32 want = out.size() < s.rx_bytes ? static_cast<u32>(out.size()) : s.rx_bytes;
    u32 n = s.copy_out(out.data(), want);
    *done = n;
    if (!peek) {
      s.consume(n);
      s.window_opens(n);
      Impl::refresh(*this);
    }
    return Errno::Success;
  }
  if (s.error != Errno::Success) return s.error;
  if (s.peer_fin || (s.connected && s.pcb == nullptr)) return Errno::Success;
  if (!s.connected) return Errno::Notconn;
  return Errno::WouldBlock;
}

Errno Socket::send(support::Span<const u8> data, u64* done) {
  *done = 0;
  if (impl_->listener) return Errno::Notconn;
  StackGuard guard(stack_lock());
  Impl& s = *impl_;
  if (s.closed) return Errno::Badf;
  if (s.write_shut || s.error != Errno::Success) return Errno::Pipe;
  if (!s.connected) return Errno::Notconn;
  if (s.pcb == nullptr) return Errno::Pipe;
  if (data.empty()) return Errno::Success;
  u64 sent = 0;
  u32 chunk = kMaxWrite;
  while (sent < data.size()) {
    u32 room = tcp_sndbuf(s.pcb);
    if (room == 0) break;
    u64 left = data.size() - sent;
    u32 n = left < room ? static_cast<u32>(left) : room;
    if (n > chunk) n = chunk;
    err_t err = tcp_write(s.pcb, data.data() + sent, static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY);
    if (err == ERR_OK) {
      sent += n;
      continue;
    }
    // ERR_MEM: the segment queue is full or the stack has no memory; a smaller write may still
    // fit in the queue.
    if (err != ERR_MEM || n <= tcp_mss(s.pcb)) break;
    chunk = n / 2;
  }
  if (sent == 0) {
    s.send_blocked = true;
    Impl::refresh(*this);
    return Errno::WouldBlock;
  }
  tcp_output(s.pcb);
  *done = sent;
  Impl::refresh(*this);
  return Errno::Success;
}

Errno Socket::shutdown(bool read, bool write) {
  if (impl_->listener) return Errno::Notconn;
  StackGuard guard(stack_lock());
  Impl& s = *impl_;
  if (s.closed) return Errno::Badf;
  if (!s.connected && s.error == Errno::Success) return Errno::Notconn;
  if (read && !s.read_shut) {
    s.read_shut = true;
    // Dropped, and acknowledged to the peer (its window opens: no reset at close).
    u32 dropped = s.rx_bytes;
    s.free_received();
    s.window_opens(dropped);
  }
  if (write && !s.write_shut) {
    s.write_shut = true;
    // A FIN after what is queued.
    if (s.pcb != nullptr) tcp_shutdown(s.pcb, 0, 1);
    Impl::let_go_if_finished(s);
  }
  Impl::refresh(*this);
  return Errno::Success;
}

// ---- making sockets ----

Errno listen(ipc::Account& account, Endpoint local, u32 backlog, ipc::Handle* out) {
  if (backlog == 0 || backlog > kMaxBacklog || local.port == 0) return Errno::Inval;
  if (!up()) return Errno::Netdown;
  // The listener's record, and the records and receive rings of the connections it may queue
  // before they are accepted (the kernel's memory until accept charges the program).
  u64 queued = kRecordCharge + support::allocation_cost(kReceiveRing);
  auto charge = ipc::Charge::take(account, kRecordCharge + queued * backlog);
  if (charge.is_error()) return Errno::Nomem;
  ipc::Ref<Socket> socket = Impl::make();
  if (!socket) return Errno::Nomem;
  Impl& s = Impl::state(*socket);
  s.listener = true;
  s.charge = support::move(charge.value());
  {
    StackGuard guard(stack_lock());
    s.backlog = backlog;
    if (!is_local_address(local.address)) return Errno::Addrnotavail;
    if (Impl::listeners_of(account) >= kListenersPerAccount) return Errno::Nomem;
    if (port_taken(local)) return Errno::Addrinuse;
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == nullptr) return Errno::Nomem;
#if SO_REUSE
    // A restarted server gets its port back while connections of its last run wait out
    // TIME_WAIT.
    ip_set_option(pcb, SOF_REUSEADDR);
#endif
    ip_addr_t address = to_lwip(local.address);
    err_t err = tcp_bind(pcb, &address, local.port);
    if (err != ERR_OK) {
      tcp_close(pcb);
      return err == ERR_USE ? Errno::Addrinuse : Errno::Inval;
    }
    tcp_pcb* listening = tcp_listen_with_backlog_and_err(pcb, static_cast<u8_t>(backlog), &err);
    if (listening == nullptr) {
      tcp_close(pcb);
      return err == ERR_USE ? Errno::Addrinuse : Errno::Nomem;
    }
    s.pcb = listening;
    s.local = Endpoint{to_host(listening->local_ip), listening->local_port};
    tcp_arg(listening, socket.get());
    tcp_accept(listening, Impl::on_accept);
  }
  *out = MUST(ipc::Handle::create(ipc::Ref<ipc::Object>(support::move(socket)), socket_rights()));
  return Errno::Success;
}

Errno connect(ipc::Account& account, Endpoint remote, ipc::Handle* out) {
  if (remote.address == 0 || remote.port == 0) return Errno::Inval;
  if (!up()) return Errno::Netdown;
  auto charge = ipc::Charge::take(account, kRecordCharge + kBufferCharge);
  if (charge.is_error()) return Errno::Nomem;
  ipc::Ref<Socket> socket = Impl::make();
  if (!socket) return Errno::Nomem;
  Impl& s = Impl::state(*socket);
  s.charge = support::move(charge.value());
  {
    StackGuard guard(stack_lock());
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == nullptr) return Errno::Nomem;
    Impl::attach(*socket, pcb);
    ip_addr_t address = to_lwip(remote.address);
    err_t err = tcp_connect(pcb, &address, remote.port, Impl::on_connected);
    if (err != ERR_OK) {
      Impl::detach(pcb);
      s.pcb = nullptr;
      tcp_abort(pcb);
      if (err == ERR_RTE) return Errno::Netunreach;
      if (err == ERR_MEM || err == ERR_BUF) return Errno::Nomem;
      return err == ERR_USE ? Errno::Addrnotavail : Errno::Inval;
    }
    Impl::set_endpoints(s, pcb);
    Impl::refresh(*socket);
  }
  *out = MUST(ipc::Handle::create(ipc::Ref<ipc::Object>(support::move(socket)), socket_rights()));
  return Errno::Success;
}

// ---- the rest of the interface ----

ipc::Rights socket_rights() {
  using namespace ipc::right;
  return kRead | kWrite | kWait | kDuplicate | kTransfer;
}

Socket* as_socket(ipc::Object* object) {
  if (object == nullptr || object->kind() != Socket::kKind) return nullptr;
  return static_cast<Socket*>(object);
}

namespace {

// Parses decimal digits into `*value` (at most `max`), advancing `*at`: false when there are
// none or too many.
bool parse_number(support::StringView text, usize* at, u32 max, u32* value) {
  usize start = *at;
  u32 v = 0;
  while (*at < text.size() && text[*at] >= '0' && text[*at] <= '9') {
    v = v * 10 + static_cast<u32>(text[*at] - '0');
    if (v > max || *at - start >= 5) return false;
    ++*at;
  }
  if (*at == start) return false;
  *value = v;
  return true;
}

}  // namespace

bool parse_endpoint(support::StringView text, Endpoint* out) {
  usize at = 0;
  u32 address = 0;
  if (at < text.size() && text[at] == '*') {
    ++at;
  } else if (at < text.size() && text[at] != ':') {
    for (int i = 0; i < 4; ++i) {
      u32 octet;
      if (i != 0) {
        if (at >= text.size() || text[at] != '.') return false;
        ++at;
      }
      if (!parse_number(text, &at, 255, &octet)) return false;
      address = address << 8 | octet;
    }
  }
  if (at >= text.size() || text[at] != ':') return false;
  ++at;
  u32 port;
  if (!parse_number(text, &at, 65535, &port) || port == 0 || at != text.size()) return false;
  *out = Endpoint{address, static_cast<u16>(port)};
  return true;
}

}  // namespace net
