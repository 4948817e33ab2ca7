#include <kernel/diag/symbols.h>

// Emitted by tools/ksyms.py into the .ksyms section (empty in the first link):
//   count, then `count` sorted start addresses, `count` u32 name offsets, the NUL-separated names.
extern "C" const u64 ksyms_count;
extern "C" const u64 ksyms_addresses[];
extern "C" const u32 ksyms_name_offsets[];
extern "C" const char ksyms_names[];
extern "C" const char _text_start[], _text_end[];

namespace symbols {

usize count() { return ksyms_count; }

bool lookup(u64 address, Symbol& out) {
  if (address < reinterpret_cast<u64>(_text_start) || address >= reinterpret_cast<u64>(_text_end))
    return false;
  usize n = ksyms_count;
  if (n == 0 || address < ksyms_addresses[0]) return false;
  usize lo = 0, hi = n;  // find the last start <= address
  while (hi - lo > 1) {
    usize mid = lo + (hi - lo) / 2;
    if (ksyms_addresses[mid] <= address)
      lo = mid;
    else
      hi = mid;
  }
  out.name = support::StringView(ksyms_names + ksyms_name_offsets[lo]);
  out.offset = address - ksyms_addresses[lo];
  return true;
}

u64 address_of(support::StringView name) {
  for (usize i = 0; i < ksyms_count; ++i) {
    if (support::StringView(ksyms_names + ksyms_name_offsets[i]) == name) return ksyms_addresses[i];
  }
  return 0;
}

}  // namespace symbols
