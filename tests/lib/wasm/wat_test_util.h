// Helpers for the engine's tests that write their modules as text (lib/wat): one module's
// binary, and the modules of the specification suite.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <wat/module.h>
#include <wat/script.h>

#include "wasm_test_util.h"

namespace wasm_test {

// The binary of the module text `t`; empty, and a test failure that quotes the text, when it
// does not assemble.
inline Bytes text(const std::string& t) {
  auto r = wat::encode_module(support::StringView(t.data(), t.size()));
  EXPECT_TRUE(r.is_ok()) << t.substr(0, 200);
  if (r.is_error()) return {};
  return Bytes(r.value().data(), r.value().data() + r.value().size());
}

// A module command of a specification script: its binary (valid, malformed or invalid alike),
// what the command does with it, and where it stands ("file.wast:line").
struct SuiteModule {
  Bytes bytes;
  wat::CommandKind kind;
  std::string where;
};

// Every module command of the scripts (*.wast) in folder `dir`, files in name order, commands
// in script order; scripts that do not parse and commands without a binary are passed over.
// nullopt when the folder is absent.
inline std::optional<std::vector<SuiteModule>> suite_modules(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.ends_with(".wast")) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<SuiteModule> modules;
  for (const std::string& name : names) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::string t((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto script = wat::read_script(support::StringView(t.data(), t.size()));
    if (script.is_error()) continue;
    for (const wat::Command& c : script.value().commands) {
      if (!c.module.ok || c.module.bytes.size() == 0) continue;
      const u8* bytes = c.module.bytes.data();
      modules.push_back({Bytes(bytes, bytes + c.module.bytes.size()), c.kind,
                         name + ":" + std::to_string(c.location.line)});
    }
  }
  return modules;
}

}  // namespace wasm_test
