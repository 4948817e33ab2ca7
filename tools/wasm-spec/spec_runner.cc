// wasm-spec: runs WebAssembly specification test scripts (.wast) on the engine.
//
// Each .wast file is converted with wabt's wast2json into a temporary folder (JSON commands and
// .wasm modules); every command is then run against a fresh store with a fresh `spectest` module.
// Per file it prints passed / failed / skipped (with reasons) / not run, and at the end one line
// "N passed, N failed, N skipped". Exit status 0 only when nothing failed.
//
// --slices=1 | --slices=random runs every invocation in fuel slices (of 1, or random sizes),
// resuming each slice on a different thread, to test suspension.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <wasm/host.h>
#include <wasm/runtime.h>
#if WARDEN_SPEC_HAVE_WAT
#include <wat/module.h>
#endif

#include "../json.h"
#include "wast_rewrite.h"

using tools::Json;
using namespace wasm;

namespace {

enum class SliceMode { None, One, Random };

struct Options {
  SliceMode slices = SliceMode::None;
  bool verbose = false;
  std::string wast2json = "wast2json";
  std::string tmp;
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

struct Counts {
  long passed = 0, failed = 0, skipped = 0, not_run = 0;
  long pending_completed = 0;
  std::map<std::string, long> skip_reasons;
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

using Exports = std::map<std::string, Extern>;

HostStatus spectest_print(void*, HostCall&) { return HostStatus::Ok; }
// In the slice modes the print functions always answer Pending; the runner completes them later
// (on the other thread), which tests suspension at host calls.
HostStatus spectest_print_pending(void*, HostCall&) { return HostStatus::Pending; }

class FileRunner {
 public:
  FileRunner(const Options& opt, const std::string& dir, Counts& counts)
      : opt_(opt), dir_(dir), counts_(counts), store_(provider_) {}

  ~FileRunner() {
    for (Module* m : modules_) delete m;
  }

  bool setup_spectest() {
    Exports& s = registry_["spectest"];
    auto fn = [&](std::vector<ValType> params) {
      FuncType t;
      for (ValType v : params) MUST(t.types.try_push(v));
      t.param_count = static_cast<u32>(params.size());
      HostFunction fn = opt_.slices == SliceMode::None ? spectest_print : spectest_print_pending;
      return Extern::func(MUST(store_.create_host_function(t, fn, nullptr)));
    };
    s["print"] = fn({});
    s["print_i32"] = fn({ValType::I32});
    s["print_i64"] = fn({ValType::I64});
    s["print_f32"] = fn({ValType::F32});
    s["print_f64"] = fn({ValType::F64});
    s["print_i32_f32"] = fn({ValType::I32, ValType::F32});
    s["print_f64_f64"] = fn({ValType::F64, ValType::F64});
    s["global_i32"] = Extern::global(MUST(store_.create_global({ValType::I32, false}, 666)));
    s["global_i64"] = Extern::global(MUST(store_.create_global({ValType::I64, false}, 666)));
    float f = 666.6f;
    double d = 666.6;
    u32 fb;
    u64 db;
    memcpy(&fb, &f, 4);
    memcpy(&db, &d, 8);
    s["global_f32"] = Extern::global(MUST(store_.create_global({ValType::F32, false}, fb)));
    s["global_f64"] = Extern::global(MUST(store_.create_global({ValType::F64, false}, db)));
    TableType tt;
    tt.elem = ValType::FuncRef;
    tt.limits = {10, 20, true};
    s["table"] = Extern::table(MUST(store_.create_table(tt, 0)));
    MemoryType mt;
    mt.limits = {1, 2, true};
    s["memory"] = Extern::memory(MUST(store_.create_memory(mt)));
    return true;
  }

  void run(const Json& commands) {
    setup_spectest();
    for (const Json& c : commands.array) command(c);
  }

 private:
  void pass() { ++counts_.passed; }
  void fail(const Json& c, const std::string& why) {
    ++counts_.failed;
    if (opt_.verbose || fail_prints_ < 20) {
      fprintf(stdout, "    line %ld: %s: %s\n", c.num("line"), c.str("type").c_str(), why.c_str());
      ++fail_prints_;
    }
  }
  void skip(const std::string& reason) {
    ++counts_.skipped;
    ++counts_.skip_reasons[reason];
  }

  struct Loaded {
    Module* module = nullptr;
    CompileError error;
    bool ok = false;
  };
  Loaded load(const std::string& filename) {
    Loaded l;
    bool ok;
    std::string bytes = read_file(dir_ + "/" + filename, &ok);
    if (!ok) {
      l.error = {ErrorKind::Malformed, 0, "cannot read module file"};
      return l;
    }
    auto r =
        Module::compile(Span<const u8>(reinterpret_cast<const u8*>(bytes.data()), bytes.size()));
    if (r.is_error()) {
      l.error = r.error();
      return l;
    }
    l.module = r.value();
    modules_.push_back(l.module);
    l.ok = true;
    return l;
  }

  // Resolves imports; returns false with `why` if some import is missing.
  bool resolve(const Module& m, std::vector<Extern>& out, std::string& why) {
    for (const Import& im : m.imports) {
      std::string mod(m.name_of(im.module).data(), m.name_of(im.module).size());
      std::string name(m.name_of(im.name).data(), m.name_of(im.name).size());
      auto it = registry_.find(mod);
      if (it == registry_.end()) {
        why = "unknown import module " + mod;
        return false;
      }
      auto e = it->second.find(name);
      if (e == it->second.end()) {
        why = "unknown import " + mod + "." + name;
        return false;
      }
      out.push_back(e->second);
    }
    return true;
  }

  // Runs an execution to completion (in slices if asked).
  RunStatus drive(Execution& ex) {
    if (opt_.slices == SliceMode::None) {
      RunStatus s;
      do s = ex.run(1000000000);
      while (s == RunStatus::OutOfFuel);
      return s;
    }
    if (!pair_) pair_ = std::make_unique<ThreadPair>();
    RunStatus s = RunStatus::OutOfFuel;
    int k = 0;
    std::function<void()> step = [&] {
      if (s == RunStatus::HostPending) {
        ++pending_completed_;
        ex.complete_host_call(HostStatus::Ok);
      }
      i64 fuel = opt_.slices == SliceMode::One ? 1 : static_cast<i64>(rng_() % 50) + 1;
      s = ex.run(fuel);
    };
    do {
      pair_->run_on(k, step);
      k ^= 1;
    } while (s == RunStatus::OutOfFuel || s == RunStatus::HostPending);
    return s;
  }

  struct Instantiated {
    Instance* instance = nullptr;
    enum { Ok, CompileFailed, Unlinkable, Trap } status = Ok;
    std::string why;
    TrapKind trap = TrapKind::None;
  };
  Instantiated instantiate(const Loaded& l) {
    Instantiated r;
    std::vector<Extern> imports;
    if (!resolve(*l.module, imports, r.why)) {
      r.status = Instantiated::Unlinkable;
      return r;
    }
    auto inst = store_.instantiate(*l.module, Span<const Extern>(imports.data(), imports.size()));
    if (inst.is_error()) {
      InstantiateError e = inst.error();
      r.why = e.message;
      r.trap = e.trap;
      r.status =
          e.kind == InstantiateError::Kind::Trap ? Instantiated::Trap : Instantiated::Unlinkable;
      return r;
    }
    r.instance = inst.value();
    if (FuncInst* start = store_.start_function(r.instance)) {
      Execution ex(store_);
      MUST(ex.start(start, {}));
      RunStatus s = drive(ex);
      if (s != RunStatus::Done) {
        r.status = Instantiated::Trap;
        r.trap = ex.trap();
        r.why = s == RunStatus::Trap ? trap_message(ex.trap()) : run_status_name(s);
        r.instance = nullptr;
      }
    }
    return r;
  }

  Instance* target(const Json& action) {
    std::string name = action.str("module");
    if (name.empty()) return current_;
    auto it = named_.find(name);
    return it == named_.end() ? nullptr : it->second;
  }

  static bool parse_value(const Json& v, u64& bits) {
    std::string type = v.str("type");
    std::string s = v.str("value");
    if (type == "externref" || type == "funcref") {
      if (s == "null") {
        bits = 0;
        return true;
      }
      bits = std::stoull(s) + 1;  // ref.extern N is N+1: 0 is null
      return true;
    }
    if (s.empty()) return false;
    bits = std::stoull(s);
    return true;
  }

  struct ActionResult {
    bool ok = false;  // the action could be performed (export found)
    RunStatus status = RunStatus::Done;
    TrapKind trap = TrapKind::None;
    std::vector<u64> values;
    std::vector<ValType> types;
    std::string why;
  };
  ActionResult act(const Json& action) {
    ActionResult r;
    Instance* inst = target(action);
    if (inst == nullptr) {
      r.why = "no module";
      return r;
    }
    std::string field = action.str("field");
    Extern e = inst->find_export(support::StringView(field.data(), field.size()));
    if (e.ptr == nullptr) {
      r.why = "unknown export " + field;
      return r;
    }
    if (action.str("type") == "get") {
      if (e.kind != ExternKind::Global) {
        r.why = "not a global";
        return r;
      }
      Global* g = static_cast<Global*>(e.ptr);
      r.ok = true;
      r.values.push_back(g->value);
      r.types.push_back(g->type.type);
      return r;
    }
    if (e.kind != ExternKind::Func) {
      r.why = "not a function";
      return r;
    }
    FuncInst* f = static_cast<FuncInst*>(e.ptr);
    std::vector<u64> args;
    if (const Json* a = action.get("args")) {
      for (const Json& v : a->array) {
        u64 bits;
        if (!parse_value(v, bits)) {
          r.why = "unsupported argument type " + v.str("type");
          return r;
        }
        args.push_back(bits);
      }
    }
    if (args.size() != f->type->param_count) {
      r.why = "argument count";
      return r;
    }
    Execution ex(store_);
    MUST(ex.start(f, Span<const u64>(args.data(), args.size())));
    r.ok = true;
    r.status = drive(ex);
    if (r.status == RunStatus::Trap) r.trap = ex.trap();
    if (r.status == RunStatus::Done) {
      for (u32 i = 0; i < f->type->result_count; ++i) {
        r.values.push_back(ex.results()[i]);
        r.types.push_back(f->type->results()[i]);
      }
    }
    return r;
  }

  static bool match(const Json& expected, ValType type, u64 bits, std::string& why) {
    std::string t = expected.str("type");
    std::string v = expected.str("value");
    char buf[128];
    auto mismatch = [&](const char* fmt, unsigned long long a) {
      snprintf(buf, sizeof buf, fmt, a);
      why = buf;
      return false;
    };
    if (t == "i32") {
      if (type != ValType::I32) return mismatch("type %llu", 0);
      if (static_cast<u32>(bits) != static_cast<u32>(std::stoull(v)))
        return mismatch("got i32 %llu", static_cast<u32>(bits));
      return true;
    }
    if (t == "i64") {
      if (type != ValType::I64) return mismatch("type %llu", 0);
      if (bits != std::stoull(v)) return mismatch("got i64 %llu", bits);
      return true;
    }
    if (t == "f32") {
      if (type != ValType::F32) return mismatch("type %llu", 0);
      u32 b = static_cast<u32>(bits);
      if (v == "nan:canonical")
        return (b & 0x7fffffffu) == 0x7fc00000u || mismatch("got f32 bits %llx", b);
      if (v == "nan:arithmetic")
        return ((b & 0x7fc00000u) == 0x7fc00000u) || mismatch("got f32 bits %llx", b);
      if (b != static_cast<u32>(std::stoull(v))) return mismatch("got f32 bits %llx", b);
      return true;
    }
    if (t == "f64") {
      if (type != ValType::F64) return mismatch("type %llu", 0);
      if (v == "nan:canonical")
        return (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull ||
               mismatch("got f64 bits %llx", bits);
      if (v == "nan:arithmetic")
        return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull ||
               mismatch("got f64 bits %llx", bits);
      if (bits != std::stoull(v)) return mismatch("got f64 bits %llx", bits);
      return true;
    }
    if (t == "externref" || t == "funcref") {
      ValType want = t == "externref" ? ValType::ExternRef : ValType::FuncRef;
      if (type != want) return mismatch("reference type %llu", 0);
      if (v == "null") return bits == 0 || mismatch("got non-null %llx", bits);
      if (v.empty()) return bits != 0 || mismatch("got null %llu", 0);
      if (t == "externref")
        return bits == std::stoull(v) + 1 || mismatch("got externref %llu", bits - 1);
      return bits != 0 || mismatch("got null %llu", 0);
    }
    why = "unsupported expected type " + t;
    return false;
  }

  static bool trap_matches(TrapKind got, const std::string& text) {
    std::string mine = trap_message(got);
    if (text.rfind(mine, 0) == 0) return true;
    // Messages the suite uses for the same trap.
    if (got == TrapKind::UndefinedElement && text.rfind("uninitialized element", 0) == 0)
      return false;
    if (got == TrapKind::TableOutOfBounds && text == "undefined element") return true;
    if (got == TrapKind::MemoryOutOfBounds && text.find("out of bounds") != std::string::npos)
      return true;
    return false;
  }

#if WARDEN_SPEC_HAVE_WAT
  // A text-format assertion, decided by the project's text reader (lib/wat) and then the engine:
  // assert_malformed passes when the text is rejected as text, or encodes to a module the
  // decoder finds malformed; assert_invalid passes when it encodes and fails validation.
  void text_assertion(const Json& c, const std::string& type) {
    bool ok;
    std::string text = read_file(dir_ + "/" + c.str("filename"), &ok);
    if (!ok) {
      fail(c, "cannot read the text module");
      return;
    }
    auto encoded = wat::encode_module(support::StringView(text.data(), text.size()));
    bool want_malformed = type == "assert_malformed";
    if (encoded.is_error()) {
      if (want_malformed)
        pass();
      else
        fail(c, std::string("text reader rejected it: ") + wat::error_name(encoded.error().code));
      return;
    }
    const support::Vector<u8>& bytes = encoded.value();
    auto r = Module::compile(Span<const u8>(bytes.data(), bytes.size()));
    if (r.is_ok()) {
      delete r.value();
      fail(c, "module was accepted");
      return;
    }
    bool got_malformed =
        r.error().kind == ErrorKind::Malformed || r.error().kind == ErrorKind::Limit;
    if (want_malformed != got_malformed) {
      fail(c, std::string("rejected as ") + error_kind_name(r.error().kind) + " (" +
                  r.error().message + "), expected \"" + c.str("text") + "\"");
      return;
    }
    pass();
  }
#endif

  void command(const Json& c) {
    std::string type = c.str("type");
    if (type == "module") {
      Loaded l = load(c.str("filename"));
      current_ = nullptr;
      module_failed_ = true;
      if (!l.ok) {
        fprintf(stdout, "    line %ld: module failed to load: %s at offset %u: %s\n", c.num("line"),
                error_kind_name(l.error.kind), l.error.offset, l.error.message);
        return;
      }
      Instantiated in = instantiate(l);
      if (in.status != Instantiated::Ok) {
        fprintf(stdout, "    line %ld: module failed to instantiate: %s\n", c.num("line"),
                in.why.c_str());
        return;
      }
      module_failed_ = false;
      current_ = in.instance;
      std::string name = c.str("name");
      if (!name.empty()) named_[name] = current_;
      return;
    }
    if (type == "register") {
      std::string name = c.str("name");
      Instance* inst = name.empty() ? current_ : (named_.count(name) ? named_[name] : nullptr);
      if (inst == nullptr) return;
      Exports& ex = registry_[c.str("as")];
      for (const Export& e : inst->module->exports) {
        support::StringView n = inst->module->name_of(e.name);
        ex[std::string(n.data(), n.size())] = inst->find_export(n);
      }
      return;
    }
    if (type == "action") {
      if (target(*c.get("action")) != nullptr) act(*c.get("action"));
      return;
    }
    // Everything else is an assertion.
    if (type == "assert_malformed" || type == "assert_invalid") {
      if (c.str("module_type") == "text") {
#if WARDEN_SPEC_HAVE_WAT
        text_assertion(c, type);
#else
        skip("text format");
#endif
        return;
      }
      Loaded l = load(c.str("filename"));
      if (l.ok) {
        fail(c, "module was accepted");
        return;
      }
      if (l.error.kind == ErrorKind::NoMemory) {
        fail(c, "out of memory");
        return;
      }
      bool want_malformed = type == "assert_malformed";
      bool got_malformed = l.error.kind == ErrorKind::Malformed || l.error.kind == ErrorKind::Limit;
      if (want_malformed != got_malformed) {
        fail(c, std::string("rejected as ") + error_kind_name(l.error.kind) + " (" +
                    l.error.message + "), expected \"" + c.str("text") + "\"");
        return;
      }
      pass();
      return;
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      Loaded l = load(c.str("filename"));
      if (!l.ok) {
        fail(c, std::string("module failed to compile: ") + l.error.message);
        return;
      }
      Instantiated in = instantiate(l);
      if (type == "assert_unlinkable") {
        if (in.status == Instantiated::Unlinkable)
          pass();
        else
          fail(c, "module linked");
      } else {
        if (in.status == Instantiated::Trap && trap_matches(in.trap, c.str("text")))
          pass();
        else
          fail(c, "expected trap \"" + c.str("text") + "\", got " + in.why);
      }
      return;
    }
    if (type == "assert_return" || type == "assert_trap" || type == "assert_exhaustion") {
      const Json* action = c.get("action");
      if (action == nullptr) {
        fail(c, "no action");
        return;
      }
      if (module_failed_ && action->str("module").empty()) {
        ++counts_.not_run;
        ++counts_.failed;
        return;
      }
      ActionResult r = act(*action);
      if (!r.ok) {
        fail(c, r.why);
        return;
      }
      if (type == "assert_return") {
        if (r.status != RunStatus::Done) {
          fail(c, std::string("stopped: ") + run_status_name(r.status) +
                      (r.status == RunStatus::Trap ? std::string(" ") + trap_message(r.trap) : ""));
          return;
        }
        const Json* expected = c.get("expected");
        size_t n = expected ? expected->array.size() : 0;
        if (n != r.values.size()) {
          fail(c, "result count");
          return;
        }
        for (size_t i = 0; i < n; ++i) {
          std::string why;
          if (!match(expected->array[i], r.types[i], r.values[i], why)) {
            fail(c, "result " + std::to_string(i) + ": " + why + " expected " +
                        expected->array[i].str("value"));
            return;
          }
        }
        pass();
        return;
      }
      if (type == "assert_trap") {
        if (r.status == RunStatus::Trap && trap_matches(r.trap, c.str("text")))
          pass();
        else
          fail(c, "expected trap \"" + c.str("text") + "\", got " + run_status_name(r.status) +
                      (r.status == RunStatus::Trap ? std::string(" ") + trap_message(r.trap) : ""));
        return;
      }
      if (r.status == RunStatus::Trap && r.trap == TrapKind::StackExhausted)
        pass();
      else
        fail(c, std::string("expected exhaustion, got ") + run_status_name(r.status));
      return;
    }
    fail(c, "unknown command " + type);
  }

  const Options& opt_;
  std::string dir_;
  Counts& counts_;
  MmapMemoryProvider provider_;
  Store store_;
  std::vector<Module*> modules_;
  std::map<std::string, Exports> registry_;
  std::map<std::string, Instance*> named_;
  Instance* current_ = nullptr;
  bool module_failed_ = false;
  int fail_prints_ = 0;
  std::unique_ptr<ThreadPair> pair_;
  std::mt19937_64 rng_{12345};

 public:
  long pending_completed_ = 0;
};

// Counts the assertion commands in a .wast text (for files wast2json cannot convert).
long count_assertions(const std::string& text) {
  long n = 0;
  size_t pos = 0;
  while ((pos = text.find("(assert_", pos)) != std::string::npos) {
    // Skip ones inside line comments.
    size_t line_start = text.rfind('\n', pos);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    if (text.substr(line_start, pos - line_start).find(";;") == std::string::npos) ++n;
    pos += 8;
  }
  return n;
}

int run_file(const Options& opt, const std::string& path, Counts& total) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  std::string stem = base.substr(0, base.rfind('.'));
  std::string dir = opt.tmp + "/" + stem;
  mkdir(dir.c_str(), 0755);
  std::string json = dir + "/" + stem + ".json";
  std::string cmd =
      opt.wast2json + " --enable-all '" + path + "' -o '" + json + "' >/dev/null 2>&1";
  Counts counts;
  bool ok = std::system(cmd.c_str()) == 0;
  if (!ok) {
    // wabt's parser has gaps (see docs/engine.md): retry on a semantics-preserving rewrite.
    bool rd;
    std::string rewritten = tools::rewrite_wast(read_file(path, &rd));
    std::string alt = dir + "/" + stem + ".rewritten.wast";
    std::ofstream(alt, std::ios::binary) << rewritten;
    std::string cmd2 =
        opt.wast2json + " --enable-all '" + alt + "' -o '" + json + "' >/dev/null 2>&1";
    ok = rd && std::system(cmd2.c_str()) == 0;
    if (ok)
      printf("%-28s (converted after rewriting around wast2json parser gaps)\n", base.c_str());
  }
  std::string text;
  if (ok) text = read_file(json, &ok);
  if (!ok) {
    bool rd;
    long n = count_assertions(read_file(path, &rd));
    counts.not_run = n;
    counts.failed = n;
    printf("%-28s not converted by wast2json: %ld not run\n", base.c_str(), n);
  } else {
    Json j;
    std::string err;
    if (!Json::parse(text, j, err) || !j.get("commands")) {
      printf("%-28s bad JSON: %s\n", base.c_str(), err.c_str());
      counts.failed = 1;
    } else {
      FileRunner runner(opt, dir, counts);
      runner.run(*j.get("commands"));
      total.pending_completed += runner.pending_completed_;
      std::string reasons;
      for (auto& [r, n] : counts.skip_reasons)
        reasons += (reasons.empty() ? " (" : ", ") + r + ": " + std::to_string(n);
      if (!reasons.empty()) reasons += ")";
      printf("%-28s %ld passed, %ld failed, %ld skipped%s, %ld not run\n", base.c_str(),
             counts.passed, counts.failed - counts.not_run, counts.skipped, reasons.c_str(),
             counts.not_run);
    }
  }
  fflush(stdout);
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  total.not_run += counts.not_run;
  for (auto& [r, n] : counts.skip_reasons) total.skip_reasons[r] += n;
  std::string rm = "rm -rf '" + dir + "'";
  if (std::system(rm.c_str()) != 0) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string suite;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--suite" && i + 1 < argc)
      suite = argv[++i];
    else if (a == "--slices=1")
      opt.slices = SliceMode::One;
    else if (a == "--slices=random")
      opt.slices = SliceMode::Random;
    else if (a == "-v" || a == "--verbose")
      opt.verbose = true;
    else if (a == "--wast2json" && i + 1 < argc)
      opt.wast2json = argv[++i];
    else if (a == "-h" || a == "--help") {
      printf("usage: wasm-spec [--suite DIR] [--slices=1|random] [-v] [FILE.wast...]\n");
      return 0;
    } else
      files.push_back(a);
  }
  if (files.empty()) {
    if (suite.empty()) {
      fprintf(stderr, "wasm-spec: no --suite folder and no files given\n");
      return 2;
    }
    DIR* d = opendir(suite.c_str());
    if (d == nullptr) {
      fprintf(stderr, "wasm-spec: suite folder %s is absent\n", suite.c_str());
      return 2;
    }
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.substr(n.size() - 5) == ".wast") files.push_back(suite + "/" + n);
    }
    closedir(d);
    std::sort(files.begin(), files.end());
  }
  char tmpl[] = "/tmp/wasm-spec.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    perror("mkdtemp");
    return 2;
  }
  opt.tmp = tmpl;
  Counts total;
  for (const std::string& f : files) run_file(opt, f, total);
  std::string rm = "rm -rf '" + opt.tmp + "'";
  if (std::system(rm.c_str()) != 0) return 2;
  printf("%zu files, %ld assertions: %ld passed, %ld failed (%ld of them not run), %ld skipped\n",
         files.size(), total.passed + total.failed + total.skipped, total.passed, total.failed,
         total.not_run, total.skipped);
  for (auto& [r, n] : total.skip_reasons) printf("skipped %ld: %s\n", n, r.c_str());
  if (opt.slices != SliceMode::None)
    printf("suspension: %ld pending host calls completed on another thread\n",
           total.pending_completed);
  printf("%ld passed, %ld failed, %ld skipped\n", total.passed, total.failed, total.skipped);
  return total.failed == 0 ? 0 : 1;
}
