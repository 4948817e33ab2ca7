// The live counters behind ipc::stats (object.h), for the library's own use.
#pragma once

#include <ipc/object.h>

namespace ipc::stats::detail {

void object_created(Kind kind);
void object_destroyed(Kind kind);
void handles_added(u64 n);
void handles_dropped(u64 n);
void message_created();
void message_freed();

}  // namespace ipc::stats::detail
