// NS16550A-compatible UART (QEMU virt's serial port), polled.
#pragma once

#include <support/types.h>

namespace drivers {

class Uart16550 {
 public:
  void init(uptr base, u32 reg_shift, u32 reg_io_width);
  bool ready() const { return base_ != 0; }
  void put(char c);
  // One received character, or -1 when none is waiting.
  int try_get();
  // Raise an interrupt when a character arrives.
  void enable_receive_interrupt();

 private:
  u8 read(u32 reg) const;
  void write(u32 reg, u8 value);

  uptr base_ = 0;
  u32 shift_ = 0;
  u32 width_ = 1;
};

}  // namespace drivers
