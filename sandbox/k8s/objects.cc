#include "sandbox/k8s/objects.h"

#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "engine/core/http.h"

namespace crosslink::sandbox::k8s {
namespace {

// Where Go's base64.StdEncoding decoder stops on malformed `src` (the N of
// "illegal base64 data at input byte N"), following its quantum loop.
size_t Base64ErrorOffset(std::string_view src) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t si = 0;
  while (si < src.size()) {
    for (size_t j = 0; j < 4; ++j) {
      if (si == src.size()) return si - j;  // truncated quantum
      const char c = src[si++];
      if (kAlphabet.find(c) != std::string_view::npos) continue;
      if (c != '=' || j < 2) return si - 1;  // bad byte, or padding too early
      if (j == 2) {                          // "==" expected
        if (si == src.size()) return si;
        if (src[si] != '=') return si - 1;
        ++si;
      }
      return si < src.size() ? si : src.size();  // data after the padding
    }
  }
  return src.size();
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitRequirements(const std::string& selector) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty() || !out.empty()) out.push_back(Trim(cur));
  return out;
}

std::set<std::string> ParseSet(const std::string& inner) {
  std::set<std::string> out;
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) out.insert(Trim(item));
  return out;
}

}  // namespace

std::optional<std::string> DecodeSecretValue(std::string_view text, std::string* error) {
  std::optional<std::string> out = http::Base64Decode(text);
  if (!out && error != nullptr) *error = "illegal base64 data at input byte " + std::to_string(Base64ErrorOffset(text));
  return out;
}

Result<bool> MatchesLabelSelector(const std::string& selector, const Value& labels) {
  auto label = [&](const std::string& key) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(key) || !labels[key].is_string()) return std::nullopt;
    return labels[key].get<std::string>();
  };
  static const std::regex kSet(R"(^([A-Za-z0-9./_-]+)\s+(in|notin)\s*\((.*)\)$)");
  static const std::regex kCmp(R"(^([A-Za-z0-9./_-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)$)");
  static const std::regex kExists(R"(^(!?)([A-Za-z0-9./_-]+)$)");
  for (const std::string& req : SplitRequirements(selector)) {
    std::smatch m;
    if (req.empty()) return Status::InvalidArgument("unable to parse requirement: found '', expected: identifier");
    if (std::regex_match(req, m, kSet)) {
      std::set<std::string> values = ParseSet(m[3].str());
      auto v = label(m[1].str());
      bool in = v.has_value() && values.count(*v) > 0;
      if (m[2].str() == "in" ? !in : in) return false;
    } else if (std::regex_match(req, m, kCmp)) {
      auto v = label(m[1].str());
      bool eq = v.has_value() && *v == m[3].str();
      if (m[2].str() == "!=" ? eq : !eq) return false;
    } else if (std::regex_match(req, m, kExists)) {
      bool has = label(m[2].str()).has_value();
      if (m[1].str() == "!" ? has : !has) return false;
    } else {
      return Status::InvalidArgument("unable to parse requirement: " + req);
    }
  }
  return true;
}

std::string ValidateDns1123Subdomain(const std::string& name) {
  static const std::regex kRe(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
  if (name.size() > 253) return "must be no more than 253 characters";
  if (!std::regex_match(name, kRe)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
           "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return "";
}

std::string ValidateDns1123Label(const std::string& name) {
  static const std::regex kRe(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
  if (name.size() > 63) return "must be no more than 63 characters";
  if (!std::regex_match(name, kRe)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
           "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return "";
}

std::string ValidateConfigKey(const std::string& key) {
  static const std::regex kRe(R"([-._a-zA-Z0-9]+)");
  if (key.size() > 253) return "must be no more than 253 characters";
  if (!std::regex_match(key, kRe) || key == "." || key == "..") {
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
           "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  }
  return "";
}

namespace {
std::string MetaString(const Value& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const Value& md = object["metadata"];
  if (!md.is_object() || !md.contains(field) || !md[field].is_string()) return "";
  return md[field].get<std::string>();
}
std::string MetaMapEntry(const Value& object, const char* map, const std::string& key) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const Value& md = object["metadata"];
  if (!md.is_object() || !md.contains(map) || !md[map].is_object()) return "";
  const Value& m = md[map];
  return m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : "";
}
}  // namespace

std::string NameOf(const Value& object) { return MetaString(object, "name"); }
std::string NamespaceOf(const Value& object) { return MetaString(object, "namespace"); }
std::string LabelOf(const Value& object, const std::string& key) { return MetaMapEntry(object, "labels", key); }
std::string AnnotationOf(const Value& object, const std::string& key) {
  return MetaMapEntry(object, "annotations", key);
}

std::optional<std::string> SecretData(const Value& secret, const std::string& key) {
  if (!secret.is_object() || !secret.contains("data") || !secret["data"].is_object()) return std::nullopt;
  const Value& data = secret["data"];
  if (!data.contains(key) || !data[key].is_string()) return std::nullopt;
  return http::Base64Decode(data[key].get<std::string>());
}

}  // namespace crosslink::sandbox::k8s
