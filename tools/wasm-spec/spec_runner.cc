// wasm-spec: runs WebAssembly specification test scripts (.wast) on the engine.
//
// Scripts are read by the project's own text-format reader (lib/wat) and run by lib/spec, the
// same runner the kernel uses (boot argument `spec`): per file one line of passed / failed /
// skipped / not run, at the end the total line. Exit status 0 only when nothing failed.
//
// --slices=1 | --slices=random runs every execution in fuel slices (of 1, or random sizes),
// resuming each slice on a different thread, to test suspension; spectest.print* then answer
// Pending and are completed from the other thread.
//
// --check-encoder: instead of running, checks the text encoder: every module the scripts expect
// to be valid (module, module definition, assert_unlinkable, assert_trap of a module, written as
// text or quote) is encoded and handed to wabt's `wasm-validate`, and every assert_malformed text
// module must be rejected by the reader with a line and column.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spec/runner.h>
#include <wasm/host.h>

namespace {

enum class SliceMode { None, One, Random };

struct Options {
  SliceMode slices = SliceMode::None;
  bool verbose = false;
  bool check_encoder = false;
  bool wasm_2_0 = false;     // --wasm-2.0: the 2.0 feature set (the 2.0 suite)
  std::string dump_modules;  // --dump-modules DIR: write the modules (fuzz corpus), run nothing
  std::vector<std::string> exclude;  // folder names left out of a --suite walk
};

// Runs closures alternately on two threads (a slice on one, the next on the other).
class ThreadPair {
 public:
  ThreadPair() {
    for (int k = 0; k < 2; ++k) threads_[k] = std::thread([this, k] { loop(k); });
  }
  ~ThreadPair() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void run_on(int k, const std::function<void()>& fn) {
    std::unique_lock<std::mutex> l(mu_);
    job_ = &fn;
    target_ = k;
    done_ = false;
    cv_.notify_all();
    cv_.wait(l, [this] { return done_; });
  }

 private:
  void loop(int k) {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [this, k] { return stop_ || (job_ != nullptr && target_ == k); });
      if (stop_) return;
      const std::function<void()>* fn = job_;
      job_ = nullptr;
      l.unlock();
      (*fn)();
      l.lock();
      done_ = true;
      cv_.notify_all();
    }
  }
  std::thread threads_[2];
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* job_ = nullptr;
  int target_ = 0;
  bool done_ = false;
  bool stop_ = false;
};

class StdoutSink final : public support::FormatSink {
 public:
  void write(const char* data, usize size) override { fwrite(data, 1, size, stdout); }
  using support::FormatSink::write;
};

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *ok = false;
    return {};
  }
  std::stringstream ss;
  ss << f.rdbuf();
  *ok = true;
  return ss.str();
}

// Runs an execution until it stops (in slices on alternating threads if asked).
class Driver {
 public:
  explicit Driver(const Options& opt) : opt_(opt) {}
  void drive(spec::ScriptRunner& runner, wasm::Execution& ex) {
    if (opt_.slices == SliceMode::None) {
      wasm::RunStatus s;
      for (;;) {
        s = ex.run(1000000000);
        if (s == wasm::RunStatus::HostPending)
          runner.complete_pending(ex);
        else if (s != wasm::RunStatus::OutOfFuel)
          break;
      }
      return;
    }
    if (!pair_) pair_ = std::make_unique<ThreadPair>();
    wasm::RunStatus s = wasm::RunStatus::OutOfFuel;
    int k = 0;
    std::function<void()> step = [&] {
      if (s == wasm::RunStatus::HostPending) runner.complete_pending(ex);
      i64 fuel = opt_.slices == SliceMode::One ? 1 : static_cast<i64>(rng_() % 50) + 1;
      s = ex.run(fuel);
    };
    do {
      pair_->run_on(k, step);
      k ^= 1;
    } while (s == wasm::RunStatus::OutOfFuel || s == wasm::RunStatus::HostPending);
  }

 private:
  const Options& opt_;
  std::unique_ptr<ThreadPair> pair_;
  std::mt19937_64 rng_{12345};
};

// --- the encoder check ---

struct EncoderCheck {
  long valid_modules = 0;
  long malformed_text = 0;
  long malformed_rejected_with_location = 0;
  long rejected = 0;
  std::vector<std::string> known_gaps;
  std::vector<std::string> problems;
  std::vector<std::pair<std::string, std::string>> written;  // (wasm path, where)
};

void check_file(const std::string& path, const std::string& name, const std::string& tmp,
                const wasm::Features& features, EncoderCheck& check) {
  bool ok;
  std::string text = read_file(path, &ok);
  auto script = wat::read_script(support::StringView(text.data(), text.size()),
                                 spec::text_features(features));
  if (!ok || script.is_error()) {
    check.problems.push_back(name + ": the script does not read");
    return;
  }
  for (const wat::Command& c : script.value().commands) {
    std::string where =
        name + ":" + std::to_string(c.location.line) + ":" + std::to_string(c.location.column);
    bool expects_valid = c.kind == wat::CommandKind::Module ||
                         c.kind == wat::CommandKind::ModuleDefinition ||
                         c.kind == wat::CommandKind::AssertUnlinkable ||
                         c.kind == wat::CommandKind::AssertModuleTrap;
    if (c.kind == wat::CommandKind::AssertMalformed && c.module.form != wat::ModuleForm::Binary) {
      ++check.malformed_text;
      if (c.module.ok) {
        check.problems.push_back(where + ": assert_malformed text module was read");
      } else if (c.module.error.location.line >= 1 && c.module.error.location.column >= 1) {
        ++check.malformed_rejected_with_location;
      } else {
        check.problems.push_back(where + ": error without a location");
      }
      continue;
    }
    if (!expects_valid || c.module.form == wat::ModuleForm::Binary) continue;
    if (!c.module.ok) {
      const char* f = spec::unsupported_text_feature(support::StringView(text.data(), text.size()),
                                                     c.module.error, features);
      check.problems.push_back(where +
                               ": module does not read: " + wat::error_name(c.module.error.code) +
                               (f ? std::string(" (feature ") + f + ")" : ""));
      continue;
    }
    ++check.valid_modules;
    std::string file = tmp + "/m" + std::to_string(check.written.size()) + ".wasm";
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(c.module.bytes.data()),
               static_cast<std::streamsize>(c.module.bytes.size()));
    check.written.emplace_back(file, where);
  }
}

// WABT 1.0.32's validator rejects `global.get` as an element expression, valid since 2.0 (the
// specification's elem.wast uses it); such rejections are reported as known, not as problems.
bool known_wabt_gap(const std::string& error) {
  return error.find("expected ref.null or ref.func in passive element segment") !=
         std::string::npos;
}

// Validates the written modules with wasm-validate (WebAssembly 2.0 features, its defaults), a
// batch of files per shell.
void validate_written(EncoderCheck& check, const std::string& tmp) {
  const size_t kBatch = 200;
  for (size_t start = 0; start < check.written.size(); start += kBatch) {
    std::string script = tmp + "/batch.sh";
    std::string out = tmp + "/batch.out";
    {
      std::ofstream sh(script);
      for (size_t i = start; i < std::min(check.written.size(), start + kBatch); ++i)
        sh << "e=$(wasm-validate '" << check.written[i].first << "' 2>&1) || echo " << i
           << " \"$(echo \"$e\" | head -1)\"\n";
    }
    std::string cmd = "sh '" + script + "' > '" + out + "'";
    if (std::system(cmd.c_str()) != 0) {
      check.problems.push_back("wasm-validate could not be run");
      return;
    }
    bool ok;
    std::istringstream failed(read_file(out, &ok));
    std::string line;
    while (std::getline(failed, line)) {
      size_t i = std::stoul(line);
      std::string error = line.substr(line.find(' ') + 1);
      if (known_wabt_gap(error)) {
        check.known_gaps.push_back(check.written[i].second + ": " + error);
        continue;
      }
      ++check.rejected;
      check.problems.push_back(check.written[i].second +
                               ": wasm-validate rejects the encoding: " + error);
      std::string keep = check.written[i].first + ".rejected";
      std::rename(check.written[i].first.c_str(), keep.c_str());
    }
  }
}

void list_suite(const std::string& dir, const std::string& prefix, const Options& opt,
                std::vector<std::pair<std::string, std::string>>& files) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<std::string> subdirs;
  for (const std::string& n : names) {
    if (n == "." || n == "..") continue;
    std::string full = dir + "/" + n;
    struct stat st;
    if (stat(full.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (std::find(opt.exclude.begin(), opt.exclude.end(), n) == opt.exclude.end())
        subdirs.push_back(n);
    } else if (n.size() > 5 && n.substr(n.size() - 5) == ".wast") {
      files.emplace_back(full, prefix + n);
    }
  }
  for (const std::string& s : subdirs) list_suite(dir + "/" + s, prefix + s + "/", opt, files);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string suite;
  std::vector<std::pair<std::string, std::string>> files;  // (path, name printed)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--suite" && i + 1 < argc) {
      suite = argv[++i];
    } else if (a == "--exclude" && i + 1 < argc) {
      opt.exclude.push_back(argv[++i]);
    } else if (a == "--slices=1") {
      opt.slices = SliceMode::One;
    } else if (a == "--slices=random") {
      opt.slices = SliceMode::Random;
    } else if (a == "--dump-modules" && i + 1 < argc) {
      opt.dump_modules = argv[++i];
    } else if (a == "--wasm-2.0") {
      opt.wasm_2_0 = true;
    } else if (a == "--check-encoder") {
      opt.check_encoder = true;
    } else if (a == "-v" || a == "--verbose") {
      opt.verbose = true;
    } else if (a == "-h" || a == "--help") {
      printf(
          "usage: wasm-spec [--suite DIR [--exclude SUBDIR]...] [--slices=1|random] [--wasm-2.0] "
          "[--check-encoder | --dump-modules DIR] [-v] [FILE.wast...]\n"
          "  --wasm-2.0: compile with the WebAssembly 2.0 feature set (no multi-memory)\n");
      return 0;
    } else {
      files.emplace_back(a, a.substr(a.find_last_of('/') + 1));
    }
  }
  if (files.empty()) {
    if (suite.empty()) {
      fprintf(stderr, "wasm-spec: no --suite folder and no files given\n");
      return 2;
    }
    struct stat st;
    if (stat(suite.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "wasm-spec: suite folder %s is absent\n", suite.c_str());
      return 2;
    }
    list_suite(suite, "", opt, files);
    // By path, as the kernel's initrd (sorted by name) holds them: the same order of lines.
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
  }

  if (!opt.dump_modules.empty()) {
    long n = 0;
    wasm::Features features;
    if (opt.wasm_2_0) features = wasm::Features::wasm_2_0();
    for (auto& [path, name] : files) {
      bool ok;
      std::string text = read_file(path, &ok);
      auto script = wat::read_script(support::StringView(text.data(), text.size()),
                                     spec::text_features(features));
      if (!ok || script.is_error()) continue;
      for (const wat::Command& c : script.value().commands) {
        if (c.kind != wat::CommandKind::Module || !c.module.ok || c.module.bytes.size() >= 65536)
          continue;
        std::string file = opt.dump_modules + "/m" + std::to_string(n++) + ".wasm";
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(c.module.bytes.data()),
                   static_cast<std::streamsize>(c.module.bytes.size()));
      }
    }
    printf("%ld modules written to %s\n", n, opt.dump_modules.c_str());
    return 0;
  }

  if (opt.check_encoder) {
    char tmpl[] = "/tmp/wasm-spec-encoder.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      perror("mkdtemp");
      return 2;
    }
    EncoderCheck check;
    wasm::Features features;
    if (opt.wasm_2_0) features = wasm::Features::wasm_2_0();
    for (auto& [path, name] : files) check_file(path, name, tmpl, features, check);
    validate_written(check, tmpl);
    for (const std::string& p : check.problems) printf("  %s\n", p.c_str());
    for (const std::string& g : check.known_gaps)
      printf("  known WABT gap (global.get as an element expression): %s\n", g.c_str());
    printf(
        "%zu files: %ld valid text modules encoded, %ld accepted by wasm-validate, %ld rejected, "
        "%zu known WABT gaps; %ld assert_malformed text modules, %ld rejected with line and "
        "column; %zu problems\n",
        files.size(), check.valid_modules,
        check.valid_modules - check.rejected - static_cast<long>(check.known_gaps.size()),
        check.rejected, check.known_gaps.size(), check.malformed_text,
        check.malformed_rejected_with_location, check.problems.size());
    if (check.problems.empty()) {
      std::string rm = std::string("rm -rf '") + tmpl + "'";
      if (std::system(rm.c_str()) != 0) return 2;
    } else {
      printf("rejected encodings kept in %s\n", tmpl);
    }
    return check.problems.empty() ? 0 : 1;
  }

  StdoutSink out;
  wasm::MmapMemoryProvider provider;
  spec::Config config;
  config.pending_prints = opt.slices != SliceMode::None;
  config.max_failure_lines = opt.verbose ? 0 : 20;
  if (opt.wasm_2_0) config.features = wasm::Features::wasm_2_0();
  Driver driver(opt);
  spec::Counts total;
  for (auto& [path, name] : files) {
    bool ok;
    std::string text = read_file(path, &ok);
    spec::ScriptRunner runner(provider, config, out);
    if (!ok) {
      printf("%s: cannot read\n", path.c_str());
      total.failed += 1;
      continue;
    }
    runner.start(support::StringView(name.data(), name.size()),
                 support::StringView(text.data(), text.size()));
    while (!runner.done()) {
      if (wasm::Execution* ex = runner.begin_command()) {
        driver.drive(runner, *ex);
        runner.end_command();
      }
    }
    runner.finish(total);
    fflush(stdout);
  }
  spec::print_total(out, files.size(), total);
  if (opt.slices != SliceMode::None)
    printf("suspension: %llu pending host calls completed on another thread\n",
           static_cast<unsigned long long>(total.pending_completed));
  printf("%llu passed, %llu failed, %llu skipped\n", static_cast<unsigned long long>(total.passed),
         static_cast<unsigned long long>(total.failed),
         static_cast<unsigned long long>(total.skipped));
  return total.failed == 0 ? 0 : 1;
}
