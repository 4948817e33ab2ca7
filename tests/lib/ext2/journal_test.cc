// The journal in ordered mode: power cut after every number of device writes while files are
// written, renamed and fsynced on a -j image; each time the next mount replays the journal,
// every file whose sync returned is intact, and after a clean unmount e2fsck -fn is clean.
#include "ext2_test_util.h"

namespace ext2_test {
namespace {

// An ImageDevice that loses every write after the first `budget` (the power is cut).
class CutDevice final : public fs::BlockDevice {
 public:
  CutDevice(ImageDevice& inner, u64 budget) : inner_(inner), budget_(budget) {}
  u64 sector_count() const override { return inner_.sector_count(); }
  bool read_only() const override { return false; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override {
    for (fs::BlockRequest& r : requests) {
      if (r.write && budget_ == 0) {
        r.result = fs::Error::Io;
        continue;
      }
      if (r.write) --budget_;
      fs::BlockRequest one = r;
      r.result = inner_.transfer(support::Span<fs::BlockRequest>(&one, 1));
    }
    for (fs::BlockRequest& r : requests)
      if (r.result.is_error()) return r.result;
    return {};
  }
  fs::Result<void> flush() override {
    if (budget_ == 0) return fs::Error::Io;
    return inner_.flush();
  }
  bool cut() const { return budget_ == 0; }

 private:
  ImageDevice& inner_;
  u64 budget_;
};

TEST_F(Ext2Test, power_cuts_at_every_write_leave_synced_files_intact_after_replay) {
  std::string image = path("image");
  make_image(image, "-t ext2 -j -b 1024", "16M");
  std::vector<u8> clean = ImageDevice::load(image).bytes();
  u64 journal_start = std::stoull(debugfs(image, "bmap <8> 0"));
  int trials = 0, checked = 0, replayed = 0;  // replayed: the log held transactions
  for (u64 budget = 0; budget < 400; budget += 7) {
    ++trials;
    ImageDevice disk{std::vector<u8>(clean)};
    CutDevice cut(disk, budget);
    ext2::Options options;
    options.clock = &FakeClock::read;
    options.clock_context = &clock_;
    std::map<std::string, std::string> synced;  // what a returned sync promises
    auto mounted = ext2::Volume::mount(cut, options, nullptr);
    if (mounted.is_ok()) {
      ext2::Volume* v = mounted.value();
      for (int i = 0; i < 12 && !cut.cut(); ++i) {
        std::string name = "f" + std::to_string(i), content = pattern(3000 + i * 1500, i);
        auto f = v->create_file(v->root(), sv("tmp"), fs::CreateMode::Exclusive);
        if (f.is_error()) break;
        if (v->write(f.value(), 0, bytes(content)).is_error()) break;
        if (v->rename(v->root(), sv("tmp"), v->root(), sv(name)).is_error()) break;
        if (v->sync(f.value(), false).is_error()) break;
        synced[name] = content;
      }
      delete v;  // the power is gone: no unmount
    }
    // The next boot. The journal superblock's s_start (big-endian, byte 28) is not 0 when the
    // log holds transactions.
    const u8* js = disk.bytes().data() + journal_start * 1024;
    if ((js[28] | js[29] | js[30] | js[31]) != 0) ++replayed;
    device_ = std::make_unique<ImageDevice>(std::move(disk.bytes()));
    auto again = mount_device();
    ASSERT_TRUE(again.is_ok()) << "budget " << budget << ": " << why();
    for (const auto& [name, content] : synced) {
      auto ino = resolve("/" + name);
      ASSERT_TRUE(ino.is_ok()) << "budget " << budget << ": " << name;
      EXPECT_TRUE(read_all(ino.value()) == content) << "budget " << budget << ": " << name;
    }
    unmount_to(image);
    Command c = run("/usr/sbin/e2fsck -fn " + quote(image));
    EXPECT_EQ(c.status, 0) << "budget " << budget << ":\n" << c.output;
    if (c.status == 0) ++checked;
  }
  std::printf("power cuts: %d trials (%d with transactions in the log), %d clean checks\n", trials,
              replayed, checked);
  EXPECT_GT(replayed, 0);
  EXPECT_EQ(checked, trials);
}

}  // namespace
}  // namespace ext2_test
