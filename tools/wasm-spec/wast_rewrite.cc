#include "wast_rewrite.h"

#include <memory>
#include <vector>

namespace tools {

namespace {

std::string strip_comments(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      out.append(s, i, j + 1 - i);
      i = j + 1;
      continue;
    }
    if (c == ';' && i + 1 < s.size() && s[i + 1] == ';') {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') {
        out += ' ';
        ++i;
      }
      continue;
    }
    if (c == '(' && i + 1 < s.size() && s[i + 1] == ';') {
      int depth = 0;
      while (i < s.size()) {
        if (s[i] == '(' && i + 1 < s.size() && s[i + 1] == ';') {
          ++depth;
          out += "  ";
          i += 2;
        } else if (s[i] == ';' && i + 1 < s.size() && s[i + 1] == ')') {
          --depth;
          out += "  ";
          i += 2;
          if (depth == 0) break;
        } else {
          out += s[i] == '\n' ? '\n' : ' ';
          ++i;
        }
      }
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

struct Node {
  bool list = false;
  std::string atom;
  std::vector<Node> kids;
};

bool parse(const std::string& s, size_t& i, std::vector<Node>& out) {
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == ')') return true;
    if (c == '(') {
      ++i;
      Node n;
      n.list = true;
      if (!parse(s, i, n.kids)) return false;
      if (i >= s.size()) return false;
      ++i;  // ')'
      out.push_back(std::move(n));
      continue;
    }
    Node n;
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      n.atom = s.substr(i, j + 1 - i);
      i = j + 1;
    } else {
      size_t j = i;
      while (j < s.size() && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' && s[j] != '\r' &&
             s[j] != '(' && s[j] != ')' && s[j] != '"')
        ++j;
      n.atom = s.substr(i, j - i);
      i = j;
    }
    out.push_back(std::move(n));
  }
  return true;
}

bool head_is(const Node& n, const char* word) {
  return n.list && !n.kids.empty() && !n.kids[0].list && n.kids[0].atom == word;
}

bool is_table_op(const Node& n) {
  if (n.list) return false;
  return n.atom == "table.get" || n.atom == "table.set" || n.atom == "table.size" ||
         n.atom == "table.grow" || n.atom == "table.fill";
}

std::vector<Node> transform(std::vector<Node> kids);

Node transform_node(Node n) {
  if (n.list) n.kids = transform(std::move(n.kids));
  return n;
}

std::vector<Node> transform(std::vector<Node> kids) {
  std::vector<Node> out;
  for (size_t k = 0; k < kids.size(); ++k) {
    Node n = transform_node(std::move(kids[k]));
    if (is_table_op(n)) {
      out.push_back(n);
      bool has_index = k + 1 < kids.size() && !kids[k + 1].list &&
                       (kids[k + 1].atom[0] == '$' ||
                        (kids[k + 1].atom[0] >= '0' && kids[k + 1].atom[0] <= '9'));
      if (!has_index) out.push_back(Node{false, "0", {}});
      continue;
    }
    if (head_is(n, "if")) {
      size_t i = 1;
      if (i < n.kids.size() && !n.kids[i].list && n.kids[i].atom[0] == '$') ++i;
      while (i < n.kids.size() && (head_is(n.kids[i], "type") || head_is(n.kids[i], "param") ||
                                   head_is(n.kids[i], "result")))
        ++i;
      size_t then = i;
      while (then < n.kids.size() && !head_is(n.kids[then], "then")) ++then;
      if (then < n.kids.size() && then - i >= 2) {
        for (size_t c = i; c < then; ++c) out.push_back(n.kids[c]);
        n.kids.erase(n.kids.begin() + static_cast<long>(i),
                     n.kids.begin() + static_cast<long>(then));
      }
    }
    out.push_back(std::move(n));
  }
  return out;
}

void print(const Node& n, std::string& out, int depth) {
  if (!n.list) {
    out += n.atom;
    return;
  }
  out += '(';
  for (size_t k = 0; k < n.kids.size(); ++k) {
    if (k) out += ' ';
    print(n.kids[k], out, depth + 1);
  }
  out += ')';
  if (depth == 0) out += '\n';
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The text of a string literal token, escapes resolved.
std::string unquote(const std::string& tok) {
  std::string out;
  for (size_t i = 1; i + 1 < tok.size(); ++i) {
    if (tok[i] != '\\') {
      out += tok[i];
      continue;
    }
    char e = tok[++i];
    if (e == 'n')
      out += '\n';
    else if (e == 't')
      out += '\t';
    else if (e == 'r')
      out += '\r';
    else if (e == '"' || e == '\'' || e == '\\')
      out += e;
    else if (hex(e) >= 0 && i + 1 < tok.size() && hex(tok[i + 1]) >= 0) {
      out += static_cast<char>(hex(e) * 16 + hex(tok[i + 1]));
      ++i;
    } else {
      out += '\\';
      out += e;
    }
  }
  return out;
}

}  // namespace

std::string rewrite_wast(const std::string& text) {
  std::string s = strip_comments(text);
  std::vector<Node> top;
  size_t i = 0;
  if (!parse(s, i, top)) return s;
  // A top-level `(module [$name] quote "..."*)` becomes the module text itself (text inside
  // assertions stays quoted: those are decided by a text parser or skipped).
  for (Node& n : top) {
    if (!head_is(n, "module")) continue;
    size_t q = 1;
    if (q < n.kids.size() && !n.kids[q].list && n.kids[q].atom[0] == '$') ++q;
    if (q >= n.kids.size() || n.kids[q].list || n.kids[q].atom != "quote") continue;
    std::string body;
    for (size_t k = q + 1; k < n.kids.size(); ++k)
      if (!n.kids[k].list) body += unquote(n.kids[k].atom);
    std::vector<Node> inner;
    size_t j = 0;
    std::string clean = strip_comments(body);
    if (!parse(clean, j, inner)) continue;
    n.kids.erase(n.kids.begin() + static_cast<long>(q), n.kids.end());
    for (Node& k : inner) n.kids.push_back(std::move(k));
  }
  top = transform(std::move(top));
  std::string out;
  for (const Node& n : top) print(n, out, 0);
  return out;
}

}  // namespace tools
