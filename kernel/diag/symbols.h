// The kernel's own symbol table (embedded at build time, see tools/ksyms.py) for backtraces.
#pragma once

#include <support/string_view.h>
#include <support/types.h>

namespace symbols {

struct Symbol {
  support::StringView name;
  u64 offset;  // of the address from the symbol's start
};

// The function containing `address`; false when it is outside the kernel's text.
bool lookup(u64 address, Symbol& out);
// Address of a symbol by exact name, 0 when absent.
u64 address_of(support::StringView name);
usize count();

}  // namespace symbols
