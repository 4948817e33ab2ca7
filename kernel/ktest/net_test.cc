// The network stack against QEMU's user network (tests/boot/net_test.py boots with a virtio
// network device, and passes `net_echo_port=PORT`: a TCP echo server on the host's loopback,
// reached from the guest as 10.0.2.2:PORT). Without a network device the tests that need one
// skip themselves, saying so.
#include <kernel/boot/boot_args.h>
#include <kernel/drivers/virtio_net.h>
#include <kernel/ktest/ktest.h>
#include <kernel/net/stack.h>

#include <async/time.h>
#include <lwip/ip4_addr.h>
#include <lwip/tcp.h>

namespace {

constexpr u32 kGuestNet = 0x0a000200;  // 10.0.2.0/24, QEMU's user network
constexpr u32 kGateway = 0x0a000202;   // 10.0.2.2: QEMU's gateway, the host's loopback
constexpr u32 kEchoBytes = 8192;       // what the test sends; the host echoes it and closes

u8 echo_byte(u32 i) { return static_cast<u8>(i * 7 + (i >> 8)); }

// Polls `done()` every 10 ms for at most `seconds`.
template <typename Done> async::Task<bool> wait_for(u32 seconds, Done done) {
  for (u32 i = 0; i < seconds * 100; ++i) {
    if (done()) co_return true;
    co_await async::sleep(async::milliseconds(10));
  }
  co_return done();
}

async::Task<bool> wait_configured() {
  co_return co_await wait_for(20, [] { return net::address().configured; });
}

// A raw lwIP client: the state its callbacks share with the test (under the stack lock).
struct Echo {
  struct tcp_pcb* pcb = nullptr;
  u32 sent = 0;
  u32 received = 0;
  u32 mismatches = 0;
  bool connected = false;
  bool closed_by_peer = false;
  bool failed = false;
  err_t error = ERR_OK;
};

void send_more(Echo& e) {
  while (e.sent < kEchoBytes) {
    u8 chunk[512];
    u32 n = kEchoBytes - e.sent < sizeof chunk ? kEchoBytes - e.sent : sizeof chunk;
    if (tcp_sndbuf(e.pcb) < n) break;
    for (u32 i = 0; i < n; ++i) chunk[i] = echo_byte(e.sent + i);
    if (tcp_write(e.pcb, chunk, static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY) != ERR_OK) break;
    e.sent += n;
  }
  tcp_output(e.pcb);
}

err_t on_connected(void* arg, struct tcp_pcb*, err_t) {
  auto& e = *static_cast<Echo*>(arg);
  e.connected = true;
  send_more(e);
  return ERR_OK;
}

err_t on_sent(void* arg, struct tcp_pcb*, u16_t) {
  send_more(*static_cast<Echo*>(arg));
  return ERR_OK;
}

err_t on_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
  auto& e = *static_cast<Echo*>(arg);
  if (p == nullptr) {
    e.closed_by_peer = true;
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    tcp_sent(pcb, nullptr);
    tcp_err(pcb, nullptr);
    e.pcb = nullptr;
    if (tcp_close(pcb) == ERR_OK) return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;  // lwIP's rule after tcp_abort in a callback
  }
  for (struct pbuf* q = p; q != nullptr; q = q->next) {
    const u8* bytes = static_cast<const u8*>(q->payload);
    for (u16_t i = 0; i < q->len; ++i)
      if (bytes[i] != echo_byte(e.received + i)) ++e.mismatches;
    e.received += q->len;
  }
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

void on_error(void* arg, err_t error) {
  auto& e = *static_cast<Echo*>(arg);
  e.failed = true;
  e.error = error;
  e.pcb = nullptr;  // lwIP has freed it
}

// Connects `e` to address:port (host byte order); false when lwIP refuses at once.
bool start_client(Echo& e, u32 address, u32 port) {
  net::StackGuard guard(net::stack_lock());
  e.pcb = tcp_new();
  if (e.pcb == nullptr) return false;
  tcp_arg(e.pcb, &e);
  tcp_recv(e.pcb, on_recv);
  tcp_sent(e.pcb, on_sent);
  tcp_err(e.pcb, on_error);
  ip_addr_t peer;
  ip_addr_set_ip4_u32(&peer, lwip_htonl(address));
  e.error = tcp_connect(e.pcb, &peer, static_cast<u16_t>(port), on_connected);
  if (e.error == ERR_OK) return true;
  tcp_abort(e.pcb);
  e.pcb = nullptr;
  return false;
}

// Waits (30 s at most) until the peer has echoed and closed, then checks what came back.
async::Task<void> finish_client(ktest::Context& kt, Echo& echo) {
  bool done = co_await wait_for(30, [&] {
    net::StackGuard guard(net::stack_lock());
    return echo.closed_by_peer || echo.failed;
  });
  {
    net::StackGuard guard(net::stack_lock());
    if (echo.pcb != nullptr) {  // not finished: nothing may call back into this frame
      tcp_arg(echo.pcb, nullptr);
      tcp_abort(echo.pcb);
      echo.pcb = nullptr;
    }
  }
  KEXPECT(done);
  KEXPECT(echo.connected);
  KEXPECT(!echo.failed);
  KEXPECT_EQ(echo.sent, kEchoBytes);
  KEXPECT_EQ(echo.received, kEchoBytes);
  KEXPECT_EQ(echo.mismatches, 0u);
}

// The server side of the loopback test: echoes kEchoBytes, then closes.
struct EchoServer {
  struct tcp_pcb* listener = nullptr;
  u32 accepted = 0;
  u32 echoed = 0;
};

err_t server_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
  auto& server = *static_cast<EchoServer*>(arg);
  if (p == nullptr) {
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    if (tcp_close(pcb) == ERR_OK) return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  for (struct pbuf* q = p; q != nullptr; q = q->next)
    if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) == ERR_OK) server.echoed += q->len;
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  tcp_output(pcb);
  if (server.echoed >= kEchoBytes) {
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    if (tcp_close(pcb) != ERR_OK) {
      tcp_abort(pcb);
      return ERR_ABRT;
    }
  }
  return ERR_OK;
}

err_t server_accept(void* arg, struct tcp_pcb* pcb, err_t error) {
  if (error != ERR_OK || pcb == nullptr) return ERR_VAL;
  ++static_cast<EchoServer*>(arg)->accepted;
  tcp_arg(pcb, arg);
  tcp_recv(pcb, server_recv);
  return ERR_OK;
}

// The pools are back to `before`: connections (but those in TIME_WAIT, which lwIP frees by
// itself), listeners, segments, pool pbufs, the heap.
bool settled(const net::Stats& before) {
  net::Stats now = net::stats();
  return now.tcp_pcbs - now.tcp_time_wait == before.tcp_pcbs - before.tcp_time_wait &&
         now.tcp_listeners == before.tcp_listeners && now.tcp_segments == before.tcp_segments &&
         now.pbufs == before.pbufs && now.heap_used == before.heap_used;
}

u32 parse_port(support::StringView text) {
  u32 port = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || port > 65535) return 0;
    port = port * 10 + static_cast<u32>(c - '0');
  }
  return port <= 65535 ? port : 0;
}

}  // namespace

KTEST(net, frame_length_trusts_only_lengths_within_the_buffer_and_a_frame) {
  constexpr u64 kBuffer = 2048, kHeader = 12;
  KEXPECT(!drivers::net_frame_length(0, kBuffer));
  KEXPECT(!drivers::net_frame_length(kHeader, kBuffer));
  KEXPECT(!drivers::net_frame_length(kHeader + drivers::kMinFrame - 1, kBuffer));
  KEXPECT_EQ(*drivers::net_frame_length(kHeader + drivers::kMinFrame, kBuffer), drivers::kMinFrame);
  KEXPECT_EQ(*drivers::net_frame_length(kHeader + drivers::kMaxFrame, kBuffer), drivers::kMaxFrame);
  KEXPECT(!drivers::net_frame_length(kHeader + drivers::kMaxFrame + 1, kBuffer));
  KEXPECT(!drivers::net_frame_length(kBuffer + 1, kBuffer));
  KEXPECT(!drivers::net_frame_length(~u64{0}, kBuffer));
  KEXPECT(!drivers::net_frame_length(u64{1} << 32, kBuffer));
}

KTEST_ASYNC(net, dhcp_gives_an_address_in_the_user_network) {
  if (!net::up()) co_return kt.skip("needs a network device (--net)");
  bool configured = co_await wait_configured();
  CO_KASSERT(configured);
  net::Address a = net::address();
  KEXPECT(a.dhcp);
  KEXPECT_EQ(a.address & 0xffffff00u, kGuestNet);
  KEXPECT(a.address != kGuestNet && a.address != kGateway);
  KEXPECT_EQ(a.netmask, 0xffffff00u);
  KEXPECT_EQ(a.gateway, kGateway);
  KEXPECT(a.mac[0] != 0 || a.mac[1] != 0 || a.mac[2] != 0);
}

KTEST_ASYNC(net, tcp_connects_to_the_host_and_gets_its_bytes_echoed) {
  auto port_text = boot_args::get("net_echo_port");
  if (!net::up() || !port_text)
    co_return kt.skip("needs a network device and net_echo_port=PORT (tests/boot/net_test.py)");
  u32 port = parse_port(*port_text);
  CO_KASSERT(port != 0);
  CO_KASSERT(co_await wait_configured());
  net::Stats before = net::stats();
  Echo echo;
  CO_KASSERT(start_client(echo, kGateway, port));
  co_await finish_client(kt, echo);
  // The connection's PCB goes back to the pool once the peer acknowledged our FIN.
  bool released = co_await wait_for(10, [&] { return settled(before); });
  KEXPECT(released);
}

// lwIP's loopback: the kernel connects to itself on 127.0.0.1 (LWIP_NETIF_LOOPBACK; the packets
// go round through the stack task, which the stack lock's release wakes for them).
KTEST_ASYNC(net, tcp_over_loopback_connects_to_a_listener_in_the_kernel) {
  if (!net::up()) co_return kt.skip("needs a network device (--net)");
  constexpr u32 kLoopback = 0x7f000001, kPort = 7007;
  net::Stats before = net::stats();
  EchoServer server;
  {
    net::StackGuard guard(net::stack_lock());
    struct tcp_pcb* pcb = tcp_new();
    if (pcb != nullptr && tcp_bind(pcb, IP4_ADDR_ANY, kPort) == ERR_OK) {
      server.listener = tcp_listen_with_backlog(pcb, 4);
      if (server.listener == nullptr) tcp_abort(pcb);
    } else if (pcb != nullptr) {
      tcp_abort(pcb);
    }
    if (server.listener != nullptr) {
      tcp_arg(server.listener, &server);
      tcp_accept(server.listener, server_accept);
    }
  }
  CO_KASSERT(server.listener != nullptr);
  Echo echo;
  if (start_client(echo, kLoopback, kPort)) co_await finish_client(kt, echo);
  {
    net::StackGuard guard(net::stack_lock());
    tcp_close(server.listener);  // a listener's close cannot fail
  }
  KEXPECT_EQ(server.accepted, 1u);
  KEXPECT_EQ(server.echoed, kEchoBytes);
  // Both ends' PCBs go back (the side that closed first waits in TIME_WAIT, counted apart).
  bool released = co_await wait_for(10, [&] { return settled(before); });
  KEXPECT(released);
}

KTEST_ASYNC(net, malformed_frames_are_dropped_and_counted) {
  if (!net::up()) co_return kt.skip("needs a network device (--net)");
  CO_KASSERT(co_await wait_configured());
  net::Address a = net::address();
  net::Stats before = net::stats();
  static u8 frame[4096];
  u32 seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return static_cast<u8>(seed >> 16);
  };
  u32 bad_lengths = 0;
  // Lengths the checks refuse: empty, shorter than a header, longer than a frame.
  const u32 lengths[] = {0, 1, 13, drivers::kMaxFrame + 1, sizeof frame};
  for (u32 length : lengths) {
    for (u32 i = 0; i < length; ++i) frame[i] = next();
    KEXPECT(net::inject_frame(support::Span<const u8>(frame, length)));
    ++bad_lengths;
  }
  // Frames lwIP must take apart and drop: garbage after a header addressed to us, truncated and
  // lying ARP and IPv4 headers, to us and broadcast.
  for (u32 round = 0; round < 2000; ++round) {
    u32 length = drivers::kMinFrame + next() % (drivers::kMaxFrame - drivers::kMinFrame + 1);
    if (round % 3 == 0) length = drivers::kMinFrame + next() % 64;
    for (u32 i = 0; i < length; ++i) frame[i] = next();
    for (u32 i = 0; i < 6; ++i) frame[i] = round % 2 == 0 ? a.mac[i] : 0xff;
    u8 kind = round % 4;
    if (kind == 1 || kind == 2) {  // IPv4: version 4, a random header length and total length
      frame[12] = 0x08;
      frame[13] = 0x00;
      if (length > 14) frame[14] = static_cast<u8>(0x40 | (next() & 15));
      if (kind == 2 && length > 33) {            // to our address, TCP or UDP or ICMP
        constexpr u8 kProtocols[] = {6, 17, 1};  // TCP, UDP, ICMP
        frame[23] = kProtocols[next() % 3];
        frame[30] = static_cast<u8>(a.address >> 24);
        frame[31] = static_cast<u8>(a.address >> 16);
        frame[32] = static_cast<u8>(a.address >> 8);
        frame[33] = static_cast<u8>(a.address);
      }
    } else if (kind == 3) {  // ARP
      frame[12] = 0x08;
      frame[13] = 0x06;
    }
    KEXPECT(net::inject_frame(support::Span<const u8>(frame, length)));
  }
  net::Stats after = net::stats();
  KEXPECT_EQ(after.rx_malformed - before.rx_malformed, u64{bad_lengths});
  // Nothing was kept: the pools are back where they were, and the stack still has its address.
  bool released = co_await wait_for(5, [&] { return settled(before); });
  KEXPECT(released);
  KEXPECT(net::address().configured);
}
