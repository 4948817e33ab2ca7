// IPC_ASSERT: an invariant of this library; its failure is a bug and stops the system (or the
// test) through support_must_failed, like MUST.
#pragma once

#include <support/result.h>

#define IPC_ASSERT(cond)                                                           \
  do {                                                                             \
    if (!(cond)) support_must_failed("IPC_ASSERT(" #cond ")", __FILE__, __LINE__); \
  } while (0)
