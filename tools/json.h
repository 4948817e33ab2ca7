// A small JSON reader for the hosted tools (wast2json output). Not for the kernel.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tools {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json* get(const std::string& key) const {
    auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
  }
  std::string str(const std::string& key, const std::string& fallback = "") const {
    const Json* j = get(key);
    return j && j->kind == Kind::String ? j->string : fallback;
  }
  long num(const std::string& key, long fallback = 0) const {
    const Json* j = get(key);
    return j && j->kind == Kind::Number ? static_cast<long>(j->number) : fallback;
  }

  static bool parse(const std::string& text, Json& out, std::string& error);
};

}  // namespace tools
