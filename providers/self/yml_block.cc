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

// Flattens the top-level mapping `node` into dotted keys with their lines.
void Flatten(const YAML::Node& node, const std::string& prefix, int line_offset,
             std::vector<OutsideSetting>* out) {
  for (const auto& kv : node) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    std::string full = prefix.empty() ? key : prefix + "." + key;
    if (kv.second.IsMap()) {
      Flatten(kv.second, full, line_offset, out);
    } else {
      out->push_back({full, line_offset + kv.first.Mark().line + 1});
    }
  }
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
  if (outside->IsMap()) Flatten(*outside, "", 0, &y.outside_);
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

std::string YmlFile::WithoutBlock() const {
  if (!block_) return text_;
  size_t begin = static_cast<size_t>(block_->begin_line - 1);
  size_t end = static_cast<size_t>(block_->end_line - 1);
  std::string prefix = Join(0, begin);
  std::string suffix = Join(end + 1, lines_.size());
  if (block_->eol_added && suffix.empty() && begin > 0) {
    const std::string& eol = lines_[begin - 1].eol;
    prefix.resize(prefix.size() - eol.size());
  }
  return prefix + suffix;
}

std::vector<std::string> YmlFile::Conflicts(const ManagedSettings& settings) const {
  std::vector<std::string> out;
  for (const OutsideSetting& o : outside_) {
    for (const auto& [key, value] : settings) {
      if (!Overlaps(o.key, key)) continue;
      out.push_back(file_ + ":" + std::to_string(o.line) + ": `" + o.key +
                    "` is set outside crosslink's managed block, and crosslink manages `" + key +
                    "` there; Elasticsearch refuses a setting given twice. Remove it from line " +
                    std::to_string(o.line) + " (crosslink sets `" + key +
                    "` in its block), or stop managing it in the topology");
    }
  }
  return out;
}

Result<std::string> YmlFile::WithSettings(const ManagedSettings& settings) const {
  CROSSLINK_RETURN_IF_ERROR(ValidateSettings(settings).WithContext(file_));
  if (settings.empty()) return WithoutBlock();
  std::vector<std::string> conflicts = Conflicts(settings);
  if (!conflicts.empty()) {
    std::string message = conflicts.front();
    for (size_t i = 1; i < conflicts.size(); ++i) message += "\n" + conflicts[i];
    return Status::FailedPrecondition(message);
  }
  std::string out;
  if (block_) {
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
  // The result must still be one YAML mapping with every managed key once.
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
