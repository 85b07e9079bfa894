#include "engine/topology/yaml_document.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace crosslink::topology {

namespace {

constexpr int kMaxDepth = 64;
constexpr std::string_view kCoreTag = "tag:yaml.org,2002:";

bool IsDigits(std::string_view s, bool (*ok)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}
bool IsDec(char c) { return c >= '0' && c <= '9'; }
bool IsOct(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return IsDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::optional<Value> ResolveNull(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value(nullptr);
  return std::nullopt;
}

std::optional<Value> ResolveBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  return std::nullopt;
}

std::optional<Value> ResolveInt(std::string_view s) {
  int base = 10;
  std::string_view digits = s;
  bool negative = false;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o') {
    base = 8;
    digits = s.substr(2);
    if (!IsDigits(digits, IsOct)) return std::nullopt;
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'x') {
    base = 16;
    digits = s.substr(2);
    if (!IsDigits(digits, IsHex)) return std::nullopt;
  } else {
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits = digits.substr(1);
    }
    if (!IsDigits(digits, IsDec)) return std::nullopt;
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec == std::errc() && end == digits.data() + digits.size()) {
    if (!negative && magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Value(static_cast<int64_t>(magnitude));
    }
    if (negative && magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return Value(static_cast<int64_t>(0 - magnitude));
    }
  }
  // Too large for 64 bits: still a number, as a double.
  double d = 0;
  for (char c : digits) d = d * base + (IsDec(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  return Value(negative ? -d : d);
}

std::optional<Value> ResolveFloat(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body = body.substr(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return Value(negative ? -inf : inf);
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return Value(std::numeric_limits<double>::quiet_NaN());
  }
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t i = 0;
  size_t int_digits = 0;
  while (i < body.size() && IsDec(body[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  bool dot = false;
  if (i < body.size() && body[i] == '.') {
    dot = true;
    ++i;
    while (i < body.size() && IsDec(body[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (int_digits == 0 && !dot) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < body.size() && IsDec(body[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data() + (s.size() - body.size()), s.data() + s.size(), d);
  if (ec == std::errc::result_out_of_range) {
    d = std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return Value(negative ? -d : d);
}

// YAML 1.2 core schema resolution of a plain scalar.
Value ResolvePlain(std::string_view s) {
  if (auto v = ResolveNull(s)) return *v;
  if (auto v = ResolveBool(s)) return *v;
  if (auto v = ResolveInt(s)) return *v;
  if (auto v = ResolveFloat(s)) return *v;
  return Value(std::string(s));
}

std::string SyntaxHint(const std::string& message, std::string_view line_text) {
  bool tab_indent = false;
  for (char c : line_text) {
    if (c == '\t') tab_indent = true;
    if (c != ' ' && c != '\t') break;
  }
  if (tab_indent) return "YAML indentation must use spaces, not tabs";
  if (message == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
    return "a '[' list is not closed; add the missing ']'";
  }
  if (message == YAML::ErrorMsg::END_OF_MAP_FLOW) {
    return "a '{' mapping is not closed; add the missing '}'";
  }
  if (message == YAML::ErrorMsg::EOF_IN_SCALAR) {
    return "a quoted string is not closed; add the missing quote";
  }
  if (message == YAML::ErrorMsg::MAP_VALUE) {
    return "a \"key: value\" is not allowed here; check the indentation of this line and the one "
           "above";
  }
  if (message == YAML::ErrorMsg::BLOCK_ENTRY) {
    return "a \"- \" list item is not allowed here; check the indentation of this line";
  }
  if (message == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
    return "define the anchor (&name) before using it (*name)";
  }
  return "check the indentation and quoting at this position";
}

std::string_view LineAt(std::string_view text, int zero_based_line) {
  size_t start = 0;
  for (int i = 0; i < zero_based_line; ++i) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

std::string AppendPointer(const std::string& pointer, std::string_view token) {
  std::string out = pointer;
  out.reserve(pointer.size() + token.size() + 1);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string AppendPointer(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

std::vector<std::string> SplitPointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < pointer.size()) {
    // pointer[i] == '/'
    size_t next = pointer.find('/', i + 1);
    std::string_view raw(pointer.data() + i + 1,
                         (next == std::string::npos ? pointer.size() : next) - i - 1);
    std::string token;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '~' && k + 1 < raw.size()) {
        token += raw[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        token += raw[k];
      }
    }
    tokens.push_back(std::move(token));
    if (next == std::string::npos) break;
    i = next;
  }
  return tokens;
}

std::string ParentPointer(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  if (slash == std::string::npos) return "";
  return pointer.substr(0, slash);
}

const Value* YamlDocument::Find(const std::string& pointer) const {
  const Value* v = &root_;
  for (const std::string& token : SplitPointer(pointer)) {
    if (v->is_object()) {
      auto it = v->find(token);
      if (it == v->end()) return nullptr;
      v = &*it;
    } else if (v->is_array()) {
      size_t index = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || end != token.data() + token.size() || index >= v->size()) {
        return nullptr;
      }
      v = &(*v)[index];
    } else {
      return nullptr;
    }
  }
  return v;
}

bool YamlDocument::ReplaceString(const std::string& pointer, std::string value) {
  Value* v = const_cast<Value*>(Find(pointer));  // Find only reads; root_ is ours to change
  if (v == nullptr || !v->is_string()) return false;
  *v = std::move(value);
  return true;
}

SourceLocation YamlDocument::ValueLocation(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = locations_.find(p);
    if (it != locations_.end()) {
      if (it->second.value.known()) return it->second.value;
      if (it->second.key.known()) return it->second.key;
    }
    if (p.empty()) break;
    p = ParentPointer(p);
  }
  return SourceLocation{file_, 0, 0};
}

SourceLocation YamlDocument::KeyLocation(const std::string& pointer) const {
  auto it = locations_.find(pointer);
  if (it != locations_.end() && it->second.key.known()) return it->second.key;
  return ValueLocation(pointer);
}

std::string YamlDocument::FieldPath(const std::string& pointer) const {
  std::string path;
  const Value* v = &root_;
  for (const std::string& token : SplitPointer(pointer)) {
    if (v != nullptr && v->is_array()) {
      path += "[" + token + "]";
      size_t index = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      v = (ec == std::errc() && index < v->size()) ? &(*v)[index] : nullptr;
      continue;
    }
    if (!path.empty()) path += ".";
    path += token;
    if (v != nullptr && v->is_object()) {
      auto it = v->find(token);
      v = it == v->end() ? nullptr : &*it;
    } else {
      v = nullptr;
    }
  }
  return path;
}

// Walks a yaml-cpp node tree, building the Value and the location index.
class YamlConverter {
 public:
  YamlConverter(YamlDocument* doc, Diagnostics* diags, size_t max_values)
      : doc_(doc), diags_(diags), max_values_(max_values) {}

  Value Convert(const YAML::Node& node, const std::string& pointer, int depth) {
    // Aliases (*name) are expanded: a few lines of anchors could otherwise
    // expand to billions of values.
    if (++nodes_ > max_values_) {
      if (nodes_ == max_values_ + 1) {
        diags_->Error(Loc(node.Mark()), "", "the file expands to too many values",
                      "check the use of YAML aliases (*name); a topology needs far fewer values");
      }
      return Value(nullptr);
    }
    if (depth > kMaxDepth) {
      diags_->Error(Loc(node.Mark()), "", "the YAML nesting is too deep",
                    "a topology file nests a few levels only; check the structure");
      return Value(nullptr);
    }
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return ConvertMap(node, pointer, depth);
      case YAML::NodeType::Sequence: {
        Value out = Value::array();
        size_t index = 0;
        for (const YAML::Node& item : node) {
          std::string child = AppendPointer(pointer, index++);
          doc_->locations_[child].value = Loc(item.Mark());
          out.push_back(Convert(item, child, depth + 1));
        }
        return out;
      }
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, pointer);
      case YAML::NodeType::Null:
        if (node.Tag() == "!") return Value("");  // a quoted empty string
        doc_->implicitly_typed_.insert(pointer);
        return Value(nullptr);
      case YAML::NodeType::Undefined:
        break;
    }
    return Value(nullptr);
  }

  // Duplicate keys are reported once the whole tree exists, so that their
  // field paths can be computed.
  void ReportDuplicates() {
    for (const Duplicate& d : duplicates_) {
      diags_->Error(
          d.second, doc_->FieldPath(d.pointer), "duplicate key \"" + d.key + "\"",
          "\"" + d.key + "\" is already set at " + d.first.ToString() + "; keep only one of them");
    }
  }

 private:
  struct Duplicate {
    std::string pointer;
    std::string key;
    SourceLocation first;
    SourceLocation second;
  };

  SourceLocation Loc(const YAML::Mark& mark) const {
    if (mark.line < 0) return SourceLocation{doc_->file_, 0, 0};
    return SourceLocation{doc_->file_, mark.line + 1, mark.column + 1};
  }

  Value ConvertMap(const YAML::Node& node, const std::string& pointer, int depth) {
    Value out = Value::object();
    std::unordered_map<std::string, SourceLocation> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key_node = it->first;  // copies: the iterator yields temporaries
      const YAML::Node value_node = it->second;
      SourceLocation key_loc = Loc(key_node.Mark());
      if (!key_node.IsScalar()) {
        diags_->Error(key_loc, doc_->FieldPath(pointer),
                      "a mapping key must be a plain name, not a list or a mapping",
                      "write keys as simple words, e.g. \"alias: logs\"");
        continue;
      }
      const std::string& key = key_node.Scalar();
      std::string child = AppendPointer(pointer, key);
      auto [pos, inserted] = seen.emplace(key, key_loc);
      if (!inserted) {
        duplicates_.push_back(Duplicate{child, key, pos->second, key_loc});
        continue;
      }
      YamlDocument::NodeLocation& loc = doc_->locations_[child];
      loc.key = key_loc;
      loc.value = Loc(value_node.Mark());
      // An empty value has no position of its own: point at its key.
      if (value_node.IsNull() || !loc.value.known()) loc.value = key_loc;
      out[key] = Convert(value_node, child, depth + 1);
    }
    return out;
  }

  Value ConvertScalar(const YAML::Node& node, const std::string& pointer) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!") return Value(text);  // quoted or block scalar
    if (tag == "?" || tag.empty()) {
      Value v = ResolvePlain(text);
      if (!v.is_string()) doc_->implicitly_typed_.insert(pointer);
      return v;
    }
    if (tag.compare(0, kCoreTag.size(), kCoreTag) == 0) {
      std::string_view type = std::string_view(tag).substr(kCoreTag.size());
      std::optional<Value> v;
      if (type == "str") return Value(text);
      if (type == "null") v = ResolveNull(text);
      if (type == "bool") v = ResolveBool(text);
      if (type == "int") v = ResolveInt(text);
      if (type == "float") {
        v = ResolveFloat(text);
        if (!v) {
          if (auto i = ResolveInt(text)) v = Value(i->get<double>());
        }
      }
      if (v) return *v;
      diags_->Error(Loc(node.Mark()), doc_->FieldPath(pointer),
                    "the value does not match its tag !!" + std::string(type),
                    "remove the tag, or write a value of that type");
      return Value(text);
    }
    diags_->Error(Loc(node.Mark()), doc_->FieldPath(pointer),
                  "unsupported YAML tag \"" + tag + "\"",
                  "remove the tag; only the standard tags (!!str, !!int, ...) are understood");
    return ResolvePlain(text);
  }

  YamlDocument* doc_;
  Diagnostics* diags_;
  std::vector<Duplicate> duplicates_;
  size_t max_values_;
  size_t nodes_ = 0;
};

std::optional<YamlDocument> ParseYamlDocument(std::string_view text, const std::string& file,
                                              Diagnostics* diags, size_t max_values) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    SourceLocation loc{file, 0, 0};
    if (e.mark.line >= 0) loc = SourceLocation{file, e.mark.line + 1, e.mark.column + 1};
    diags->Error(loc, "", "invalid YAML: " + e.msg,
                 SyntaxHint(e.msg, e.mark.line >= 0 ? LineAt(text, e.mark.line) : ""));
    return std::nullopt;
  }
  YamlDocument doc;
  doc.file_ = file;
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    SourceLocation loc{file, 0, 0};
    if (mark.line >= 0) loc = SourceLocation{file, mark.line + 1, mark.column + 1};
    diags->Error(loc, "", "the file holds more than one YAML document",
                 "keep a single document: remove the \"---\" separator and what follows it");
  }
  try {
    YamlConverter converter(&doc, diags, max_values);
    if (!documents.empty()) {
      doc.locations_[""].value = SourceLocation{file, 1, 1};
      const YAML::Mark mark = documents[0].Mark();
      if (mark.line >= 0) {
        doc.locations_[""].value = SourceLocation{file, mark.line + 1, mark.column + 1};
      }
      doc.root_ = converter.Convert(documents[0], "", 0);
    }
    converter.ReportDuplicates();
  } catch (const YAML::Exception& e) {
    // Node access on a parsed tree does not throw in practice; keep the
    // promise that yaml-cpp exceptions never leave this file.
    diags->Error(SourceLocation{file, 0, 0}, "",
                 std::string("cannot read the YAML tree: ") + e.what());
    return std::nullopt;
  }
  return doc;
}

}  // namespace crosslink::topology
