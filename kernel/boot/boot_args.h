// Boot arguments from /chosen/bootargs (QEMU -append): space-separated `key` or `key=value`.
#pragma once

#include <support/optional.h>
#include <support/string_view.h>

namespace boot_args {

void set(support::StringView command_line);
support::StringView command_line();
// The value of `key=value`, an empty view for a bare `key`, nothing when absent.
support::Optional<support::StringView> get(support::StringView key);
bool has(support::StringView key);

}  // namespace boot_args
