#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/drivers/plic.h>
#include <kernel/drivers/virtio_net.h>
#include <kernel/mm/memory.h>

#include <support/new.h>

namespace drivers {

namespace {

// virtio-net (virtio 1.2, 5.1): features, configuration, queues, the header of every buffer.
constexpr u64 kFeatureMac = 1ull << 5;
constexpr u32 kConfigMac = 0;
constexpr u16 kReceiveQueue = 0;
constexpr u16 kTransmitQueue = 1;

struct NetHeader {
  u8 flags;
  u8 gso_type;
  u16 hdr_len;
  u16 gso_size;
  u16 csum_start;
  u16 csum_offset;
  u16 num_buffers;
};
static_assert(sizeof(NetHeader) == 12, "virtio_net_hdr with VERSION_1 (virtio 1.2, 5.1.6)");
constexpr u32 kHeaderSize = sizeof(NetHeader);

// A locally administered address for a device that offers none (QEMU always does).
constexpr u8 kFallbackMac[6] = {0x52, 0x54, 0x00, 0x57, 0x44, 0x01};

u32 boot_cpu_context() {
  const auto& m = machine::info();
  for (u32 i = 0; i < m.hart_count; ++i)
    if (m.harts[i].cpu == 0) return m.harts[i].plic_s_context;
  return m.harts[0].plic_s_context;
}

}  // namespace

support::Optional<u32> net_frame_length(u64 written, u64 buffer_size) {
  if (written > buffer_size || written < kHeaderSize + kMinFrame) return support::kNone;
  u64 frame = written - kHeaderSize;
  if (frame > kMaxFrame) return support::kNone;
  return static_cast<u32>(frame);
}

bool VirtioNet::negotiate() {
  if (!transport_.reset_and_acknowledge()) {
    LOG_ERROR("virtio-net: the device does not reset");
    return false;
  }
  u64 offered = transport_.device_features();
  u64 wanted = offered & kFeatureMac;
  if (!transport_.negotiate(wanted)) {
    LOG_ERROR("virtio-net: the device refused the features (offered {:#x})", offered);
    transport_.fail();
    return false;
  }
  if ((wanted & kFeatureMac) != 0) {
    u32 low = transport_.config32(kConfigMac);
    u32 high = transport_.config32(kConfigMac + 4);
    for (u32 i = 0; i < 4; ++i) mac_[i] = static_cast<u8>(low >> (8 * i));
    mac_[4] = static_cast<u8>(high);
    mac_[5] = static_cast<u8>(high >> 8);
    mac_from_device_ = true;
  } else {
    for (u32 i = 0; i < 6; ++i) mac_[i] = kFallbackMac[i];
  }
  return true;
}

bool VirtioNet::init(u32 irq, const virtio::Transport& transport, void (*notify)(void*),
                     void* context) {
  transport_ = transport;
  irq_ = irq;
  notify_ = notify;
  notify_context_ = context;
  if (!negotiate()) return false;
  constexpr u16 kSize = virtio::Virtqueue::kMaxQueueSize;
  auto rx = rx_.init(transport_, kReceiveQueue, kSize);
  auto tx = rx.is_ok() ? tx_.init(transport_, kTransmitQueue, kSize) : rx;
  if (rx.is_error() || tx.is_error()) {
    LOG_ERROR("virtio-net: no queues ({})",
              support::error_name(rx.is_error() ? rx.error() : tx.error()));
    transport_.fail();
    return false;
  }
  auto rx_memory = virtio::DmaMemory::allocate(u64{kBufferSize} * rx_.size());
  auto tx_memory = virtio::DmaMemory::allocate(u64{kBufferSize} * tx_.size());
  if (rx_memory.is_error() || tx_memory.is_error() || !plic::ready() ||
      plic::attach(irq, boot_cpu_context(), on_interrupt, this).is_error()) {
    LOG_ERROR("virtio-net: no memory for buffers or no interrupt {}", irq);
    if (rx_memory.is_ok()) rx_memory.value().release();
    if (tx_memory.is_ok()) tx_memory.value().release();
    transport_.fail();
    return false;
  }
  rx_buffers_ = rx_memory.value();
  tx_buffers_ = tx_memory.value();
  transport_.driver_ok();
  post_receive();
  return true;
}

// Gives every free receive descriptor a buffer (one descriptor each, the buffer of the same
// index) and tells the device.
void VirtioNet::post_receive() {
  bool posted = false;
  while (rx_.free_descriptors() > 0) {
    u16 head = rx_.peek_head();
    virtio::Virtqueue::Buffer buffer{rx_buffers_.phys + u64{kBufferSize} * head, kBufferSize, true};
    auto submitted = rx_.submit(&buffer, 1);
    if (!submitted) break;
    rx_posted_[*submitted] = true;
    posted = true;
  }
  if (posted) rx_.notify();
}

u32 VirtioNet::receive(void (*deliver)(void*, support::Span<const u8>), void* context, u32 budget) {
  u32 taken = 0;
  while (taken < budget) {
    auto used = rx_.next_used();
    if (!used) break;
    ++taken;
    u16 head = used->head;
    if (head >= rx_.size() || !rx_posted_[head] || !rx_.release(head)) {
      ++stats_.device_errors;
      ++stats_.rx_malformed;
      continue;
    }
    rx_posted_[head] = false;
    auto length = net_frame_length(used->written, kBufferSize);
    if (!length) {
      ++stats_.rx_malformed;
      continue;
    }
    ++stats_.rx_frames;
    stats_.rx_bytes += *length;
    const u8* frame = rx_buffers_.virt + u64{kBufferSize} * head + kHeaderSize;
    deliver(context, support::Span<const u8>(frame, *length));
  }
  post_receive();
  return taken;
}

void VirtioNet::reclaim_transmitted() {
  while (auto used = tx_.next_used()) {
    u16 head = used->head;
    if (head >= tx_.size() || !tx_posted_[head] || !tx_.release(head)) {
      ++stats_.device_errors;
      continue;
    }
    tx_posted_[head] = false;
  }
}

support::Optional<VirtioNet::TxSlot> VirtioNet::transmit_begin() {
  reclaim_transmitted();
  if (tx_.free_descriptors() == 0) {
    ++stats_.tx_ring_full;
    return support::kNone;
  }
  u16 head = tx_.peek_head();
  u8* buffer = tx_buffers_.virt + u64{kBufferSize} * head;
  return TxSlot{head, support::Span<u8>(buffer + kHeaderSize, kMaxFrame)};
}

void VirtioNet::transmit_commit(TxSlot slot, u32 length) {
  if (length > kMaxFrame || slot.head != tx_.peek_head()) return;
  u8* buffer = tx_buffers_.virt + u64{kBufferSize} * slot.head;
  *reinterpret_cast<NetHeader*>(buffer) = NetHeader{};  // no offload: every field 0
  virtio::Virtqueue::Buffer piece{tx_buffers_.phys + u64{kBufferSize} * slot.head,
                                  kHeaderSize + length, false};
  auto submitted = tx_.submit(&piece, 1);
  if (!submitted) return;
  tx_posted_[*submitted] = true;
  ++stats_.tx_frames;
  stats_.tx_bytes += length;
  tx_.notify();
}

// Interrupt context: acknowledge, and let the stack's task do the work.
void VirtioNet::on_interrupt(u32, void* self) {
  auto* net = static_cast<VirtioNet*>(self);
  net->transport_.acknowledge_interrupt();
  if (net->notify_ != nullptr) net->notify_(net->notify_context_);
}

VirtioNet* init_net(void (*notify)(void*), void* context) {
  const auto& m = machine::info();
  for (u32 i = 0; i < m.virtio_count; ++i) {
    const machine::Device& slot = m.virtio[i];
    virtio::Transport transport;
    auto probe = virtio::Transport::probe(machine::phys_to_virt(slot.base), transport);
    if (probe != virtio::Transport::Probe::Device) continue;
    if (transport.type() != virtio::DeviceType::Network) continue;
    void* memory = kmem::allocate(sizeof(VirtioNet), alignof(VirtioNet));
    if (memory == nullptr) {
      LOG_ERROR("virtio-net: no memory for the device at {:#x}", slot.base);
      return nullptr;
    }
    auto* net = new (memory) VirtioNet();
    if (!net->init(slot.irq, transport, notify, context)) {
      net->~VirtioNet();
      kmem::free(memory);
      return nullptr;
    }
    const u8* mac = net->mac();
    LOG_INFO(
        "virtio-net: MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}{}, queues {}/{}, slot {:#x} "
        "irq {}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
        net->mac_from_device() ? "" : " (the device has none: fixed)", net->rx_queue_size(),
        net->tx_queue_size(), slot.base, slot.irq);
    return net;
  }
  return nullptr;
}

}  // namespace drivers
