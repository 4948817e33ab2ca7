#include "binaryen.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "random.h"

extern char** environ;

namespace wasm_diff {

namespace {

// WebAssembly 2.0 without reference types: binaryen 108 types reference values with its own
// hierarchy (funcref below externref), which makes most modules it generates with them invalid.
// (For --denan, reference types are enabled: the input is valid 2.0.) Not relaxed SIMD (docs/
// engine.md: wabt 1.0.32's interpreter picks other results than this engine where the set is
// free).
const char* const kFeatures[] = {"--enable-sign-ext",        "--enable-nontrapping-float-to-int",
                                 "--enable-bulk-memory",     "--enable-multivalue",
                                 "--enable-mutable-globals", "--enable-simd"};

bool write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(f);
}

// Runs wasm-opt with `args` (stdout and stderr discarded) and reads `out_path`.
bool wasm_opt(std::vector<std::string> args, const std::string& out_path, Bytes& out) {
  args.insert(args.begin(), "wasm-opt");
  for (const char* f : kFeatures) args.push_back(f);
  args.push_back("-o");
  args.push_back(out_path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  unlink(out_path.c_str());
  pid_t pid;
  int rc = posix_spawnp(&pid, "wasm-opt", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return false;
  std::ifstream f(out_path, std::ios::binary);
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !out.empty();
}

}  // namespace

bool generate_ttf_module(uint64_t seed, const std::string& work_dir, Bytes& out, std::string& why) {
  Rng rng(seed);
  std::string in_path = work_dir + "/ttf-seed.bin";
  std::vector<uint8_t> bytes(500 + rng.below(7500));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.next());
  if (!write_file(in_path, bytes.data(), bytes.size())) {
    why = "cannot write " + in_path;
    return false;
  }
  std::vector<std::string> args = {"-ttf", in_path};
  // Without its imports a module's logging calls become drops of their arguments: a `drop` after
  // every kind of value, which the translator must handle (the drop bug of issue 12 showed in
  // 5 % of such modules).
  if (rng.chance(50)) args.push_back("--remove-imports");
  uint32_t r = rng.below(100);
  if (r < 25)
    args.push_back("-O2");
  else if (r < 35)
    args.push_back("-O3");
  else if (r < 45)
    args.push_back("-Oz");
  if (!wasm_opt(args, work_dir + "/ttf.wasm", out)) {
    why = "wasm-opt failed";
    return false;
  }
  return true;
}

bool denan_module(const Bytes& in, const std::string& work_dir, Bytes& out) {
  std::string in_path = work_dir + "/denan-in.wasm";
  if (!write_file(in_path, in.data(), in.size())) return false;
  return wasm_opt({in_path, "--denan", "--enable-reference-types"}, work_dir + "/denan.wasm", out);
}

}  // namespace wasm_diff
