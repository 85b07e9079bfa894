#include "engine/topology/secret_ref.h"

#include <cctype>

namespace crosslink::topology {

namespace {

// " (field environments.cloud.api_key)" or "" when the field is unknown.
std::string ForField(const SecretRef& ref) {
  if (!ref.field.empty()) return " (needed by " + ref.field + ")";
  if (ref.location.known()) return " (needed at " + ref.location.ToString() + ")";
  return "";
}

}  // namespace

bool IsEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Result<SecretRef> ParseSecretRef(std::string_view text) {
  SecretRef ref;
  if (text.substr(0, 2) != "${") {
    ref.kind = SecretRef::Kind::kInline;
    ref.inline_value = std::string(text);
    return ref;
  }
  const std::string kForms = "use ${env:NAME} or ${file:path}";
  if (text.back() != '}') {
    return Status::InvalidArgument("secret reference is not closed with '}'; " + kForms);
  }
  std::string_view body = text.substr(2, text.size() - 3);
  size_t colon = body.find(':');
  std::string_view scheme = body.substr(0, colon);
  std::string_view arg =
      colon == std::string_view::npos ? std::string_view() : body.substr(colon + 1);
  if (colon == std::string_view::npos || (scheme != "env" && scheme != "file")) {
    // The scheme is a short word the user typed, never the secret itself.
    std::string shown = scheme.size() <= 16 ? std::string(scheme) : "";
    return Status::InvalidArgument((shown.empty() || colon == std::string_view::npos
                                        ? std::string("unknown secret reference")
                                        : "unknown secret reference kind \"" + shown + "\"") +
                                   "; " + kForms);
  }
  if (scheme == "env") {
    if (!IsEnvName(arg)) {
      return Status::InvalidArgument(
          "invalid environment variable name in ${env:...}; use letters, digits and '_', "
          "not starting with a digit");
    }
    ref.kind = SecretRef::Kind::kEnv;
  } else {
    if (arg.empty()) return Status::InvalidArgument("empty path in ${file:}; write ${file:path}");
    ref.kind = SecretRef::Kind::kFile;
  }
  ref.name = std::string(arg);
  return ref;
}

Result<Secret> ResolveSecret(const SecretRef& ref, const std::string& topology_dir, FileSystem& fs,
                             const std::function<const char*(const char*)>& getenv) {
  switch (ref.kind) {
    case SecretRef::Kind::kNone:
      return Status::NotFound("no secret configured" + ForField(ref));
    case SecretRef::Kind::kInline:
      return Secret(ref.inline_value);
    case SecretRef::Kind::kEnv: {
      const char* value = getenv ? getenv(ref.name.c_str()) : nullptr;
      if (value == nullptr) {
        return Status::NotFound("environment variable " + ref.name + " is not set" + ForField(ref));
      }
      if (*value == '\0') {
        return Status::InvalidArgument("environment variable " + ref.name + " is empty" +
                                       ForField(ref));
      }
      return Secret(std::string(value));
    }
    case SecretRef::Kind::kFile: {
      std::string path = ResolveTopologyPath(topology_dir, ref.name);
      Result<std::string> content = fs.ReadFile(path);
      if (!content.ok()) {
        return content.status().WithContext("cannot read secret file " + path + ForField(ref));
      }
      std::string value = std::move(content).value();
      if (!value.empty() && value.back() == '\n') {
        value.pop_back();
        if (!value.empty() && value.back() == '\r') value.pop_back();
      }
      if (value.empty()) {
        return Status::InvalidArgument("secret file " + path + " is empty" + ForField(ref));
      }
      return Secret(std::move(value));
    }
  }
  return Status::Internal("unknown secret reference kind");
}

std::string TopologyDirectory(const std::string& topology_file) {
  size_t slash = topology_file.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return topology_file.substr(0, slash);
}

std::string ResolveTopologyPath(const std::string& topology_dir, const std::string& path) {
  if (path.empty()) return path;
  if (path[0] == '/') return path;
  if (path == "~" || path.rfind("~/", 0) == 0) return path;  // the FileSystem expands it
  std::string relative = path.rfind("./", 0) == 0 ? path.substr(2) : path;
  if (topology_dir.empty() || topology_dir == ".") return relative;
  if (topology_dir.back() == '/') return topology_dir + relative;
  return topology_dir + "/" + relative;
}

}  // namespace crosslink::topology
