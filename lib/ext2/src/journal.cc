// The ext3 journal in ordered mode. Until lib/jbd2 is in the tree, a journaled image is written
// with its journal left alone (it must be empty: one that needs recovery refuses the mount).
#include "impl.h"

namespace ext2 {

using namespace format;

fs::Result<void> Volume::Impl::open_journal(support::FormatSink* why) {
  if ((compat & kCompatHasJournal) == 0) {
    if (incompat & kIncompatRecover) {
      say(why, "ext2: needs_recovery without a journal");
      return fs::Error::Invalid;
    }
    return {};
  }
  if (incompat & kIncompatRecover) {
    say(why, "ext2: the journal needs recovery, which this build cannot do");
    return fs::Error::Invalid;
  }
  return {};
}

fs::Result<void> Volume::Impl::commit_metadata() {
  if (cache.count(Dirt::Meta) == 0) return {};
  TRY(cache.write_back(Dirt::Meta));
  if (device.flush().is_error()) return fs::Error::Io;
  return {};
}

usize Volume::Impl::max_transaction() const { return 4096; }

fs::Result<void> Volume::Impl::close_journal() { return {}; }

}  // namespace ext2
