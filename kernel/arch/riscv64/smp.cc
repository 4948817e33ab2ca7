#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/layout.h>
#include <arch/sbi.h>
#include <arch/trap.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/mm/memory.h>
#include <kernel/sched/executor.h>
#include <support/spinlock.h>

extern "C" const char _start_secondary[];
extern "C" u64 secondary_cpu_by_hart[arch::kHartIdLimit];
extern "C" const char boot_stack_bottom[], boot_stack_top[];

namespace smp {

namespace {

using arch::Cpu;

constexpr u64 kStackSize = 32 * 1024;

// A trap must find room for its frame and the dispatcher above the limit.
constexpr u64 kStackMargin = 2 * 1024;

Cpu g_cpus[arch::kMaxCpus];
u32 g_online = 0;

alignas(16) u8 g_emergency_stacks[arch::kMaxCpus][arch::kEmergencyStackSize];

void setup_cpu(Cpu& cpu, u32 id, u64 hart_id, u64 stack_bottom, u64 stack_top) {
  cpu.self = &cpu;
  cpu.id = id;
  cpu.hart_id = hart_id;
  cpu.stack_bottom = stack_bottom;
  cpu.stack_top = stack_top;
  cpu.stack_limit = stack_bottom + kStackMargin;
  cpu.emergency_stack_top =
      reinterpret_cast<u64>(g_emergency_stacks[id] + arch::kEmergencyStackSize);
  cpu.deadline_ticks = ~0ull;
  cpu.hardware_ticks = ~0ull;
  cpu.worker = ~0u;
}

void enable_interrupt_sources() {
  ARCH_CSR_SET(sie, arch::kSieSoftware | arch::kSieTimer | arch::kSieExternal);
}

// Takes every queued call (a lock-free push list) and runs them in the order they were queued.
void run_calls(Cpu& cpu) {
  arch::CallRequest* list = __atomic_exchange_n(&cpu.calls, nullptr, __ATOMIC_ACQUIRE);
  arch::CallRequest* reversed = nullptr;
  while (list != nullptr) {
    arch::CallRequest* next = list->next;
    list->next = reversed;
    reversed = list;
    list = next;
  }
  while (reversed != nullptr) {
    arch::CallRequest* next = reversed->next;  // read before `done`: the caller may reuse it
    reversed->fn(reversed->arg);
    __atomic_store_n(&reversed->done, 1, __ATOMIC_RELEASE);
    reversed = next;
  }
}

bool has_pending(void* context) {
  Cpu& cpu = *static_cast<Cpu*>(context);
  return __atomic_load_n(&cpu.calls, __ATOMIC_ACQUIRE) != nullptr ||
         __atomic_load_n(&cpu.ipi_pending, __ATOMIC_ACQUIRE) != 0;
}

}  // namespace

void move_to_stack(u64 bottom, u64 top) {
  Cpu& cpu = arch::this_cpu();
  cpu.stack_bottom = bottom;
  cpu.stack_top = top;
  cpu.stack_limit = bottom + kStackMargin;
}

void init_boot_cpu(u64 hart_id) {
  Cpu& cpu = g_cpus[0];
  setup_cpu(cpu, 0, hart_id, reinterpret_cast<u64>(boot_stack_bottom),
            reinterpret_cast<u64>(boot_stack_top));
  cpu.online = true;
  arch::set_this_cpu(&cpu);
  g_online = 1;
}

u32 cpu_count() { return __atomic_load_n(&g_online, __ATOMIC_ACQUIRE); }

Cpu* cpu(u32 id) {
  if (id >= arch::kMaxCpus || !__atomic_load_n(&g_cpus[id].online, __ATOMIC_ACQUIRE))
    return nullptr;
  return &g_cpus[id];
}

u32 start_secondaries() {
  const auto& m = machine::info();
  enable_interrupt_sources();
  u32 started = 0;
  for (u32 i = 0; i < m.hart_count; ++i) {
    const auto& hart = m.harts[i];
    if (hart.cpu == 0) continue;
    Cpu& cpu = g_cpus[hart.cpu];
    auto stack = kmem::allocate_stack(kStackSize);
    if (stack.is_error()) {
      LOG_WARN("hart {}: no stack ({}); not started", hart.hart_id,
               support::error_name(stack.error()));
      continue;
    }
    setup_cpu(cpu, hart.cpu, hart.hart_id, stack.value().bottom, stack.value().top);
    // Published before the start request: a hart the firmware sends to _start instead finds it.
    if (hart.hart_id < arch::kHartIdLimit) {
      __atomic_store_n(&secondary_cpu_by_hart[hart.hart_id], reinterpret_cast<u64>(&cpu),
                       __ATOMIC_SEQ_CST);
    }
    auto r = arch::sbi::hart_start(hart.hart_id, arch::image_phys(_start_secondary),
                                   reinterpret_cast<u64>(&cpu));
    if (r.is_error()) {
      LOG_WARN("hart {}: SBI hart_start failed ({})", hart.hart_id,
               arch::sbi::error_name(r.error()));
      continue;
    }
    ++started;
  }
  // Wait for each to report in: generous, since guest time stretches with more harts than cores.
  u64 give_up = ktime::now_ns() + 20ull * 1000000000ull;
  while (cpu_count() < started + 1 && ktime::now_ns() < give_up) support::cpu_relax();
  u32 online = cpu_count();
  if (online != started + 1) LOG_ERROR("only {} of {} harts reported in", online, started + 1);
  return online;
}

support::Result<void> post(u32 id, arch::CallRequest& request) {
  Cpu* target = cpu(id);
  if (target == nullptr) return support::Error::NotFound;
  request.done = 0;
  arch::CallRequest* head = __atomic_load_n(&target->calls, __ATOMIC_RELAXED);
  do {
    request.next = head;
  } while (!__atomic_compare_exchange_n(&target->calls, &head, &request, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
  send_ipi(id, arch::kIpiCall);
  return {};
}

support::Result<void> call_on(u32 id, void (*fn)(void*), void* arg) {
  Cpu* target = cpu(id);
  if (target == nullptr) return support::Error::NotFound;
  Cpu& self = arch::this_cpu();
  if (target == &self) {
    fn(arg);
    return {};
  }
  arch::CallRequest request{fn, arg, 0, nullptr};
  TRY(post(id, request));
  while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) == 0) {
    // Serve calls made to this CPU meanwhile: two CPUs calling each other both make progress,
    // with interrupts on or off.
    if (__atomic_load_n(&self.calls, __ATOMIC_ACQUIRE) != nullptr) run_calls(self);
    support::cpu_relax();
  }
  return {};
}

void serve_calls() {
  Cpu& self = arch::this_cpu();
  if (__atomic_load_n(&self.calls, __ATOMIC_ACQUIRE) != nullptr) run_calls(self);
  support::cpu_relax();
}

void send_ipi(u32 id, arch::IpiReason reason) {
  Cpu* target = (id < arch::kMaxCpus) ? &g_cpus[id] : nullptr;
  if (target == nullptr || target->self == nullptr) return;
  __atomic_fetch_or(&target->ipi_pending, static_cast<u32>(reason), __ATOMIC_RELEASE);
  // An IPI that cannot be sent leaves the target asleep until its next timer: say so.
  if (arch::sbi::send_ipi(target->hart_id).is_error())
    LOG_WARN("IPI to hart {} failed", target->hart_id);
}

void wake(u32 id) {
  Cpu* target = cpu(id);
  if (target == nullptr) return;
  // Pairs with the fence in idle(): either the sleeper sees the work, or we see it sleeping.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (__atomic_load_n(&target->sleeping, __ATOMIC_RELAXED) != 0) send_ipi(id, arch::kIpiWake);
}

void idle(bool (*has_work)(void*), void* context) {
  Cpu& self = arch::this_cpu();
  arch::interrupts_disable();
  __atomic_store_n(&self.sleeping, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!has_work(context) && !has_pending(&self)) {
    arch::wait_for_interrupt();  // wakes on a pending enabled interrupt even with SIE clear
    ++self.wfi_exits;
  }
  __atomic_store_n(&self.sleeping, 0, __ATOMIC_RELAXED);
  arch::interrupts_restore(true);
}

void stop_others() {
  u32 me = arch::has_cpu() ? arch::this_cpu().id : 0;
  for (u32 i = 0; i < arch::kMaxCpus; ++i)
    if (i != me && g_cpus[i].online) send_ipi(i, arch::kIpiStop);
}

void handle_ipi() {
  Cpu& self = arch::this_cpu();
  ARCH_CSR_CLEAR(sip, arch::kSipSoftware);
  ++self.software_interrupts;
  u32 reasons = __atomic_exchange_n(&self.ipi_pending, 0, __ATOMIC_ACQ_REL);
  if ((reasons & arch::kIpiStop) != 0 || kpanic::in_progress()) {
    self.online = false;
    arch::halt_forever();
  }
  run_calls(self);
}

}  // namespace smp

// Where secondary harts arrive from entry.S, on their own stack with tp set.
extern "C" [[noreturn]] void secondary_main(arch::Cpu* cpu) {
  arch::trap_init_this_cpu();
  ktime::init_this_cpu();
  smp::enable_interrupt_sources();
  __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
  __atomic_fetch_add(&smp::g_online, 1, __ATOMIC_ACQ_REL);
  LOG_DEBUG("cpu {} (hart {}) online", cpu->id, cpu->hart_id);
  arch::interrupts_restore(true);
  sched::run_this_cpu();
}
