#include "providers/self/yml_block.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace crosslink::providers::self {
namespace {

constexpr std::string_view kMetaPrefix = "# crosslink: sha256=";
constexpr std::string_view kEolAddedFlag = " eol_added=true";
constexpr std::string_view kBeginStem = "# BEGIN crosslink managed block";
constexpr std::string_view kEndStem = "# END crosslink managed block";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsKeyPart(std::string_view part) {
  if (part.empty()) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool IsValidKey(std::string_view key) {
  size_t start = 0;
  for (;;) {
    size_t dot = key.find('.', start);
    if (!IsKeyPart(key.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsScalar(const Value& v) { return v.is_string() || v.is_boolean() || v.is_number(); }

// JSON text of a scalar; nullopt for a string that is not valid UTF-8.
std::optional<std::string> ScalarText(const Value& v) {
  try {
    return v.dump();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string ValueText(const Value& v) {
  if (!v.is_array()) return ScalarText(v).value_or("\"\"");
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + ScalarText(v[i]).value_or("\"\"");
  }
  return out + "]";
}

std::string MarkText(const std::string& file, int line_offset, const YAML::Mark& mark) {
  return file + ":" + std::to_string(line_offset + mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

// A YAML scalar as a Value: quoted scalars are strings; plain ones become
// booleans, null or numbers when they read as such (YAML 1.2 core schema).
Value ScalarValue(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "null" || s == "~" || s == "Null" || s == "NULL") return nullptr;
  Result<Value> number = ParseJson(s);
  if (number.ok() && number->is_number()) return *number;
  return s;
}

// Any YAML node as a Value: scalars as ScalarValue, sequences as arrays,
// mappings as objects (keys as written).
Value NodeValue(const YAML::Node& node) {
  if (node.IsScalar()) return ScalarValue(node);
  if (node.IsSequence()) {
    Value out = Value::array();
    for (const auto& item : node) out.push_back(NodeValue(item));
    return out;
  }
  if (node.IsMap()) {
    Value out = Value::object();
    for (const auto& kv : node) {
      out[kv.first.IsScalar() ? kv.first.Scalar() : std::string("?")] = NodeValue(kv.second);
    }
    return out;
  }
  return nullptr;
}

// A flattened setting with where its key and value start (0-based).
struct FlatEntry {
  OutsideSetting setting;
  int key_column = 0;
  int value_line = -1;  // -1: no value node position (null value)
  int value_column = 0;
};

// Flattens the top-level mapping `node` into dotted keys with positions.
void FlattenEntries(const YAML::Node& node, const std::string& prefix,
                    std::vector<FlatEntry>* out) {
  for (const auto& kv : node) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    std::string full = prefix.empty() ? key : prefix + "." + key;
    if (kv.second.IsMap()) {
      FlattenEntries(kv.second, full, out);
      continue;
    }
    FlatEntry e;
    e.setting.key = full;
    e.setting.line = kv.first.Mark().line + 1;
    e.setting.value = NodeValue(kv.second);
    e.key_column = kv.first.Mark().column;
    if (!kv.second.IsNull() && !kv.second.Mark().is_null()) {
      e.value_line = kv.second.Mark().line;
      e.value_column = kv.second.Mark().column;
    }
    out->push_back(std::move(e));
  }
}

// Flattens the top-level mapping `node` into dotted keys with their lines.
void Flatten(const YAML::Node& node, const std::string& prefix, int line_offset,
             std::vector<OutsideSetting>* out) {
  std::vector<FlatEntry> entries;
  FlattenEntries(node, prefix, &entries);
  for (FlatEntry& e : entries) {
    e.setting.line += line_offset;
    out->push_back(std::move(e.setting));
  }
}

int Indent(std::string_view line) {
  int n = 0;
  while (static_cast<size_t>(n) < line.size() && line[n] == ' ') ++n;
  return n;
}

bool IsBlankOrComment(std::string_view line) {
  std::string_view t = TrimLeft(line);
  return t.empty() || t.front() == '#';
}

// Tracks open flow collections and quoted scalars over a value's lines, so
// that a flow list or a quoted string spanning lines is one setting.
struct FlowScan {
  int depth = 0;
  char quote = 0;  // '"' or '\'' while inside a quoted scalar
  bool open() const { return depth > 0 || quote != 0; }
  // `value`: the line from where the value starts. Only a value that begins
  // with a flow collection or a quote can continue on the next lines this way.
  void Start(std::string_view value) {
    if (!value.empty() && std::string_view("[{\"'").find(value.front()) != std::string_view::npos) {
      Feed(value);
    }
  }
  void Feed(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (quote == '"') {
        if (c == '\\')
          ++i;
        else if (c == '"')
          quote = 0;
      } else if (quote == '\'') {
        if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'')
          ++i;
        else if (c == '\'')
          quote = 0;
      } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        return;  // a comment to the end of the line
      } else if (c == '"' || c == '\'') {
        // Quotes open a scalar only where one can start (not inside a plain word).
        bool can_start = (i == 0 && depth == 0) ||
                         (depth > 0 && (i == 0 || std::string_view(" \t[{,:").find(text[i - 1]) !=
                                                      std::string_view::npos));
        if (can_start) {
          quote = c;
        }
      } else if ((c == '[' || c == '{') && (depth > 0 || i == 0)) {
        ++depth;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
    }
  }
};

// The lines [first, last] (0-based, of `lines`) that hold `e`: its key
// line and the lines its value continues on (deeper indented lines, block
// sequence items at the key's indentation, a flow list or quoted scalar
// until it closes). Comment and blank lines count only between value lines.
// `problem` is set when the setting does not have its key line to itself.
struct LineSpan {
  int first = -1;
  int last = -1;
  std::string problem;
};

LineSpan SpanOf(const std::vector<std::string>& lines, const FlatEntry& e) {
  LineSpan span;
  span.first = span.last = e.setting.line - 1;
  if (span.first < 0 || static_cast<size_t>(span.first) >= lines.size()) {
    span.problem = "its line was not found";
    return span;
  }
  const std::string& key_line = lines[span.first];
  if (Indent(key_line) != e.key_column) {
    span.problem = "it shares its line with other YAML (a flow mapping `{...}` or a list item)";
    return span;
  }
  FlowScan scan;
  auto start_value = [&](int line) {
    if (e.value_line == line && static_cast<size_t>(e.value_column) < lines[line].size()) {
      scan.Start(std::string_view(lines[line]).substr(e.value_column));
    }
  };
  start_value(span.first);
  for (size_t j = span.first + 1; j < lines.size(); ++j) {
    std::string_view line = lines[j];
    if (scan.open()) {
      scan.Feed(line);
      span.last = static_cast<int>(j);
      continue;
    }
    if (IsBlankOrComment(line)) continue;
    int indent = Indent(line);
    std::string_view rest = line.substr(indent);
    bool item = rest == "-" || StartsWith(rest, "- ");
    if (indent > e.key_column || (indent == e.key_column && item)) {
      start_value(static_cast<int>(j));
      span.last = static_cast<int>(j);
      continue;
    }
    break;
  }
  return span;
}

// Loads `text`; kInvalidArgument naming file:line:col on a syntax error or
// a top level that is not a mapping.
Result<YAML::Node> LoadMapping(const std::string& text, const std::string& file, int line_offset,
                               const std::string& what) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull() && !root.IsMap()) {
      return Status::InvalidArgument(MarkText(file, line_offset, root.Mark()) + ": " + what +
                                     " must be a mapping of settings (key: value)");
    }
    return root;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(MarkText(file, line_offset, e.mark) + ": " + what +
                                   " is not valid YAML: " + e.msg +
                                   "; fix the file by hand, crosslink changed nothing");
  }
}

// A null (empty) outside mapping key that is a parent of a managed key,
// e.g. `xpack.security.transport.ssl:` whose children crosslink disabled:
// YAML gives it no value and Elasticsearch ignores it.
bool IsEmptyParent(const OutsideSetting& o, const std::string& managed) {
  return o.value.is_null() && managed.size() > o.key.size() && StartsWith(managed, o.key) &&
         managed[o.key.size()] == '.';
}

// Elasticsearch refuses `<ssl>.certificate_authorities` together with
// `<ssl>.truststore.path` for one SSL context ("cannot specify both").
bool ExclusiveTrust(const std::string& a, const std::string& b) {
  constexpr std::string_view kCas = ".certificate_authorities";
  constexpr std::string_view kTruststore = ".truststore.path";
  auto context = [](const std::string& key, std::string_view suffix) -> std::optional<std::string> {
    if (key.size() <= suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) != 0) {
      return std::nullopt;
    }
    return key.substr(0, key.size() - suffix.size());
  };
  auto a_cas = context(a, kCas), a_ts = context(a, kTruststore);
  auto b_cas = context(b, kCas), b_ts = context(b, kTruststore);
  return (a_cas && b_ts && *a_cas == *b_ts) || (a_ts && b_cas && *a_ts == *b_cas);
}

bool Overlaps(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  return StartsWith(longer, shorter) && longer[shorter.size()] == '.';
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
}

Status ValidateSettings(const ManagedSettings& settings) {
  for (const auto& [key, value] : settings) {
    if (!IsValidKey(key)) {
      return Status::InvalidArgument(
          "managed setting `" + key +
          "`: a key must be dotted parts of letters, digits, '_' or '-'");
    }
    bool ok = IsScalar(value) && ScalarText(value).has_value();
    if (value.is_array()) {
      ok = std::all_of(value.begin(), value.end(),
                       [](const Value& v) { return IsScalar(v) && ScalarText(v).has_value(); });
    }
    if (!ok) {
      return Status::InvalidArgument("managed setting `" + key +
                                     "`: the value must be a string, boolean, number or a list of "
                                     "those (strings in UTF-8)");
    }
  }
  return Status::Ok();
}

namespace {

std::vector<std::string> SettingLines(const ManagedSettings& settings) {
  std::vector<std::string> lines;
  for (const auto& [key, value] : settings) lines.push_back(key + ": " + ValueText(value));
  return lines;
}

std::string ChecksumOf(const std::vector<std::string>& lines) {
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) joined += (i ? "\n" : "") + lines[i];
  return Sha256Hex(joined);
}

}  // namespace

std::string RenderBlock(const ManagedSettings& settings, std::string_view eol, bool eol_added) {
  std::vector<std::string> lines = SettingLines(settings);
  std::string e(eol);
  std::string out = std::string(kBlockBegin) + e;
  out += std::string(kMetaPrefix) + ChecksumOf(lines) +
         (eol_added ? std::string(kEolAddedFlag) : std::string()) + e;
  for (const std::string& line : lines) out += line + e;
  out += std::string(kBlockEnd) + e;
  return out;
}

Result<YmlFile> YmlFile::Parse(std::string file, std::string text) {
  YmlFile y;
  y.file_ = std::move(file);
  y.text_ = std::move(text);
  size_t pos = 0;
  while (pos < y.text_.size()) {
    size_t nl = y.text_.find('\n', pos);
    Line line;
    if (nl == std::string::npos) {
      line.content = y.text_.substr(pos);
      pos = y.text_.size();
    } else {
      line.content = y.text_.substr(pos, nl - pos);
      line.eol = "\n";
      if (!line.content.empty() && line.content.back() == '\r') {
        line.content.pop_back();
        line.eol = "\r\n";
      }
      pos = nl + 1;
    }
    y.lines_.push_back(std::move(line));
  }

  // Markers.
  std::optional<size_t> begin, end;
  for (size_t i = 0; i < y.lines_.size(); ++i) {
    std::string_view content = TrimRight(y.lines_[i].content);
    std::string_view trimmed = TrimLeft(content);
    bool is_begin = StartsWith(trimmed, kBeginStem);
    bool is_end = StartsWith(trimmed, kEndStem);
    if (!is_begin && !is_end) continue;
    std::string where = y.file_ + ":" + std::to_string(i + 1);
    if (trimmed.size() != content.size()) {
      return Status::InvalidArgument(where +
                                     ": crosslink's managed block marker is indented; move it "
                                     "back to the start of the line");
    }
    if (is_begin) {
      if (begin) {
        return Status::InvalidArgument(
            where + ": a second crosslink managed block (the first begins at line " +
            std::to_string(*begin + 1) +
            "); keep one block: delete the other (crosslink rewrites "
            "its block on the next apply)");
      }
      begin = i;
    } else {
      if (!begin || end) {
        return Status::InvalidArgument(where + ": `" + std::string(kEndStem) +
                                       "` without a BEGIN marker before it; delete the line or "
                                       "restore the BEGIN line");
      }
      end = i;
    }
  }
  if (begin && !end) {
    return Status::InvalidArgument(y.file_ + ":" + std::to_string(*begin + 1) +
                                   ": crosslink's managed block has no `" + std::string(kEndStem) +
                                   "` line; restore it after the block's settings");
  }

  std::string outside_text;
  if (begin) {
    ManagedBlock block;
    block.begin_line = static_cast<int>(*begin) + 1;
    block.end_line = static_cast<int>(*end) + 1;
    std::vector<std::string> body;
    std::string block_text;
    for (size_t i = *begin + 1; i < *end; ++i) {
      const std::string& content = y.lines_[i].content;
      block_text += content + "\n";
      if (i == *begin + 1 && StartsWith(content, kMetaPrefix)) {
        std::string_view rest = std::string_view(content).substr(kMetaPrefix.size());
        if (rest.size() >= 64) {
          block.recorded_checksum = std::string(rest.substr(0, 64));
          rest.remove_prefix(64);
          if (rest == kEolAddedFlag) {
            block.eol_added = true;
          } else if (!rest.empty()) {
            block.recorded_checksum.clear();
          }
        }
        continue;
      }
      body.push_back(content);
    }
    block.actual_checksum = ChecksumOf(body);
    Result<YAML::Node> parsed =
        LoadMapping(block_text, y.file_, block.begin_line, "crosslink's managed block");
    if (!parsed.ok()) return parsed.status();
    std::set<std::string> seen;
    for (const auto& kv : *parsed) {
      std::string where = MarkText(y.file_, block.begin_line, kv.first.Mark());
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!seen.insert(key).second) {
        return Status::InvalidArgument(where + ": `" + key +
                                       "` is set twice in crosslink's managed block; delete the "
                                       "block's settings, the next apply rewrites them");
      }
      Value value;
      if (kv.second.IsScalar()) {
        value = ScalarValue(kv.second);
      } else if (kv.second.IsSequence()) {
        value = Value::array();
        for (const auto& item : kv.second) {
          if (!item.IsScalar()) value = nullptr;
          if (!item.IsScalar()) break;
          value.push_back(ScalarValue(item));
        }
      }
      if (value.is_null()) {
        return Status::InvalidArgument(where +
                                       ": crosslink's managed block holds only flat "
                                       "`key: value` settings; `" +
                                       key +
                                       "` is not one. Delete "
                                       "the block's settings, the next apply rewrites them");
      }
      block.settings[key] = std::move(value);
    }
    y.block_ = std::move(block);
    for (size_t i = 0; i < y.lines_.size(); ++i) {
      outside_text += (i >= *begin && i <= *end ? std::string() : y.lines_[i].content) + "\n";
    }
  } else {
    outside_text = y.text_;
  }

  Result<YAML::Node> outside =
      LoadMapping(outside_text, y.file_, 0, "the file outside crosslink's block");
  if (!outside.ok()) return outside.status();

  // Outside settings: the enabled ones as the file reads, then the ones
  // crosslink disabled, read from the lines with the prefix removed.
  auto in_block = [&](size_t i) { return begin && i >= *begin && i <= *end; };
  std::vector<std::string> view, enabled_view;
  bool any_disabled = false;
  for (size_t i = 0; i < y.lines_.size(); ++i) {
    std::string content = in_block(i) ? std::string() : y.lines_[i].content;
    enabled_view.push_back(content);
    if (StartsWith(content, kDisabledPrefix)) {
      content.erase(0, kDisabledPrefix.size());
      any_disabled = true;
    }
    view.push_back(std::move(content));
  }
  std::vector<std::pair<FlatEntry, LineSpan>> found;
  if (outside->IsMap()) {
    std::vector<FlatEntry> entries;
    FlattenEntries(*outside, "", &entries);
    for (FlatEntry& e : entries) {
      LineSpan span = SpanOf(enabled_view, e);
      found.emplace_back(std::move(e), std::move(span));
    }
  }
  if (any_disabled) {
    std::string text;
    for (const std::string& line : view) text += line + "\n";
    Result<YAML::Node> reenabled =
        LoadMapping(text, y.file_, 0, "the file with the lines crosslink disabled re-enabled");
    if (!reenabled.ok()) {
      return Status::InvalidArgument(
          reenabled.status().message() + " (lines starting with `" + std::string(kDisabledPrefix) +
          "` were disabled by crosslink; remove the prefix from exactly the lines it was "
          "added to, or delete those lines)");
    }
    std::vector<FlatEntry> entries;
    if (reenabled->IsMap()) FlattenEntries(*reenabled, "", &entries);
    for (FlatEntry& e : entries) {
      size_t line = static_cast<size_t>(e.setting.line - 1);
      if (line >= y.lines_.size() || !StartsWith(enabled_view[line], kDisabledPrefix)) continue;
      e.setting.disabled = true;
      LineSpan span = SpanOf(view, e);
      found.emplace_back(std::move(e), std::move(span));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first.setting.line < b.first.setting.line;
  });
  for (auto& [entry, span] : found) {
    y.outside_.push_back(std::move(entry.setting));
    y.spans_.push_back({span.first, span.last, std::move(span.problem)});
  }
  // And the file as Elasticsearch reads it.
  Result<YAML::Node> whole = LoadMapping(y.text_, y.file_, 0, "the file");
  if (!whole.ok()) return whole.status();
  return y;
}

std::string YmlFile::Join(size_t from, size_t to) const {
  std::string out;
  for (size_t i = from; i < to && i < lines_.size(); ++i) out += lines_[i].content + lines_[i].eol;
  return out;
}

std::string YmlFile::FileEol() const {
  for (const Line& line : lines_) {
    if (!line.eol.empty()) return line.eol;
  }
  return "\n";
}

std::string YmlFile::RemoveBlock(const std::vector<std::string>* contents) const {
  auto join = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to && i < lines_.size(); ++i) {
      out += (contents ? (*contents)[i] : lines_[i].content) + lines_[i].eol;
    }
    return out;
  };
  if (!block_) return join(0, lines_.size());
  size_t begin = static_cast<size_t>(block_->begin_line - 1);
  size_t end = static_cast<size_t>(block_->end_line - 1);
  std::string prefix = join(0, begin);
  std::string suffix = join(end + 1, lines_.size());
  if (block_->eol_added && suffix.empty() && begin > 0) {
    const std::string& eol = lines_[begin - 1].eol;
    prefix.resize(prefix.size() - eol.size());
  }
  return prefix + suffix;
}

std::string YmlFile::WithoutBlock() const {
  std::vector<std::string> contents;
  for (const Line& line : lines_) {
    std::string content = line.content;
    if (StartsWith(content, kDisabledPrefix)) content.erase(0, kDisabledPrefix.size());
    contents.push_back(std::move(content));
  }
  if (block_) {  // the block's own lines stay as they are (they are cut anyway)
    for (int i = block_->begin_line - 1; i < block_->end_line; ++i) {
      contents[i] = lines_[i].content;
    }
  }
  return RemoveBlock(&contents);
}

std::vector<std::string> YmlFile::Conflicts(const ManagedSettings& settings) const {
  std::vector<std::string> out;
  for (const OutsideSetting& o : outside_) {
    if (o.disabled) continue;
    for (const auto& [key, value] : settings) {
      if (ExclusiveTrust(o.key, key)) {
        out.push_back(file_ + ":" + std::to_string(o.line) + ": `" + o.key +
                      "` is set outside crosslink's managed block, and crosslink sets `" + key +
                      "` there; Elasticsearch refuses both in one SSL configuration. Remove it "
                      "from line " +
                      std::to_string(o.line) +
                      " and have crosslink trust the CAs it trusted (the transport trust of the "
                      "certificate model does this by itself: apply again)");
        continue;
      }
      if (!Overlaps(o.key, key) || IsEmptyParent(o, key)) continue;
      out.push_back(file_ + ":" + std::to_string(o.line) + ": `" + o.key +
                    "` is set outside crosslink's managed block, and crosslink manages `" + key +
                    "` there; Elasticsearch refuses a setting given twice. Remove it from line " +
                    std::to_string(o.line) + " (crosslink sets `" + key +
                    "` in its block), or stop managing it in the topology");
    }
  }
  return out;
}

Result<std::string> YmlFile::WithTakeOver(const std::vector<std::string>& take_over) const {
  std::set<std::string> wanted(take_over.begin(), take_over.end());
  std::vector<std::string> contents;
  for (const Line& line : lines_) contents.push_back(line.content);
  for (size_t i = 0; i < outside_.size(); ++i) {
    const OutsideSetting& o = outside_[i];
    const Span& span = spans_[i];
    bool want = wanted.count(o.key) > 0;
    if (o.disabled == want) continue;
    if (!span.problem.empty()) {
      return Status::FailedPrecondition(file_ + ":" + std::to_string(o.line) + ": crosslink must " +
                                        (want ? "disable" : "re-enable") + " `" + o.key +
                                        "`, but " + span.problem + "; write it as `" + o.key +
                                        ": <value>` (or nested under its parent key) on lines of "
                                        "its own, then apply again");
    }
    for (int l = span.first; l <= span.last; ++l) {
      std::string& line = contents[l];
      if (want) {
        line = std::string(kDisabledPrefix) + line;
      } else if (StartsWith(line, kDisabledPrefix)) {
        line.erase(0, kDisabledPrefix.size());
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) out += contents[i] + lines_[i].eol;
  return out;
}

Result<std::string> YmlFile::WithSettings(const ManagedSettings& settings,
                                          const std::vector<std::string>& take_over) const {
  CROSSLINK_RETURN_IF_ERROR(ValidateSettings(settings).WithContext(file_));
  if (settings.empty() && take_over.empty()) return WithoutBlock();
  Result<std::string> taken = WithTakeOver(take_over);
  if (!taken.ok()) return taken.status();
  if (*taken == text_) return WithBlock(settings, take_over);
  Result<YmlFile> reparsed = Parse(file_, *taken);
  if (!reparsed.ok()) {
    return Status::Internal("disabling or re-enabling settings of " + file_ +
                            " would leave it invalid (" + reparsed.status().message() +
                            "); nothing was written");
  }
  return reparsed->WithBlock(settings, take_over);
}

Result<std::string> YmlFile::WithBlock(const ManagedSettings& settings,
                                       const std::vector<std::string>& take_over) const {
  std::vector<std::string> conflicts = Conflicts(settings);
  if (!conflicts.empty()) {
    std::string message = conflicts.front();
    for (size_t i = 1; i < conflicts.size(); ++i) message += "\n" + conflicts[i];
    return Status::FailedPrecondition(message);
  }
  std::string out;
  if (settings.empty()) {
    out = RemoveBlock();
  } else if (block_) {
    size_t begin = static_cast<size_t>(block_->begin_line - 1);
    size_t end = static_cast<size_t>(block_->end_line - 1);
    std::string eol = lines_[begin].eol.empty() ? FileEol() : lines_[begin].eol;
    std::string rendered = RenderBlock(settings, eol, block_->eol_added);
    if (lines_[end].eol.empty()) rendered.resize(rendered.size() - eol.size());
    out = Join(0, begin) + rendered + Join(end + 1, lines_.size());
  } else {
    std::string eol = FileEol();
    bool needs_eol = !text_.empty() && lines_.back().eol.empty();
    out = text_ + (needs_eol ? eol : "") + RenderBlock(settings, eol, needs_eol);
  }
  // The result must still be one YAML mapping with every managed key once
  // and no taken-over key left (unless crosslink manages it itself).
  Result<YmlFile> check = Parse(file_, out);
  if (!check.ok()) {
    return Status::Internal("the edited " + file_ + " would not be valid YAML (" +
                            check.status().message() + "); nothing was written");
  }
  std::map<std::string, int> counts;
  try {
    YAML::Node root = YAML::Load(out);
    std::vector<OutsideSetting> all;
    if (root.IsMap()) Flatten(root, "", 0, &all);
    for (const OutsideSetting& s : all) ++counts[s.key];
  } catch (const YAML::Exception& e) {
    return Status::Internal("the edited " + file_ + " would not be valid YAML: " + e.msg);
  }
  for (const auto& [key, value] : settings) {
    if (counts[key] != 1) {
      return Status::Internal("the edited " + file_ + " would set `" + key + "` " +
                              std::to_string(counts[key]) + " times; nothing was written");
    }
  }
  for (const std::string& key : take_over) {
    if (!settings.count(key) && counts[key] != 0) {
      return Status::Internal("the edited " + file_ + " would still set `" + key +
                              "`, which crosslink takes over; nothing was written");
    }
  }
  return out;
}

std::vector<std::string> DiffSettings(const ManagedSettings& actual,
                                      const ManagedSettings& expected) {
  std::set<std::string> keys;
  for (const auto& [k, v] : actual) {
    auto it = expected.find(k);
    if (it == expected.end() || it->second != v) keys.insert(k);
  }
  for (const auto& [k, v] : expected) {
    if (!actual.count(k)) keys.insert(k);
  }
  return {keys.begin(), keys.end()};
}

std::string DescribeDrift(const std::string& file, const ManagedBlock& block,
                          const ManagedSettings& expected) {
  std::vector<std::string> keys = DiffSettings(block.settings, expected);
  if (!block.hand_edited() && keys.empty()) return "";
  std::string where =
      file + ":" + std::to_string(block.begin_line) + "-" + std::to_string(block.end_line) + ": ";
  std::string what;
  for (const std::string& k : keys) what += (what.empty() ? "" : ", ") + k;
  if (!block.hand_edited()) {
    return where + "crosslink's managed block holds other settings than planned (keys: " + what +
           "); the next apply rewrites it";
  }
  return where + "crosslink's managed block was edited by hand (" +
         (keys.empty() ? std::string("comments or formatting only") : "keys changed: " + what) +
         "); the next apply rewrites it";
}

std::string DescribeHandEdit(const std::string& file, const ManagedBlock& block) {
  if (!block.hand_edited()) return "";
  return file + ":" + std::to_string(block.begin_line) + "-" + std::to_string(block.end_line) +
         ": crosslink's managed block was edited by hand (its checksum no longer matches); the "
         "next apply rewrites it";
}

}  // namespace crosslink::providers::self
