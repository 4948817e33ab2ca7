// The network stack: lwIP's interface over the virtio network driver, and the task that runs
// lwIP (received frames, the loopback interface, lwIP's timers). The lock rule is in stack.h.
#include <kernel/boot/boot_args.h>
#include <kernel/console/log.h>
#include <kernel/drivers/virtio_net.h>
#include <kernel/net/stack.h>
#include <kernel/sched/executor.h>
#include <kernel/sched/irq_lock.h>
#include <support/atomic.h>

#include <async/time.h>
#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/ip4_addr.h>
#include <lwip/memp.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/stats.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

namespace net {

namespace {

constexpr u32 kReceiveBudget = 64;  // frames per round before the task lets others run
constexpr async::Duration kIdleWake = async::seconds(1);  // with no lwIP timer at all

StackLock g_lock;
support::Atomic<bool> g_up{false};
drivers::VirtioNet* g_device = nullptr;  // set once by start()

// Guarded by the stack lock (lwIP's and the interface's state).
struct State {
  struct netif netif{};
  bool dhcp = false;
  bool in_stack_task = false;  // the stack task holds the lock (its unlock needs no kick)
  u32 logged_address = 0;      // the address last reported in the log
  u64 rx_malformed = 0;        // injected frames dropped by the checks (the device counts its own)
  u64 rx_no_buffer = 0;
  u64 tx_dropped = 0;
};
State g_state GUARDED_BY(g_lock);

// Waking the stack task: a flag any context sets, and the task's waker under an interrupt lock.
support::Atomic<u32> g_kicked{0};
support::Atomic<u64> g_wake_at{0};  // when the stack task plans to run next (executor time)
IrqSpinLock g_waker_lock;
async::Waker g_waker GUARDED_BY(g_waker_lock);

// co_await WaitKick(deadline): resumes after a kick() or at `deadline`, whichever comes first.
class WaitKick : public async::Leaf<WaitKick> {
 public:
  explicit WaitKick(async::Instant deadline) { entry_.deadline = deadline; }
  WaitKick(const WaitKick&) = delete;
  ~WaitKick() {
    if (executor_ != nullptr) executor_->cancel_timer(entry_);
    support::LockGuard guard(g_waker_lock);
    g_waker.reset();
  }
  bool poll(async::TaskHeader& task) {
    if (g_kicked.load() != 0) return true;
    {
      support::LockGuard guard(g_waker_lock);
      g_waker = task.waker();
    }
    if (g_kicked.load() != 0) return true;  // a kick between the check and the registration
    executor_ = &task.executor();
    return executor_->poll_timer(entry_, task);
  }
  void await_resume() {}

 private:
  async::Executor* executor_ = nullptr;
  async::TimerEntry entry_;
};

void kick_from_interrupt(void*) { kick(); }

bool loopback_pending() REQUIRES(g_lock) {
  struct netif* n;
  NETIF_FOREACH(n) {
    if (n->loop_first != nullptr) return true;
  }
  return false;
}

// One frame into lwIP (the device's or a test's): checked, copied into a pool pbuf, handed to
// the interface's input (ethernet_input), which frees it.
void deliver_frame(void*, support::Span<const u8> frame) NO_THREAD_SAFETY_ANALYSIS {
  // Called by the driver's receive() and inject_frame(), both under the stack lock (the
  // analysis cannot follow the driver's callback).
  State& s = g_state;
  if (frame.size() < drivers::kMinFrame || frame.size() > drivers::kMaxFrame) {
    ++s.rx_malformed;
    return;
  }
  struct pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame.size()), PBUF_POOL);
  if (p == nullptr) {
    ++s.rx_no_buffer;
    return;
  }
  if (pbuf_take(p, frame.data(), static_cast<u16_t>(frame.size())) != ERR_OK ||
      s.netif.input(p, &s.netif) != ERR_OK) {
    pbuf_free(p);
  }
}

// lwIP's linkoutput: the frame (a pbuf chain) copied into a transmit buffer.
err_t link_output(struct netif*, struct pbuf* p) NO_THREAD_SAFETY_ANALYSIS {
  // lwIP calls it with the stack lock held (every call into lwIP holds it).
  State& s = g_state;
  if (p->tot_len > drivers::kMaxFrame) {
    ++s.tx_dropped;
    return ERR_IF;
  }
  auto slot = g_device->transmit_begin();
  if (!slot) {
    ++s.tx_dropped;
    return ERR_MEM;
  }
  u16_t copied = pbuf_copy_partial(p, slot->frame.data(), p->tot_len, 0);
  g_device->transmit_commit(*slot, copied);
  return ERR_OK;
}

err_t netif_setup(struct netif* netif) {
  netif->name[0] = 'e';
  netif->name[1] = 'n';
  netif->output = etharp_output;
  netif->linkoutput = link_output;
  netif->mtu = 1500;
  netif->hwaddr_len = ETH_HWADDR_LEN;
  for (u32 i = 0; i < ETH_HWADDR_LEN; ++i) netif->hwaddr[i] = g_device->mac()[i];
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  netif_set_hostname(netif, "warden");
  return ERR_OK;
}

u32 prefix_length(u32 netmask) {
  u32 n = 0;
  for (u32 bit = 31; bit < 32 && (netmask >> bit & 1) != 0; --bit) ++n;
  return n;
}

// The boot log's line, once per address (DHCP's renewals give the same one).
void on_status(struct netif* netif) NO_THREAD_SAFETY_ANALYSIS {
  // lwIP's callback: the stack lock is held.
  State& s = g_state;
  u32 address = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif)));
  if (address == 0 || address == s.logged_address) return;
  s.logged_address = address;
  u32 netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(netif)));
  u32 gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(netif)));
  const u8* mac = netif->hwaddr;
  LOG_INFO(
      "net: {}.{}.{}.{}/{} gateway {}.{}.{}.{} ({}), MAC "
      "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
      address >> 24, address >> 16 & 255, address >> 8 & 255, address & 255, prefix_length(netmask),
      gateway >> 24, gateway >> 16 & 255, gateway >> 8 & 255, gateway & 255,
      s.dhcp ? "DHCP" : "static", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

// "A.B.C.D" (each 0..255): false when malformed.
bool parse_ipv4(support::StringView text, u32* out) {
  u32 value = 0, part = 0, digits = 0, dots = 0;
  for (char c : text) {
    if (c == '.') {
      if (digits == 0 || ++dots > 3) return false;
      value = value << 8 | part;
      part = digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      part = part * 10 + static_cast<u32>(c - '0');
      ++digits;
      if (part > 255) return false;
    } else {
      return false;
    }
  }
  if (dots != 3 || digits == 0) return false;
  *out = value << 8 | part;
  return true;
}

struct StaticConfig {
  u32 address = 0, netmask = 0, gateway = 0;
};

// `A.B.C.D/PREFIX[,GATEWAY]`: false when malformed.
bool parse_static(support::StringView text, StaticConfig* out) {
  usize slash = text.find('/');
  if (slash == text.size()) return false;
  usize comma = text.find(',');
  support::StringView prefix_text = text.substr(slash + 1, comma - slash - 1);
  if (comma < slash) return false;
  u32 prefix = 0;
  if (prefix_text.empty() || prefix_text.size() > 2) return false;
  for (char c : prefix_text) {
    if (c < '0' || c > '9') return false;
    prefix = prefix * 10 + static_cast<u32>(c - '0');
  }
  if (prefix < 1 || prefix > 32) return false;
  if (!parse_ipv4(text.substr(0, slash), &out->address)) return false;
  out->netmask = prefix == 32 ? ~0u : ~(~0u >> prefix);
  out->gateway = 0;
  if (comma < text.size() && !parse_ipv4(text.substr(comma + 1), &out->gateway)) return false;
  return true;
}

// One round: received frames, the loopback queue, lwIP's timers. True when frames are left
// (the budget ran out).
bool run_once() REQUIRES(g_lock) {
  u32 taken = g_device->receive(deliver_frame, nullptr, kReceiveBudget);
  netif_poll_all();
  sys_check_timeouts();
  return taken == kReceiveBudget;
}

async::Task<void> stack_task() {
  async::Executor& executor = co_await async::current_executor();
  for (;;) {
    g_kicked.store(0);
    bool more;
    async::Instant deadline;
    {
      // No co_await in this block: the stack lock is a spin lock.
      StackGuard guard(g_lock);
      g_state.in_stack_task = true;
      more = run_once();
      u32 sleep_ms = sys_timeouts_sleeptime();
      async::Instant now = executor.now();
      deadline = sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? now + kIdleWake
                                                             : now + async::milliseconds(sleep_ms);
      g_wake_at.store(deadline);
      g_state.in_stack_task = false;
    }
    if (more) {
      co_await async::yield_now();
      continue;
    }
    co_await WaitKick(deadline);
  }
}

}  // namespace

void StackLock::lock() { lock_.lock(); }

void StackLock::unlock() NO_THREAD_SAFETY_ANALYSIS {
  // Reads lwIP's state before letting go of the lock that guards it.
  bool wake = false;
  if (g_up.load(support::MemoryOrder::Acquire) && !g_state.in_stack_task) {
    u32 sleep_ms = sys_timeouts_sleeptime();
    if (sleep_ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
      // A millisecond of slack: lwIP's clock has millisecond steps.
      async::Instant due = sched::executor().now() + async::milliseconds(sleep_ms + 1);
      wake = due < g_wake_at.load();
    }
    wake = wake || loopback_pending();
  }
  lock_.unlock();
  if (wake) kick();
}

StackLock& stack_lock() { return g_lock; }

bool up() { return g_up.load(support::MemoryOrder::Acquire); }

void kick() {
  if (g_kicked.exchange(1) != 0) return;  // already kicked: the task has not run since
  async::Waker waker;
  {
    support::LockGuard guard(g_waker_lock);
    waker = support::move(g_waker);
  }
  waker.wake();
}

void start() {
  auto mode = boot_args::get("net");
  if (mode && *mode == "none") {
    LOG_INFO("net: off (net=none)");
    return;
  }
  StaticConfig config;
  bool dhcp = !mode || *mode == "dhcp";
  if (!dhcp && !parse_static(*mode, &config)) {
    LOG_WARN("net={}: not A.B.C.D/PREFIX[,GATEWAY], dhcp or none: using DHCP", *mode);
    dhcp = true;
  }
  g_device = drivers::init_net(kick_from_interrupt, nullptr);
  if (g_device == nullptr) {
    LOG_INFO("net: no network device");
    return;
  }
  {
    StackGuard guard(g_lock);
    g_state.in_stack_task = true;  // no kick while starting: the task is not there yet
    lwip_init();
    ip4_addr_t address, netmask, gateway;
    ip4_addr_set_u32(&address, lwip_htonl(config.address));
    ip4_addr_set_u32(&netmask, lwip_htonl(config.netmask));
    ip4_addr_set_u32(&gateway, lwip_htonl(config.gateway));
    g_state.dhcp = dhcp;
    netif_add(&g_state.netif, &address, &netmask, &gateway, nullptr, netif_setup, ethernet_input);
    netif_set_status_callback(&g_state.netif, on_status);
    netif_set_default(&g_state.netif);
    netif_set_link_up(&g_state.netif);
    netif_set_up(&g_state.netif);
    if (dhcp && dhcp_start(&g_state.netif) != ERR_OK) LOG_ERROR("net: DHCP does not start");
    g_state.in_stack_task = false;
  }
  if (sched::executor().try_spawn_detached(stack_task()).is_error()) {
    LOG_ERROR("net: cannot start the stack task");
    return;
  }
  g_up.store(true, support::MemoryOrder::Release);
  if (dhcp) LOG_INFO("net: asking for an address by DHCP");
}

Address address() {
  Address a;
  if (!up()) return a;
  StackGuard guard(g_lock);
  State& s = g_state;
  a.dhcp = s.dhcp;
  a.address = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&s.netif)));
  a.netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&s.netif)));
  a.gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&s.netif)));
  a.configured = a.address != 0;
  for (u32 i = 0; i < 6; ++i) a.mac[i] = s.netif.hwaddr[i];
  return a;
}

Stats stats() {
  Stats out;
  if (!up()) return out;
  StackGuard guard(g_lock);
  auto pool = [](memp_t type, u32* used, u32* size) {
    const struct stats_mem* m = lwip_stats.memp[type];
    *used = static_cast<u32>(m->used);
    *size = static_cast<u32>(m->avail);
  };
  pool(MEMP_TCP_PCB, &out.tcp_pcbs, &out.tcp_pcbs_max);
  for (struct tcp_pcb* pcb = tcp_tw_pcbs; pcb != nullptr; pcb = pcb->next) ++out.tcp_time_wait;
  pool(MEMP_TCP_PCB_LISTEN, &out.tcp_listeners, &out.tcp_listeners_max);
  pool(MEMP_TCP_SEG, &out.tcp_segments, &out.tcp_segments_max);
  pool(MEMP_PBUF_POOL, &out.pbufs, &out.pbufs_max);
  u32 ignored = 0;
  pool(MEMP_PBUF, &out.pbuf_refs, &ignored);
  out.heap_used = lwip_stats.mem.used;
  out.heap_size = lwip_stats.mem.avail;
  out.pool_errors = lwip_stats.mem.err;
  for (u32 i = 0; i < MEMP_MAX; ++i) out.pool_errors += lwip_stats.memp[i]->err;
  drivers::NetDeviceStats d = g_device->stats();
  out.rx_frames = d.rx_frames;
  out.tx_frames = d.tx_frames;
  out.rx_bytes = d.rx_bytes;
  out.tx_bytes = d.tx_bytes;
  out.rx_malformed = d.rx_malformed + g_state.rx_malformed;
  out.rx_no_buffer = g_state.rx_no_buffer;
  out.tx_dropped = d.tx_ring_full + g_state.tx_dropped;
  return out;
}

bool inject_frame(support::Span<const u8> frame) {
  if (!up()) return false;
  StackGuard guard(g_lock);
  deliver_frame(nullptr, frame);
  return true;
}

}  // namespace net
