// The hostile-programs suite, sockets part: /hostile/socket_abuse.wasm (apps/hostile) attacks
// warden_tcp_listen and warden_tcp_connect and the sockets they make (docs/net.md, "Programs on
// the network") over the machine's own address, which loops back inside the stack. Each attack
// must answer as documented (the program prints one line per attack), the program must end by
// itself, and afterwards the stack's pools and PCBs (TIME_WAIT apart: lwIP reuses those), the IPC
// objects and handles, the memory charged to programs, the kernel heap and the frames must be
// back to their level. Named socket.* so that tier 24_net's `sockets` check (test=socket.*, at
// several harts and at one) runs them; without a network device they skip and say so.
// Assertions are about results, never time (waits are bounded only to report a loss).
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
#include <kernel/net/socket.h>
#include <kernel/net/stack.h>
#include <kernel/proc/programs.h>
#include <support/atomic.h>

#include <kernel/ktest/program_test_util.h>

#include <lwip/opt.h>
#include <lwip/priv/tcp_priv.h>

namespace {

using namespace program_test;

constexpr const char* kNoNetwork = "needs a network device (QEMU --net)";
constexpr StringView kProgram = "/hostile/socket_abuse.wasm";
// 20 s in 1 ms naps: for the stack to finish closed connections from its timers.
constexpr u32 kPatience = 20'000;

bool have_program() { return programs::read_whole_file(kProgram).is_ok(); }

// Each run its own 100 ports (the program uses PORT..PORT+99), away from socket_test.cc's.
u16 next_ports() {
  static support::Atomic<u32> port{43000};
  return static_cast<u16>(port.fetch_add(100));
}

// What must come back once the program ended.
struct Level {
  // The stack and IPC.
  u64 objects = 0, handles = 0;
  u32 pcbs = 0;  // connection PCBs, those waiting out TIME_WAIT apart (lwIP reuses them)
  u32 listeners = 0, segments = 0, pbufs = 0;
  u64 stack_heap = 0;  // lwIP's heap
  // The kernel.
  u64 frames = 0;  // free frames, plus page-table frames (may be higher after, not lower)
  u64 heap = 0, committed = 0, charged = 0, programs = 0;

  static Level of_stack() {
    Level l;
    l.objects = ipc::stats::objects();
    l.handles = ipc::stats::handles();
    net::Stats s = net::stats();
    l.pcbs = s.tcp_pcbs - s.tcp_time_wait;
    l.listeners = s.tcp_listeners;
    l.segments = s.tcp_segments;
    l.pbufs = s.pbufs;
    l.stack_heap = s.heap_used;
    return l;
  }
  static Level now() {
    Level l = of_stack();
    l.frames = free_frames_settled();
    l.frames += kmem::frames().stats().used[static_cast<usize>(mem::FrameKind::PageTable)];
    l.heap = kmem::heap_stats().bytes_in_use;
    l.committed = wasm_memory::committed_bytes();
    l.charged = programs::stats().memory_used;
    l.programs = programs::list(nullptr, 0);
    return l;
  }
  bool stack_equal(const Level& o) const {
    return objects == o.objects && handles == o.handles && pcbs == o.pcbs &&
           listeners == o.listeners && segments == o.segments && pbufs == o.pbufs &&
           stack_heap == o.stack_heap;
  }
};

// Waits (bounded) for the stack to come back to `before`: closed connections finish from its
// timers.
async::Task<void> until_stack_level(const Level& before) {
  for (u32 i = 0; i < kPatience && !Level::of_stack().stack_equal(before); ++i) {
    co_await async::sleep(async::milliseconds(1));
  }
}

// Checks everything against `before`. A plain function, called from the frame that measured
// `before`: a coroutine's own frame would count in the kernel heap.
void expect_level(ktest::Context& kt, const Level& before, int line) {
  Level after = Level::now();
  auto check = [&](const char* what, u64 was, u64 is) {
    if (was == is) return;
    char buffer[160];
    kt.fail(
        __FILE__, line,
        support::format_to_buffer(buffer, sizeof buffer, "{}: {} before, {} after", what, was, is));
  };
  check("IPC objects", before.objects, after.objects);
  check("handles", before.handles, after.handles);
  check("tcp pcbs (TIME_WAIT apart)", before.pcbs, after.pcbs);
  check("tcp listeners", before.listeners, after.listeners);
  check("tcp segments", before.segments, after.segments);
  check("pbufs", before.pbufs, after.pbufs);
  check("the stack's heap", before.stack_heap, after.stack_heap);
  if (after.frames < before.frames) check("free frames", before.frames, after.frames);
  check("kernel heap bytes", before.heap, after.heap);
  check("linear memory", before.committed, after.committed);
  check("charged to programs", before.charged, after.charged);
  check("programs", before.programs, after.programs);
}

// The machine's own address as "A.B.C.D" (once DHCP gave one): false when it has none.
async::Task<bool> own_address(char (&text)[16]) {
  for (u32 i = 0; i < kPatience && !net::address().configured; ++i) {
    co_await async::sleep(async::milliseconds(1));
  }
  net::Address a = net::address();
  if (!a.configured) co_return false;
  support::format_to_buffer(text, sizeof text, "{}.{}.{}.{}", a.address >> 24,
                            (a.address >> 16) & 0xff, (a.address >> 8) & 0xff, a.address & 0xff);
  co_return true;
}

// Runs `socket_abuse MODE ADDR PORT` to its end: its exit, its output in `out`, its port in
// `*port`.
async::Task<programs::Exit> run_mode(ktest::Context& kt, StringView mode, support::Vector<u8>& out,
                                     u16* port) {
  char address[16];
  programs::Exit exit;
  if (!KEXPECT(co_await own_address(address))) co_return exit;
  *port = next_ports();
  char args[96];
  exit = co_await run(kt,
                      support::format_to_buffer(args, sizeof args, "{} {} {} {}", kProgram, mode,
                                                StringView(address), *port),
                      out);
  co_return exit;
}

bool exited_cleanly(const programs::Exit& e) {
  return e.end == programs::End::Exited && e.code == 0;
}

// Runs MODE once (the kernel's tables reach their size for it), measures, runs it again, checks
// the second run's output with `check_output(output, port, level before)`, and that everything
// came back.
template <typename Check>
async::Task<void> attack(ktest::Context& kt, StringView mode, Check check_output) {
  support::Vector<u8> out;
  u16 port = 0;
  Level first = Level::of_stack();
  (void)co_await run_mode(kt, mode, out, &port);
  out = support::Vector<u8>();
  // The first run's connections finish (or wait out TIME_WAIT, which the level leaves aside).
  co_await until_stack_level(first);
  Level before = Level::now();
  programs::Exit e = co_await run_mode(kt, mode, out, &port);
  console::print("\n{}", text_of(out));
  KEXPECT(exited_cleanly(e));
  KEXPECT(!text_of(out).contains("FAILED"));
  check_output(text_of(out), port, before);
  out = support::Vector<u8>();
  co_await until_stack_level(before);
  expect_level(kt, before, __LINE__);
}

// The answer to each bad argument, in the order the program tries them ("<PORT>" and "<ADDR>"
// are the run's).
constexpr const char* kArgsAnswers[] = {
    "args: next descriptor 4",
    "listen address past the end: EFAULT",
    "listen address straddling the end: EFAULT",
    "listen address wrapping around: EFAULT",
    "listen length 2^32-1: EFAULT",
    "listen length of all memory: EINVAL",
    "listen length 33: EINVAL",
    "listen length 0: EINVAL",
    "listen port 0: EINVAL",
    "listen port 65536: EINVAL",
    "listen five octets: EINVAL",
    "listen octet 256: EINVAL",
    "listen trailing byte: EINVAL",
    "listen a NUL inside: EINVAL",
    "listen 32 digits: EINVAL",
    "listen backlog 0: EINVAL",
    "listen backlog 129: EINVAL",
    "listen backlog 1000: EINVAL",
    "listen backlog 2^32-1: EINVAL",
    "listen fd pointer past the end: EFAULT",
    "listen fd pointer straddling the end: EFAULT",
    "listen fd pointer wrapping around: EFAULT",
    "listen an address not the machine's: EADDRNOTAVAIL",
    "listen *:<PORT>: ok",
    "listen its port again, on every address: EADDRINUSE",
    "listen its port again, on the machine's address: EADDRINUSE",
    "connect address past the end: EFAULT",
    "connect address straddling the end: EFAULT",
    "connect address wrapping around: EFAULT",
    "connect length 2^32-1: EFAULT",
    "connect length 33: EINVAL",
    "connect length 0: EINVAL",
    "connect every address: EINVAL",
    "connect 0.0.0.0: EINVAL",
    "connect port 0: EINVAL",
    "connect no port: EINVAL",
    "connect fd pointer past the end: EFAULT",
    "connect fd pointer straddling the end: EFAULT",
    "connect fd pointer wrapping around: EFAULT",
    "connect a port nobody listens on: ECONNREFUSED",
    "connect 127.0.0.1, nobody listening: ECONNREFUSED",
    "connect <ADDR>:<PORT>: ok",
    "args: the listener queued one connection",
    "args: next descriptor 4",
    "args: as documented",
};

// Each line of `out` against `want`, with <PORT> and <ADDR> replaced.
void expect_lines(ktest::Context& kt, StringView out, support::Span<const char* const> want,
                  u16 port, int line) {
  char address[16];
  net::Address a = net::address();
  support::format_to_buffer(address, sizeof address, "{}.{}.{}.{}", a.address >> 24,
                            (a.address >> 16) & 0xff, (a.address >> 8) & 0xff, a.address & 0xff);
  usize at = 0;
  for (const char* w : want) {
    char expected[128];
    support::BufferSink sink(expected, sizeof expected);
    for (StringView rest(w); !rest.empty();) {
      if (rest.starts_with("<PORT>")) {
        support::format(sink, "{}", port);
        rest = rest.substr(6);
      } else if (rest.starts_with("<ADDR>")) {
        support::format(sink, "{}", StringView(address));
        rest = rest.substr(6);
      } else {
        support::format(sink, "{}", rest.substr(0, 1));
        rest = rest.substr(1);
      }
    }
    usize end = at;
    while (end < out.size() && out[end] != '\n') ++end;
    StringView got = out.substr(at, end - at);
    if (got != sink.view()) {
      char buffer[300];
      kt.fail(__FILE__, line,
              support::format_to_buffer(buffer, sizeof buffer, "expected '{}', got '{}'",
                                        sink.view(), got));
      return;
    }
    at = end + 1;
  }
  if (at < out.size()) kt.fail(__FILE__, line, "more output than expected");
}

// The number after `prefix` in `out` (0 when absent).
u64 number_after(StringView out, StringView prefix) {
  usize at = out.find(prefix);
  if (at == out.size()) return 0;
  u64 n = 0;
  for (usize i = at + prefix.size(); i < out.size() && out[i] >= '0' && out[i] <= '9'; ++i) {
    n = n * 10 + static_cast<u64>(out[i] - '0');
  }
  return n;
}

// Every call with a bad argument is refused with its errno before anything is made: no
// descriptor, no socket, nothing written through the fd pointer; a connect whose fd pointer was
// bad reached no listener.
KTEST_ASYNC(socket, hostile_program_bad_arguments_are_refused_and_leave_nothing_behind) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  co_await attack(kt, "args", [&](StringView out, u16 port, const Level&) {
    expect_lines(kt, out, kArgsAnswers, port, __LINE__);
  });
}

// Listeners until the kernel says no: at its share of the stack's pool of listeners
// (net::kListenersPerAccount; before, one program took all 32 and others' listen failed);
// listeners of backlog 128 until program.memory says no (each is charged the
// records and receive rings of the 128 connections it may queue: before, program.memory did not
// bound what IPC charged, and one program took 32 of them, 270 MiB of charges, and was stopped
// by the listener pool alone); connections to itself until the descriptor limit.
KTEST_ASYNC(socket, hostile_program_at_its_limits_is_refused_and_gives_everything_back) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  co_await attack(kt, "limits", [&](StringView out, u16, const Level& before) {
    char line[96];
    u32 pool = MEMP_NUM_TCP_PCB_LISTEN - before.listeners;
    u32 share = net::kListenersPerAccount < pool ? net::kListenersPerAccount : pool;
    KEXPECT(out.starts_with(
        support::format_to_buffer(line, sizeof line, "listeners: {}, then ENOMEM\n", share)));
    KEXPECT(out.contains("listeners: after closing them, a listener: ok\n"));
    u64 big = number_after(out, "listeners of backlog 128: ");
    u64 limit = programs::limits().memory_bytes;
    // With 40 MiB of linear memory held, memory stops them before their count limit does.
    KEXPECT(big >= 1 && big < net::kListenersPerAccount &&
            (40 << 20) + big * 128 * TCP_WND <= limit);
    KEXPECT(out.contains(support::format_to_buffer(
        line, sizeof line, "listeners of backlog 128: {}, then ENOMEM\n", big)));
    // 0, 1, 2, the preopened / and the listener take five descriptors.
    u32 connections = programs::limits().open_files - 5;
    KEXPECT(out.contains(support::format_to_buffer(
        line, sizeof line, "connections to itself: {}, then EMFILE\n", connections)));
    KEXPECT(out.contains("accept at the descriptor limit: EMFILE\n"));
    KEXPECT(out.contains(
        support::format_to_buffer(line, sizeof line,
                                  "accepted once the clients were gone: {}, each at the end of "
                                  "its stream: yes\n",
                                  connections)));
    KEXPECT(out.ends_with("limits: next descriptor as before\nlimits: as documented\n"));
  });
}

constexpr const char* kBacklogAnswers[] = {
    "backlog: 5 connections to a backlog of 2: 2 accepted, then EAGAIN",
    "backlog: 2 clients up, 3 reset",
    "backlog: a full send buffer (over 0 bytes), unread bytes both ways",
    "backlog: as documented",
};

// Connections past the backlog are reset, the backlog's worth wait and are accepted
// non-blocking, then EAGAIN; everything closed with unread bytes both ways and a full send
// buffer gives back its segments, pbufs and PCBs.
KTEST_ASYNC(socket, hostile_program_past_the_backlog_then_closing_with_unread_bytes) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  co_await attack(kt, "backlog", [&](StringView out, u16 port, const Level&) {
    expect_lines(kt, out, kBacklogAnswers, port, __LINE__);
  });
}

constexpr const char* kClosedAnswers[] = {
    "closed: the peer closed; read: end of stream",
    "closed: write after the peer closed: EPIPE",
    "closed: read after the reset: ECONNRESET",
    "shut: read after shutdown(SHUT_RD): 0",
    "shut: write after shutdown(SHUT_WR): EPIPE",
    "shut: the peer reads the end of the stream",
    // wasi-libc's read() reports the listener's missing FD_READ right (ENOTCAPABLE) as EBADF.
    "shut: read a listener: EBADF",
    "shut: shutdown a listener: ENOTCAPABLE",
    "closed: as documented",
};

// Writing to a connection whose peer closed ends in EPIPE (the peer's reset), never a trap;
// reads after shutdown(SHUT_RD) give 0, writes after shutdown(SHUT_WR) EPIPE.
KTEST_ASYNC(socket, hostile_program_writing_to_a_closed_peer_gets_epipe) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  co_await attack(kt, "closed", [&](StringView out, u16 port, const Level&) {
    expect_lines(kt, out, kClosedAnswers, port, __LINE__);
  });
}

constexpr const char* kExitAnswers[] = {
    "exit: leaving a listener, 3 connections (unread bytes both ways, a full send buffer) and 1 "
    "nobody accepted",
};

// A program that ends with a listener, a connection nobody accepted, unread bytes both ways and
// a full send buffer: the kernel closes them all and everything comes back.
KTEST_ASYNC(socket, hostile_program_ending_with_sockets_open_gives_them_back) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  co_await attack(kt, "exit", [&](StringView out, u16 port, const Level&) {
    expect_lines(kt, out, kExitAnswers, port, __LINE__);
  });
}

// An address on the machine's network that nobody answers (QEMU's user network answers ARP only
// for its gateway and name server): a SYN to it waits in lwIP's ARP queue, and a connect waits.
StringView silent_address(char (&text)[16]) {
  net::Address a = net::address();
  u32 host = (a.address & ~a.netmask) == 77 ? 78 : 77;
  u32 silent = (a.address & a.netmask) | host;
  return support::format_to_buffer(text, sizeof text, "{}.{}.{}.{}", silent >> 24,
                                   (silent >> 16) & 0xff, (silent >> 8) & 0xff, silent & 0xff);
}

// Whether a PCB is sending its SYN to `port`.
bool syn_sent_to(u16 port) {
  net::StackGuard guard(net::stack_lock());
  for (tcp_pcb* q = tcp_active_pcbs; q != nullptr; q = q->next) {
    if (q->remote_port == port && q->state == SYN_SENT) return true;
  }
  return false;
}

// Starts `socket_abuse connecting`, waits until it waits in its connect, kills it: true when it
// waited, was killed and said where it connected.
async::Task<bool> killed_while_connecting(ktest::Context& kt) {
  char silent[16], args[96];
  u16 port = next_ports();
  auto pid = start(support::format_to_buffer(args, sizeof args, "{} connecting {} {}", kProgram,
                                             silent_address(silent), port),
                   "/tmp/test.out");
  if (!KEXPECT(pid.is_ok())) co_return false;
  bool waiting = false;
  for (u32 i = 0; i < kPatience && !waiting; ++i) {
    auto info = programs::info(pid.value());
    if (!info || info->state == programs::State::Ended) break;
    waiting = info->state == programs::State::Waiting;
    if (!waiting) co_await async::sleep(async::milliseconds(1));
  }
  KEXPECT(waiting);
  // The connection being made holds a PCB (SYN_SENT) while the program waits.
  KEXPECT(syn_sent_to(port));
  KEXPECT(programs::kill(pid.value()));
  auto ended = co_await programs::wait(pid.value());
  KEXPECT(ended.is_ok() && ended.value().end == programs::End::Killed);
  auto out = programs::read_whole_file("/tmp/test.out");
  bool said = out.is_ok() && text_of(out.value()).starts_with("connecting: to ");
  if (out.is_ok()) console::print("\n{}", text_of(out.value()));
  KEXPECT(said);
  co_return waiting&& said;
}

// A program killed while warden_tcp_connect waits (its SYN unanswered) takes the connection
// being made with it: its PCB, the socket, its handle and its charge.
KTEST_ASYNC(socket, hostile_program_killed_while_connecting_closes_the_connection) {
  if (!net::up()) co_return kt.skip(kNoNetwork);
  if (!have_program()) co_return kt.skip("no hostile programs in the initrd");
  char address[16];
  CO_KASSERT(co_await own_address(address));
  // A first run brings the kernel's tables to their size; its SYN leaves lwIP's ARP queue when
  // the address's pending entry expires.
  Level first = Level::of_stack();
  CO_KASSERT(co_await killed_while_connecting(kt));
  for (u32 i = 0; i < kPatience && !Level::of_stack().stack_equal(first); ++i) {
    co_await async::sleep(async::milliseconds(1));
  }
  Level before = Level::now();
  KEXPECT(co_await killed_while_connecting(kt));
  co_await until_stack_level(before);
  expect_level(kt, before, __LINE__);
}

}  // namespace
