// The kernel's TCP/IP stack: lwIP (docs/net.md) over the virtio network device, run by one task
// on the executor.
//
// THE LOCK RULE. lwIP is not thread-safe. One lock, the stack lock (net::stack_lock()), guards
// every call into lwIP and everything lwIP owns (PCBs, pbufs, netifs, its timers), and the
// network driver's rings. Whoever calls lwIP holds it: the stack task (input, timers, DHCP) and
// the socket operations (kernel/net/socket.cc), on any hart, in task context only. lwIP is never
// called from an interrupt handler: the device's interrupt only wakes the stack task. lwIP's
// callbacks (tcp_recv, tcp_sent, tcp_err, tcp_accept, netif status ...) run with the lock held;
// they may wake tasks (a Waker, a wait queue's notify, an ipc object's signal: those take only
// their own small locks), but must not take the stack lock again, allocate with a lock that may
// be held by a stack-lock taker, or suspend.
//
// The lock is a spin lock: never co_await while holding it, keep what runs under it short (one
// lwIP call and its callbacks). Lock order: the stack lock comes before the locks a callback
// takes (wait queues, ipc objects, the kernel heap); never take it while holding one of those.
// Releasing it wakes the stack task when the holder made lwIP need it sooner (a new timer, such
// as TCP's after a tcp_write, or packets queued on the loopback interface).
#pragma once

#include <support/optional.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>
#include <support/types.h>

namespace net {

class CAPABILITY("net stack lock") StackLock {
 public:
  void lock() ACQUIRE();
  // Releases the lock, then wakes the stack task if lwIP now needs it before it planned to run.
  void unlock() RELEASE();

 private:
  support::SpinLock lock_;
};

StackLock& stack_lock();
// Holds the stack lock for its scope: `net::StackGuard guard(net::stack_lock());`.
using StackGuard = support::LockGuard<StackLock>;

// Looks for a virtio network device and, when there is one and the boot argument `net` does not
// say `none`, starts lwIP and the stack task: DHCP by default, a static address with
// `net=A.B.C.D/PREFIX[,GATEWAY]`. Logs what it does. Call once at boot, after the PLIC, memory
// and the executor.
void start();

// True once the stack runs (a device was found and lwIP started); false on a machine without a
// network device (sockets then answer Netdown). It stays true once set.
bool up();

// The interface's IPv4 configuration (host byte order); `configured` is false until DHCP bound
// an address (or always true for a static one).
struct Address {
  bool configured = false;
  bool dhcp = false;
  u32 address = 0;
  u32 netmask = 0;
  u32 gateway = 0;
  u8 mac[6] = {};
};
Address address();

// Wakes the stack task (any context, interrupts included; cheap when it is already awake).
void kick();

// Counters for the tests (pools back to their level after a test) and the monitor's `stats`.
struct Stats {
  // lwIP's pools: in use now, and their size.
  u32 tcp_pcbs = 0, tcp_pcbs_max = 0;
  u32 tcp_time_wait = 0;  // of tcp_pcbs: in TIME_WAIT (freed by lwIP after 2 * TCP_MSL = 20 s)
  u32 tcp_listeners = 0, tcp_listeners_max = 0;
  u32 tcp_segments = 0, tcp_segments_max = 0;
  u32 pbufs = 0, pbufs_max = 0;  // PBUF_POOL (received frames)
  u32 pbuf_refs = 0;             // PBUF_REF/ROM headers
  u64 heap_used = 0, heap_size = 0;
  u32 pool_errors = 0;  // allocations refused by a full pool or heap, all kinds together
  // The device's frames (when there is a device).
  u64 rx_frames = 0, tx_frames = 0;
  u64 rx_bytes = 0, tx_bytes = 0;
  u64 rx_malformed = 0;  // dropped: too short, too long, or a device error
  u64 rx_no_buffer = 0;  // dropped: no pbuf free
  u64 tx_dropped = 0;    // the transmit ring was full, or the frame too long
};
Stats stats();

// For the kernel tests: feeds `frame` (an Ethernet frame, without the virtio header) to the same
// receive path as the device's frames (checks, pbuf, lwIP's input). Takes the stack lock.
// False when the stack does not run.
bool inject_frame(support::Span<const u8> frame);

}  // namespace net
