// Semantics-preserving rewrites of .wast text for converters with parser gaps (wabt 1.0.32):
// comments become whitespace, `table.get/set/size/grow/fill` get their default table index 0,
// and a folded `if` with several condition expressions has them moved in front of it.
// Only used for files the converter rejects as they are; see docs/engine.md.
#pragma once

#include <string>

namespace tools {
std::string rewrite_wast(const std::string& text);
}
