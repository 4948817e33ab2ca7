// lwIP's compiler and platform port for Warden's kernel (lwIP includes it as "arch/cc.h"): the
// types come from the compiler's freestanding <stdint.h>, diagnostics go to the kernel log, a
// failed lwIP assertion is a kernel panic with lwIP's message, random numbers (ports, initial
// sequence numbers, DHCP transaction ids) come from the kernel's entropy. Implemented in
// kernel/net/port.cc.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN

// No libc: no <inttypes.h>, <ctype.h> or <unistd.h> (lwIP then uses its own character macros).
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

#define PACK_STRUCT_STRUCT __attribute__((packed))

#ifdef __cplusplus
extern "C" {
#endif

// printf-style (%d %u %x %s %c %p, with l/h/z and widths, which are read and ignored), one
// kernel log line per call at debug level.
void warden_lwip_diag(const char* format, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void warden_lwip_assert(const char* message, const char* file, int line);
uint32_t warden_lwip_rand(void);

#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    warden_lwip_diag x;       \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) warden_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() warden_lwip_rand()
