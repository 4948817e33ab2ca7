#include <kernel/drivers/uart16550.h>

namespace drivers {

namespace {
constexpr u32 kRbrThr = 0;  // receive buffer / transmit holding
constexpr u32 kIer = 1;
constexpr u32 kFcr = 2;
constexpr u32 kLcr = 3;
constexpr u32 kMcr = 4;
constexpr u32 kLsr = 5;
constexpr u8 kLsrDataReady = 1 << 0;
constexpr u8 kLsrThrEmpty = 1 << 5;
}  // namespace

void Uart16550::init(uptr base, u32 reg_shift, u32 reg_io_width) {
  base_ = base;
  shift_ = reg_shift;
  width_ = reg_io_width == 4 ? 4 : 1;
  write(kIer, 0);     // polled for now; interrupts come with the PLIC driver
  write(kLcr, 0x03);  // 8N1 (the firmware set the baud rate; QEMU ignores it)
  write(kFcr, 0x07);  // enable and clear FIFOs
  write(kMcr, 0x03);  // DTR, RTS
}

u8 Uart16550::read(u32 reg) const {
  uptr address = base_ + (uptr(reg) << shift_);
  if (width_ == 4) return static_cast<u8>(*reinterpret_cast<volatile u32*>(address));
  return *reinterpret_cast<volatile u8*>(address);
}

void Uart16550::write(u32 reg, u8 value) {
  uptr address = base_ + (uptr(reg) << shift_);
  if (width_ == 4) {
    *reinterpret_cast<volatile u32*>(address) = value;
  } else {
    *reinterpret_cast<volatile u8*>(address) = value;
  }
}

void Uart16550::put(char c) {
  while ((read(kLsr) & kLsrThrEmpty) == 0) {
  }
  write(kRbrThr, static_cast<u8>(c));
}

void Uart16550::enable_receive_interrupt() { write(kIer, 0x01); }

int Uart16550::try_get() {
  if ((read(kLsr) & kLsrDataReady) == 0) return -1;
  return read(kRbrThr);
}

}  // namespace drivers
