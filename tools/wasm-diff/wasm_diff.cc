// wasm-diff: differential testing of this engine against wabt's interpreter, both in process.
//
//   wasm-diff [--gen seq|ttf|spec|all] [--count N] [--seed S] [--from I]
//             [--spec-dir DIR]... [--out DIR] [--log FILE] [--fuel N] [--timeout SECONDS]
//   wasm-diff --replay FILE.wasm... [--seed S]        compare given modules, print the outcome
//
// Generators: seq (short random instruction sequences, seq_gen.h), ttf (binaryen's
// `wasm-opt -ttf`), spec (the modules in --spec-dir folders: the specification suite's, the
// libFuzzer corpus; each valid one run again and again with new arguments). Every exported
// function is called in export order with generated arguments, on both engines; the load verdict,
// every call's end (trap kind, result bits; NaNs by class), the host calls and the final globals,
// tables and memories must agree. Module I of a run is fully determined by (generator, seed, I).
//
// Not compared, and counted as skipped with the reason: modules both engines reject, modules
// using what this engine lacks or beyond its limits, modules whose start function runs out
// of fuel or stack, valid modules wabt refuses (known_wabt_gap), and, for ttf and spec, modules
// that differ only in the bits of NaNs (NanBits). A call that runs out of this engine's fuel or
// stack (its limits are below wabt's), or of wabt's stack, is dropped from the module's call list
// and the module run again from the start; the drops are counted.
//
// Each mismatch is kept as DIR/GEN-SEED-INDEX.wasm with a .txt that says what differed. The
// comparison runs in a child process watched by the parent: a crash or a hang (no progress for
// --timeout seconds) of either engine is a mismatch too, and the run goes on after it.
// Exit status: 0 when nothing mismatched, 1 when something did, 2 on usage errors.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "binaryen.h"
#include "clamp.h"
#include "engines.h"
#include "random.h"
#include "seq_gen.h"

using namespace wasm_diff;

namespace {

enum Gen : uint32_t { kSeq, kTtf, kSpec, kGenCount };
const char* const kGenNames[] = {"seq", "ttf", "spec"};

enum Skip : uint32_t {
  kNotGenerated,  // the generator failed (wasm-opt refused its input)
  kInvalid,       // rejected by both engines
  kUnsupported,   // a feature this engine lacks
  kLimit,         // beyond this engine's limits, or a memory/table minimum beyond the bounds
  kStartFuel,     // the start function ran out of fuel
  kStartStack,    // the start function exhausted a call stack
  kNoCallLeft,    // every call ran out of fuel or stack
  kWabtGap,       // valid, but refused by wabt 1.0.32 (known_wabt_gap)
  kNanBits,       // differs only where both sides hold NaN bits (ttf and spec: NanBits::Free)
  kSkipCount,
};
const char* const kSkipNames[] = {"not generated",
                                  "invalid on both",
                                  "unsupported",
                                  "limits",
                                  "start out of fuel",
                                  "start out of stack",
                                  "every call out of fuel or stack",
                                  "known wabt gap",
                                  "NaN bits only"};

// Per generator; lives in memory shared with the worker so that a crash loses nothing.
struct Counters {
  uint64_t generated = 0, compared = 0, mismatches = 0;
  uint64_t skipped[kSkipCount] = {};
  uint64_t calls = 0, dropped_fuel = 0, dropped_stack = 0, dropped_wabt_stack = 0, v128_calls = 0;
  uint64_t skipped_total() const {
    uint64_t n = 0;
    for (uint64_t s : skipped) n += s;
    return n;
  }
};

constexpr size_t kMaxSavedModule = 4 << 20;

struct Shared {
  uint64_t next = 0;        // the item in progress (or the next one)
  uint64_t beat = 0;        // bumped after every item
  bool generating = false;  // the item in progress is being generated, not compared yet
  Counters counters;
  uint64_t module_size = 0;  // the item in progress, for crash reports
  uint8_t module[kMaxSavedModule];
};

struct Options {
  uint32_t gens = 1u << kSeq;
  uint64_t count = 1000;
  uint64_t seed = 1;
  uint64_t from = 0;
  std::vector<std::string> spec_dirs;
  std::string out = "build/wasm-fuzz/diff";
  std::string log;
  uint32_t timeout = 60;
  RunLimits limits;
  std::vector<std::string> replay;
  bool verbose = false;
  NanBits nan_bits = NanBits::Exact;  // for --replay (--nan-bits-free)
};

bool read_file(const std::string& path, Bytes& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

void write_file(const std::string& path, const void* data, size_t size) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  fwrite(data, 1, size, f);
  fclose(f);
}

// The specification's modules (and the fuzzing corpus): every file of the folders, duplicates
// removed, in name order.
std::vector<Bytes> load_modules(const std::vector<std::string>& dirs) {
  std::vector<std::string> paths;
  for (const std::string& d : dirs) {
    DIR* dir = opendir(d.c_str());
    if (dir == nullptr) continue;
    while (dirent* e = readdir(dir))
      if (e->d_name[0] != '.') paths.push_back(d + "/" + e->d_name);
    closedir(dir);
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Bytes> modules;
  std::map<uint64_t, bool> seen;
  for (const std::string& p : paths) {
    Bytes b;
    if (!read_file(p, b) || b.empty()) continue;
    uint64_t h = 1469598103934665603ull;
    for (uint8_t c : b) h = (h ^ c) * 1099511628211ull;
    if (seen[h]) continue;
    seen[h] = true;
    modules.push_back(std::move(b));
  }
  return modules;
}

// Valid modules that wabt 1.0.32 refuses: an element segment with an expression other than
// ref.null and ref.func (global.get is valid since WebAssembly 2.0; elem.wast uses it).
bool known_wabt_gap(const std::string& wabt_message) {
  return wabt_message.find("expected ref.null or ref.func") != std::string::npos;
}

struct Verdict {
  enum Kind { Compared, Skipped, Mismatch } kind = Compared;
  Skip skip = kInvalid;
  std::string what;  // the mismatch
  uint64_t calls = 0, dropped_fuel = 0, dropped_stack = 0, dropped_wabt_stack = 0, v128_calls = 0;
  Outcome ours, theirs;
  std::vector<Call> plan;
  Slices slices = Slices::None;
};

Verdict skipped(Skip why) {
  Verdict v;
  v.kind = Verdict::Skipped;
  v.skip = why;
  return v;
}

// Runs one module on both engines and compares (see the header comment for the rules).
// Whether the module, once binaryen's --denan has made every NaN its operations produce zero,
// runs the same calls alike on both engines when no argument holds a NaN either (without_nans:
// binaryen 108 does not instrument v128 operations, so a NaN argument's free bits could still
// reach integer lanes, e.g. f64x2.add then i8x16.avgr_u): then a difference that involved NaNs
// was one of NaN bits. (What an operation must return for a NaN operand is checked by the spec
// suite's nan:canonical and nan:arithmetic assertions, not here.)
bool agrees_without_nans(const Bytes& bytes, const std::vector<Call>& original_plan,
                         const RunLimits& limits, const std::string& work_dir) {
  std::vector<Call> plan = original_plan;
  for (Call& call : plan) {
    for (Val& arg : call.args) arg = without_nans(arg);
  }
  Bytes denanned;
  if (!denan_module(bytes, work_dir, denanned)) return false;
  WardenModule ours(denanned);
  WabtModule theirs(denanned);
  if (ours.load() != Load::Ok || theirs.load() != Load::Ok) return false;
  Outcome a = ours.run(plan, limits);
  if (a.load != Load::Ok || a.start.stop == Stop::OutOfFuel || a.start.stop == Stop::Exhausted ||
      first_call_with(a, Stop::OutOfFuel) >= 0 || first_call_with(a, Stop::Exhausted) >= 0)
    return false;
  Outcome b = theirs.run(plan, limits);
  return compare(a, b, plan, NanBits::Free).empty();
}

Verdict compare_module(const Bytes& original, uint64_t args_seed, const RunLimits& base_limits,
                       NanBits nan_bits, const std::string& work_dir) {
  // A third of the modules run at once on this engine, a third in fuel slices of 1, a third in
  // random slices: stopping and resuming anywhere must not change what a call does.
  RunLimits limits = base_limits;
  Rng slice_rng(args_seed ^ 0x51ced);
  uint32_t mode = slice_rng.below(3);
  limits.slices = mode == 0 ? Slices::None : mode == 1 ? Slices::One : Slices::Random;
  limits.slice_seed = slice_rng.next();
  Bytes clamped;
  const Bytes* bytes = &original;
  switch (clamp_limits(original, limits.max_memory_pages, limits.max_table_size, clamped)) {
    case Clamp::TooLarge: return skipped(kLimit);
    case Clamp::Clamped: bytes = &clamped; break;
    case Clamp::Unchanged: break;
  }
  WardenModule ours(*bytes);
  if (ours.load() == Load::Unsupported) return skipped(kUnsupported);
  if (ours.load() == Load::Limit) return skipped(kLimit);
  WabtModule theirs(*bytes);
  bool ours_ok = ours.load() == Load::Ok, theirs_ok = theirs.load() == Load::Ok;
  if (!ours_ok && !theirs_ok) return skipped(kInvalid);
  Verdict v;
  if (ours_ok && !theirs_ok && known_wabt_gap(theirs.message())) return skipped(kWabtGap);
  if (ours_ok != theirs_ok) {
    v.kind = Verdict::Mismatch;
    v.what = "validation differs: ours " +
             (ours_ok ? "accepted" : "rejected (" + ours.message() + ")") + ", wabt " +
             (theirs_ok ? "accepted" : "rejected (" + theirs.message() + ")");
    return v;
  }
  v.slices = limits.slices;
  Rng rng(args_seed);
  for (const ExportedFunc& f : ours.exported_funcs()) {
    Call c;
    c.name = f.name;
    c.v128 = f.v128;
    for (ValType t : f.params) c.args.push_back(random_arg(rng, t, ours.function_count()));
    v.plan.push_back(std::move(c));
  }
  bool had_calls = !v.plan.empty();
  for (;;) {
    v.ours = ours.run(v.plan, limits);
    if (v.ours.load != Load::Ok) return skipped(kLimit);
    if (v.ours.start.stop == Stop::OutOfFuel) return skipped(kStartFuel);
    if (v.ours.start.stop == Stop::Exhausted) return skipped(kStartStack);
    if (int k = first_call_with(v.ours, Stop::OutOfFuel); k >= 0) {
      v.plan.erase(v.plan.begin() + k);
      ++v.dropped_fuel;
      continue;
    }
    // This engine's stacks are smaller than wabt's (RunLimits): a call that exhausts them here
    // is not run on wabt.
    if (int k = first_call_with(v.ours, Stop::Exhausted); k >= 0) {
      v.plan.erase(v.plan.begin() + k);
      ++v.dropped_stack;
      continue;
    }
    v.theirs = theirs.run(v.plan, limits);
    // Where wabt runs out of stack although this engine did not (its value stack is counted in
    // values, this engine's in frame slots), the call is not compared either; counted apart.
    if (v.theirs.start.stop == Stop::Exhausted) return skipped(kStartStack);
    if (int k = first_call_with(v.theirs, Stop::Exhausted); k >= 0) {
      v.plan.erase(v.plan.begin() + k);
      ++v.dropped_wabt_stack;
      continue;
    }
    break;
  }
  if (had_calls && v.plan.empty()) return skipped(kNoCallLeft);
  v.calls = v.plan.size();
  for (const Call& c : v.plan) v.v128_calls += c.v128;
  v.what = compare(v.ours, v.theirs, v.plan, NanBits::Exact);
  if (!v.what.empty()) {
    // Modules not made here may show the engines' free choice of NaN bits (NanBits): such a
    // difference is not a mismatch when NaN bits are all that differ, or when NaNs are involved
    // and the module agrees once its NaNs are made zero.
    if (nan_bits == NanBits::Free && (compare(v.ours, v.theirs, v.plan, nan_bits).empty() ||
                                      (involves_nan(v.ours, v.theirs) &&
                                       agrees_without_nans(*bytes, v.plan, limits, work_dir)))) {
      Verdict nan = skipped(kNanBits);
      nan.calls = v.calls;
      return nan;
    }
    v.kind = Verdict::Mismatch;
  }
  return v;
}

std::string describe(const Outcome& o) {
  std::string s;
  s += "  start: " + to_string(o.start) + "\n";
  for (size_t i = 0; i < o.calls.size(); ++i)
    s += "  call " + std::to_string(i) + ": " + to_string(o.calls[i]) + "\n";
  s += "  host calls: " + std::to_string(o.host_call_count) + "\n";
  return s;
}

constexpr uint32_t kMaxPrinted = 20;

void save_mismatch(const Options& opt, Gen gen, uint64_t index, const Bytes& module,
                   const std::string& what, const Verdict* v) {
  char base[256];
  snprintf(base, sizeof base, "%s/%s-%" PRIu64 "-%" PRIu64, opt.out.c_str(), kGenNames[gen],
           opt.seed, index);
  write_file(std::string(base) + ".wasm", module.data(), module.size());
  std::string text = std::string("generator ") + kGenNames[gen] + ", seed " +
                     std::to_string(opt.seed) + ", index " + std::to_string(index) +
                     "\nreproduce: wasm-diff --gen " + kGenNames[gen] + " --seed " +
                     std::to_string(opt.seed) + " --from " + std::to_string(index) +
                     " --count 1\n" + what + "\n";
  if (v != nullptr) {
    static const char* const kSliceNames[] = {"at once", "in fuel slices of 1",
                                              "in random fuel slices"};
    text += std::string("this engine ran every call ") + kSliceNames[static_cast<int>(v->slices)] +
            "\ncalls:\n";
    for (const Call& c : v->plan) text += "  " + c.name + to_string(c.args) + "\n";
    text += "ours:\n" + describe(v->ours) + "wabt:\n" + describe(v->theirs);
  }
  write_file(std::string(base) + ".txt", text.data(), text.size());
  // The first few on the terminal; all of them in the folder.
  static uint32_t printed = 0;
  if (++printed <= kMaxPrinted) {
    printf("MISMATCH %s: %s (%s.wasm)\n", kGenNames[gen], what.substr(0, what.find('\n')).c_str(),
           base);
    if (printed == kMaxPrinted) printf("(further mismatches only in %s)\n", opt.out.c_str());
    fflush(stdout);
  }
}

struct Source {
  Gen gen;
  const Options* opt;
  const std::vector<Bytes>* spec;  // valid modules, for kSpec
  std::string work_dir;

  bool make(uint64_t index, Bytes& out) {
    uint64_t s = item_seed(opt->seed, gen, index);
    switch (gen) {
      case kSeq: out = generate_sequence_module(s); return true;
      case kTtf: {
        std::string why;
        return generate_ttf_module(s, work_dir, out, why);
      }
      default:
        if (spec->empty()) return false;
        out = (*spec)[index % spec->size()];
        return true;
    }
  }
};

// The worker: items shared->next .. count-1, counting into shared->counters.
void work(Shared* shared, Source& source, uint64_t end, const Options& opt) {
  Bytes module;
  while (shared->next < end) {
    uint64_t index = shared->next;
    Counters& c = shared->counters;
    ++c.generated;
    shared->generating = true;
    bool made = source.make(index, module);
    shared->generating = false;
    if (!made) {
      ++c.skipped[kNotGenerated];
    } else {
      shared->module_size = std::min(module.size(), kMaxSavedModule);
      memcpy(shared->module, module.data(), shared->module_size);
      Verdict v =
          compare_module(module, item_seed(opt.seed, 100 + source.gen, index), opt.limits,
                         source.gen == kSeq ? NanBits::Exact : NanBits::Free, source.work_dir);
      switch (v.kind) {
        case Verdict::Compared: ++c.compared; break;
        case Verdict::Skipped: ++c.skipped[v.skip]; break;
        case Verdict::Mismatch:
          ++c.mismatches;
          save_mismatch(opt, source.gen, index, module, v.what, &v);
          break;
      }
      c.calls += v.calls;
      c.dropped_fuel += v.dropped_fuel;
      c.dropped_stack += v.dropped_stack;
      c.v128_calls += v.v128_calls;
      c.dropped_wabt_stack += v.dropped_wabt_stack;
      shared->module_size = 0;
    }
    shared->next = index + 1;
    ++shared->beat;
  }
}

std::string summary(Gen gen, const Counters& c, double seconds) {
  char buf[1024];
  std::string skips;
  for (uint32_t i = 0; i < kSkipCount; ++i) {
    if (c.skipped[i] == 0) continue;
    skips += (skips.empty() ? "" : ", ") + std::string(kSkipNames[i]) + " " +
             std::to_string(c.skipped[i]);
  }
  snprintf(buf, sizeof buf,
           "%s: %" PRIu64 " generated, %" PRIu64 " compared, %" PRIu64 " skipped%s%s%s, %" PRIu64
           " mismatches; %" PRIu64 " calls compared (%" PRIu64 " dropped: out of fuel %" PRIu64
           ", out of stack %" PRIu64 ", out of wabt's stack %" PRIu64
           "); v128 calls compared %" PRIu64 "; %.0f s, %.0f modules/s",
           kGenNames[gen], c.generated, c.compared, c.skipped_total(), skips.empty() ? "" : " (",
           skips.c_str(), skips.empty() ? "" : ")", c.mismatches, c.calls,
           c.dropped_fuel + c.dropped_stack + c.dropped_wabt_stack, c.dropped_fuel, c.dropped_stack,
           c.dropped_wabt_stack, c.v128_calls, seconds,
           seconds > 0 ? static_cast<double>(c.generated) / seconds : 0.0);
  return buf;
}

void log_line(const Options& opt, const std::string& line) {
  if (opt.log.empty()) return;
  FILE* f = fopen(opt.log.c_str(), "a");
  if (f == nullptr) return;
  time_t now = time(nullptr);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", localtime(&now));
  fprintf(f, "%s %s\n", stamp, line.c_str());
  fclose(f);
}

// Runs items [opt.from, opt.from + opt.count) of one generator in watched child processes.
Counters run_generator(Gen gen, const Options& opt, const std::vector<Bytes>& spec) {
  auto* shared = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (shared == MAP_FAILED) {
    perror("wasm-diff: mmap");
    exit(2);
  }
  new (shared) Shared();
  shared->next = opt.from;
  uint64_t end = opt.from + opt.count;
  Source source{gen, &opt, &spec, opt.out + "/work-" + std::to_string(getpid())};
  mkdir(source.work_dir.c_str(), 0755);
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double last_log = 0;
  while (shared->next < end) {
    fflush(stdout);
    std::string err_path = source.work_dir + "/stderr.txt";
    pid_t pid = fork();
    if (pid == 0) {
      // What an engine says as it dies (the checked engine names the type confusion) goes into
      // the mismatch report.
      if (int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644); fd >= 0) {
        dup2(fd, 2);
        close(fd);
      }
      work(shared, source, end, opt);
      fflush(stdout);
      exit(0);  // not _exit: a coverage build writes its profile at exit
    }
    uint64_t beat = shared->beat;
    double beat_at = elapsed();
    int status = 0;
    bool hung = false;
    for (;;) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      usleep(20000);
      double now = elapsed();
      if (shared->beat != beat) {
        beat = shared->beat;
        beat_at = now;
      } else if (now - beat_at > opt.timeout) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        hung = true;
        break;
      }
      if (!opt.log.empty() && now - last_log >= 60) {
        last_log = now;
        log_line(opt, summary(gen, shared->counters, now));
      }
    }
    if (!hung && WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    // The worker died on item `next`: a crash or a hang of one of the engines.
    uint64_t index = shared->next;
    Bytes module(shared->module, shared->module + shared->module_size);
    std::string what = hung ? "no answer within " + std::to_string(opt.timeout) + " s"
                       : WIFSIGNALED(status)
                           ? std::string("crashed: ") + strsignal(WTERMSIG(status))
                           : "exited with status " + std::to_string(WEXITSTATUS(status));
    if (shared->generating) what = "the generator failed: " + what;
    Bytes err;
    if (read_file(err_path, err) && !err.empty()) {
      size_t from = err.size() > 2000 ? err.size() - 2000 : 0;
      what += "\nits last words:\n" +
              std::string(reinterpret_cast<const char*>(err.data()) + from, err.size() - from);
    }
    ++shared->counters.mismatches;
    save_mismatch(opt, gen, index, module, what, nullptr);
    shared->next = index + 1;
  }
  Counters c = shared->counters;
  std::string line = summary(gen, c, elapsed());
  printf("%s\n", line.c_str());
  fflush(stdout);
  log_line(opt, line);
  for (const char* f : {"ttf-seed.bin", "ttf.wasm", "denan-in.wasm", "denan.wasm", "stderr.txt"})
    unlink((source.work_dir + "/" + f).c_str());
  rmdir(source.work_dir.c_str());
  munmap(shared, sizeof(Shared));
  return c;
}

int replay(const Options& opt) {
  std::string work_dir = opt.out + "/work-" + std::to_string(getpid());
  mkdir(opt.out.c_str(), 0755);
  mkdir(work_dir.c_str(), 0755);
  int bad = 0;
  for (const std::string& path : opt.replay) {
    Bytes module;
    if (!read_file(path, module)) {
      fprintf(stderr, "wasm-diff: cannot read %s\n", path.c_str());
      return 2;
    }
    Verdict v = compare_module(module, opt.seed, opt.limits, opt.nan_bits, work_dir);
    const char* kind = v.kind == Verdict::Compared  ? "agree"
                       : v.kind == Verdict::Skipped ? kSkipNames[v.skip]
                                                    : "MISMATCH";
    printf("%s: %s%s%s\n", path.c_str(), kind, v.what.empty() ? "" : ": ", v.what.c_str());
    if (opt.verbose || v.kind == Verdict::Mismatch) {
      for (const Call& c : v.plan)
        printf("  call %s%s\n", c.name.c_str(), to_string(c.args).c_str());
      printf("ours:\n%swabt:\n%s", describe(v.ours).c_str(), describe(v.theirs).c_str());
    }
    bad += v.kind == Verdict::Mismatch;
  }
  unlink((work_dir + "/denan-in.wasm").c_str());
  unlink((work_dir + "/denan.wasm").c_str());
  rmdir(work_dir.c_str());
  return bad ? 1 : 0;
}

constexpr const char* kUsage =
    "usage: wasm-diff [--gen seq|ttf|spec|all] [--count N] [--seed S] [--from I]\n"
    "                 [--spec-dir DIR]... [--out DIR] [--log FILE] [--fuel N] [--timeout S]\n"
    "       wasm-diff --replay FILE.wasm... [--seed S] [--nan-bits-free] [-v]\n";

}  // namespace

int main(int argc, char** argv) {
  // Keep freed memory: returning it to the kernel (and faulting it back in) costs more than the
  // comparison of a small module.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "wasm-diff: %s needs a value\n%s", a.c_str(), kUsage);
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--gen") {
      std::string g = value();
      if (g == "all") {
        opt.gens = (1u << kGenCount) - 1;
      } else {
        opt.gens = 0;
        for (uint32_t k = 0; k < kGenCount; ++k)
          if (g == kGenNames[k]) opt.gens = 1u << k;
        if (opt.gens == 0) {
          fprintf(stderr, "wasm-diff: unknown generator %s\n%s", g.c_str(), kUsage);
          return 2;
        }
      }
    } else if (a == "--count") {
      opt.count = std::strtoull(value().c_str(), nullptr, 0);
    } else if (a == "--seed") {
      opt.seed = std::strtoull(value().c_str(), nullptr, 0);
    } else if (a == "--from") {
      opt.from = std::strtoull(value().c_str(), nullptr, 0);
    } else if (a == "--spec-dir") {
      opt.spec_dirs.push_back(value());
    } else if (a == "--out") {
      opt.out = value();
    } else if (a == "--log") {
      opt.log = value();
    } else if (a == "--fuel") {
      opt.limits.fuel = std::strtoll(value().c_str(), nullptr, 0);
    } else if (a == "--timeout") {
      opt.timeout = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 0));
    } else if (a == "--nan-bits-free") {
      opt.nan_bits = NanBits::Free;
    } else if (a == "-v") {
      opt.verbose = true;
    } else if (a == "--replay") {
      while (i + 1 < argc && argv[i + 1][0] != '-') opt.replay.push_back(argv[++i]);
    } else {
      fprintf(stderr, "wasm-diff: unexpected argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (!opt.replay.empty()) return replay(opt);
  mkdir(opt.out.c_str(), 0755);
  std::vector<Bytes> spec;
  if (opt.gens & (1u << kSpec)) {
    std::vector<Bytes> all = load_modules(opt.spec_dirs);
    // Both engines judge every module once; the valid ones are then run again and again.
    uint64_t both_reject = 0, disagree = 0, gaps = 0;
    for (const Bytes& m : all) {
      Bytes clamped;
      Clamp c = clamp_limits(m, opt.limits.max_memory_pages, opt.limits.max_table_size, clamped);
      if (c == Clamp::TooLarge) continue;
      const Bytes& b = c == Clamp::Clamped ? clamped : m;
      WardenModule ours(b);
      if (ours.load() == Load::Unsupported || ours.load() == Load::Limit) continue;
      WabtModule theirs(b);
      bool ok = ours.load() == Load::Ok, theirs_ok = theirs.load() == Load::Ok;
      if (ok && theirs_ok) spec.push_back(m);
      both_reject += !ok && !theirs_ok;
      if (ok && !theirs_ok && known_wabt_gap(theirs.message())) {
        ++gaps;
      } else if (ok != theirs_ok) {
        ++disagree;
        printf("spec: validation differs on a module of %zu bytes: ours %s, wabt %s\n", m.size(),
               ok ? "accepted" : ours.message().c_str(),
               theirs_ok ? "accepted" : theirs.message().c_str());
      }
    }
    printf("spec: %zu modules read, %zu valid on both, %" PRIu64 " rejected by both, %" PRIu64
           " known wabt gaps, %" PRIu64 " judged differently\n",
           all.size(), spec.size(), both_reject, gaps, disagree);
    if (spec.empty()) {
      fprintf(stderr, "wasm-diff: no valid module in the --spec-dir folders\n");
      return 2;
    }
  }
  printf("wasm-diff: seed %" PRIu64 ", items %" PRIu64 "..%" PRIu64 " of each generator\n",
         opt.seed, opt.from, opt.from + opt.count - 1);
  uint64_t mismatches = 0, compared = 0, skipped = 0;
  for (uint32_t g = 0; g < kGenCount; ++g) {
    if (!(opt.gens & (1u << g))) continue;
    Counters c = run_generator(static_cast<Gen>(g), opt, spec);
    mismatches += c.mismatches;
    compared += c.compared;
    skipped += c.skipped_total();
  }
  printf("differential: %" PRIu64 " modules compared, %" PRIu64 " skipped, %" PRIu64
         " mismatches (kept in %s)\n",
         compared, skipped, mismatches, opt.out.c_str());
  return mismatches ? 1 : 0;
}
