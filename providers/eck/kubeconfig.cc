// LoadKubeConfig: reads kubeconfig files the way kubectl (client-go's
// clientcmd) does. See kube.h for the rules; the yaml-cpp exceptions stay in
// this file.

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "providers/eck/kube.h"

namespace crosslink::providers::eck {
namespace {

// One named entry (cluster, user or context) and the file that defined it:
// relative paths in it resolve against that file's directory.
struct Entry {
  YAML::Node node;
  std::string file;
};

struct Merged {
  std::vector<std::string> files;  // the files actually read, in order
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string current_context;
  std::string current_context_file;
};

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string ExpandTilde(const std::string& path,
                        const std::function<const char*(const char*)>& getenv) {
  if (path != "~" && path.rfind("~/", 0) != 0) return path;
  const char* home = getenv("HOME");
  if (home == nullptr || *home == '\0') return path;
  return std::string(home) + path.substr(1);
}

// Relative paths in a kubeconfig are relative to the file's directory.
std::string ResolveAgainst(const std::string& path, const std::string& file,
                           const std::function<const char*(const char*)>& getenv) {
  std::string expanded = ExpandTilde(path, getenv);
  if (expanded.empty() || expanded[0] == '/') return expanded;
  return DirName(file) + "/" + expanded;
}

// A scalar field as a string (empty when absent or null). Throws YAML
// exceptions on a non-scalar; callers are inside a try block.
std::string Str(const YAML::Node& node, const char* key) {
  if (!node.IsMap()) return "";
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar()) throw YAML::Exception(v.Mark(), std::string("`") + key + "` must be a string");
  return v.as<std::string>();
}

bool Has(const YAML::Node& node, const char* key) {
  return node.IsMap() && node[key] && !node[key].IsNull();
}

// Adds every named entry of `list` not already present (the first file wins).
void MergeList(const YAML::Node& root, const char* list_key, const char* item_key,
               const std::string& file, std::map<std::string, Entry>* out) {
  YAML::Node list = root[list_key];
  if (!list || list.IsNull()) return;
  if (!list.IsSequence()) {
    throw YAML::Exception(list.Mark(), std::string("`") + list_key + "` must be a list");
  }
  for (const YAML::Node& item : list) {
    std::string name = Str(item, "name");
    if (name.empty()) {
      throw YAML::Exception(item.Mark(), std::string("an entry of `") + list_key + "` has no name");
    }
    if (out->count(name) != 0) continue;
    YAML::Node body = item[item_key];
    out->emplace(name, Entry{body ? body : YAML::Node(YAML::NodeType::Map), file});
  }
}

Status MergeFile(const std::string& file, const std::string& text, Merged* merged) {
  try {
    YAML::Node root = YAML::Load(text);
    merged->files.push_back(file);
    if (!root || root.IsNull()) return Status::Ok();
    if (!root.IsMap()) {
      return Status::InvalidArgument("kubeconfig " + file + " is not a YAML mapping");
    }
    MergeList(root, "clusters", "cluster", file, &merged->clusters);
    MergeList(root, "users", "user", file, &merged->users);
    MergeList(root, "contexts", "context", file, &merged->contexts);
    if (merged->current_context.empty()) {
      merged->current_context = Str(root, "current-context");
      if (!merged->current_context.empty()) merged->current_context_file = file;
    }
    return Status::Ok();
  } catch (const YAML::Exception& e) {
    std::string where = file;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    return Status::InvalidArgument("kubeconfig " + where + ": " + e.msg);
  }
}

// The files to read, as kubectl chooses them, and whether each must exist.
struct Source {
  std::vector<std::string> files;
  bool from_env = false;     // $KUBECONFIG: missing entries are skipped
  bool from_topology = false;
};

Source ChooseFiles(const std::string& kubeconfig,
                   const std::function<const char*(const char*)>& getenv) {
  Source source;
  if (!kubeconfig.empty()) {
    source.files.push_back(ExpandTilde(kubeconfig, getenv));
    source.from_topology = true;
    return source;
  }
  const char* env = getenv("KUBECONFIG");
  if (env != nullptr && *env != '\0') {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      std::string item = list.substr(start, end - start);
      if (!item.empty()) {
        item = ExpandTilde(item, getenv);
        bool seen = false;
        for (const std::string& f : source.files) seen = seen || f == item;
        if (!seen) source.files.push_back(item);
      }
      start = end + 1;
    }
    source.from_env = !source.files.empty();
    if (source.from_env) return source;
  }
  source.files.push_back(ExpandTilde("~/.kube/config", getenv));
  return source;
}

Status ReadSources(const Source& source, FileSystem& fs, Merged* merged) {
  for (const std::string& file : source.files) {
    if (source.from_env && !fs.Exists(file)) continue;  // as kubectl: skipped
    Result<std::string> text = fs.ReadFile(file);
    if (!text.ok()) {
      std::string how;
      if (source.from_topology) {
        how = "fix `kubeconfig` in the topology (a path to an existing kubeconfig file)";
      } else {
        how = "set `kubeconfig` in the topology or $KUBECONFIG to the kubeconfig of your cluster "
              "(e.g. the file your cloud's `get-credentials` command writes)";
      }
      if (text.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("kubeconfig " + file + " does not exist: " + how);
      }
      return text.status().WithContext("cannot read kubeconfig " + file + " (" + how + ")");
    }
    CROSSLINK_RETURN_IF_ERROR(MergeFile(file, *text, merged));
  }
  if (merged->files.empty()) {
    return Status::NotFound("none of the files in $KUBECONFIG exists (" +
                            Join(source.files, ":") +
                            "): fix $KUBECONFIG or set `kubeconfig` in the topology");
  }
  return Status::Ok();
}

// Reads a file named in the kubeconfig (certificate-authority, tokenFile,
// client-certificate, client-key).
Result<std::string> ReadReferenced(FileSystem& fs, const std::string& field,
                                   const std::string& owner, const std::string& path,
                                   const std::string& file,
                                   const std::function<const char*(const char*)>& getenv) {
  const std::string resolved = ResolveAgainst(path, file, getenv);
  Result<std::string> text = fs.ReadFile(resolved);
  if (!text.ok()) {
    return text.status().WithContext("`" + field + "` of " + owner + " in kubeconfig " + file +
                                     " names " + resolved +
                                     ", which cannot be read; fix the path (relative paths are "
                                     "relative to the kubeconfig's directory)");
  }
  return text;
}

Result<std::string> DecodeData(const std::string& field, const std::string& owner,
                               const std::string& file, const std::string& data) {
  std::string compact;
  for (char c : data) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  }
  std::optional<std::string> decoded = http::Base64Decode(compact);
  if (!decoded.has_value()) {
    return Status::InvalidArgument("`" + field + "` of " + owner + " in kubeconfig " + file +
                                   " is not valid base64");
  }
  return *decoded;
}

// `<field>-data` (base64) or `<field>` (a file); empty when neither is set.
Result<std::string> DataOrFile(const Entry& entry, const std::string& field,
                               const std::string& owner, FileSystem& fs,
                               const std::function<const char*(const char*)>& getenv) {
  const std::string data_key = field + "-data";
  const std::string data = Str(entry.node, data_key.c_str());
  if (!data.empty()) return DecodeData(data_key, owner, entry.file, data);
  const std::string path = Str(entry.node, field.c_str());
  if (!path.empty()) return ReadReferenced(fs, field, owner, path, entry.file, getenv);
  return std::string();
}

Result<bool> Flag(const Entry& entry, const char* key, const std::string& owner) {
  if (!Has(entry.node, key)) return false;
  YAML::Node v = entry.node[key];
  bool value = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, value)) {
    return Status::InvalidArgument("`" + std::string(key) + "` of " + owner + " in kubeconfig " +
                                   entry.file + " must be true or false");
  }
  return value;
}

Status LoadCluster(const Entry& entry, const std::string& name, FileSystem& fs,
                   const std::function<const char*(const char*)>& getenv, KubeConfig* config) {
  const std::string owner = "cluster " + name;
  config->server = Str(entry.node, "server");
  if (config->server.empty()) {
    return Status::InvalidArgument(owner + " in kubeconfig " + entry.file +
                                   " has no `server` (the API server URL, e.g. "
                                   "https://10.0.0.1:6443)");
  }
  if (config->server.rfind("https://", 0) != 0 && config->server.rfind("http://", 0) != 0) {
    config->server = "https://" + config->server;  // as client-go: a bare host means https
  }
  while (config->server.size() > 8 && config->server.back() == '/') config->server.pop_back();
  Result<std::string> ca = DataOrFile(entry, "certificate-authority", owner, fs, getenv);
  if (!ca.ok()) return ca.status();
  config->ca_pem = *ca;
  Result<bool> insecure = Flag(entry, "insecure-skip-tls-verify", owner);
  if (!insecure.ok()) return insecure.status();
  config->insecure_skip_tls_verify = *insecure;
  if (config->insecure_skip_tls_verify && !config->ca_pem.empty()) {
    return Status::InvalidArgument(owner + " in kubeconfig " + entry.file +
                                   " sets both a certificate authority and "
                                   "insecure-skip-tls-verify: true; remove one of them");
  }
  config->tls_server_name = Str(entry.node, "tls-server-name");
  return Status::Ok();
}

Status LoadUser(const Entry& entry, const std::string& name, FileSystem& fs,
                const std::function<const char*(const char*)>& getenv, KubeConfig* config) {
  const std::string owner = "user " + name;
  const std::string where = owner + " in kubeconfig " + entry.file;
  const std::string fix =
      "; use a user with a token or a client certificate (e.g. a ServiceAccount token from "
      "`kubectl create token <account>`)";
  if (Has(entry.node, "exec")) {
    std::string command;
    if (entry.node["exec"].IsMap()) command = Str(entry.node["exec"], "command");
    return Status::FailedPrecondition(where + " authenticates with an exec plugin (" +
                                      (command.empty() ? "exec" : command) +
                                      "), which crosslink does not support" + fix);
  }
  if (Has(entry.node, "auth-provider")) {
    std::string provider;
    if (entry.node["auth-provider"].IsMap()) provider = Str(entry.node["auth-provider"], "name");
    return Status::FailedPrecondition(where + " authenticates with the auth-provider " +
                                      (provider.empty() ? "plugin" : "\"" + provider + "\"") +
                                      ", which crosslink does not support" + fix);
  }
  std::string token = Str(entry.node, "token");
  if (token.empty()) {
    const std::string token_file = Str(entry.node, "tokenFile");
    if (!token_file.empty()) {
      Result<std::string> text =
          ReadReferenced(fs, "tokenFile", owner, token_file, entry.file, getenv);
      if (!text.ok()) return text.status();
      token = *text;
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r' ||
                                token.back() == ' ' || token.back() == '\t')) {
        token.pop_back();
      }
      if (token.empty()) return Status::InvalidArgument("`tokenFile` of " + where + " is empty");
    }
  }
  config->token = Secret(std::move(token));
  config->username = Str(entry.node, "username");
  config->password = Secret(Str(entry.node, "password"));
  if (!config->token.empty() && !config->username.empty()) {
    return Status::InvalidArgument(where +
                                   " sets both a token and a username/password; keep one");
  }
  Result<std::string> cert = DataOrFile(entry, "client-certificate", owner, fs, getenv);
  if (!cert.ok()) return cert.status();
  Result<std::string> key = DataOrFile(entry, "client-key", owner, fs, getenv);
  if (!key.ok()) return key.status();
  if (cert->empty() != key->empty()) {
    return Status::InvalidArgument(where + " has a client " +
                                   (cert->empty() ? "key but no certificate" :
                                                    "certificate but no key") +
                                   "; set both client-certificate(-data) and client-key(-data)");
  }
  if (!cert->empty()) {
    pki::Identity identity{*cert, Secret(std::move(*key))};
    if (!pki::KeyMatchesCertificate(identity.chain_pem, identity.key_pem)) {
      return Status::InvalidArgument("the client key of " + where +
                                     " does not belong to its client certificate");
    }
    config->client_identity = std::move(identity);
  }
  return Status::Ok();
}

std::string ContextNames(const Merged& merged) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : merged.contexts) names.push_back(name);
  return names.empty() ? "it has no contexts" : "its contexts: " + Join(names, ", ");
}

Status Load(const Merged& merged, const std::string& wanted_context, FileSystem& fs,
            const std::function<const char*(const char*)>& getenv, KubeConfig* config) {
  const std::string files = Join(merged.files, ":");
  config->path = files;
  std::string context = wanted_context;
  if (context.empty()) {
    context = merged.current_context;
    if (context.empty()) {
      return Status::NotFound("kubeconfig " + files + " has no current-context; set `context` " +
                              "in the topology or run `kubectl config use-context NAME` (" +
                              ContextNames(merged) + ")");
    }
  }
  config->context = context;
  auto ctx = merged.contexts.find(context);
  if (ctx == merged.contexts.end()) {
    return Status::NotFound("context \"" + context + "\" is not in kubeconfig " + files + " (" +
                            ContextNames(merged) + ")");
  }
  const Entry& c = ctx->second;
  const std::string cluster_name = Str(c.node, "cluster");
  const std::string user_name = Str(c.node, "user");
  const std::string ns = Str(c.node, "namespace");
  if (!ns.empty()) config->namespace_ = ns;
  if (cluster_name.empty()) {
    return Status::InvalidArgument("context \"" + context + "\" in kubeconfig " + c.file +
                                   " names no cluster");
  }
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return Status::NotFound("context \"" + context + "\" in kubeconfig " + c.file +
                            " uses cluster \"" + cluster_name + "\", which is not defined in " +
                            files);
  }
  CROSSLINK_RETURN_IF_ERROR(LoadCluster(cluster->second, cluster_name, fs, getenv, config));
  if (user_name.empty()) return Status::Ok();  // anonymous, as kubectl allows
  auto user = merged.users.find(user_name);
  if (user == merged.users.end()) {
    return Status::NotFound("context \"" + context + "\" in kubeconfig " + c.file +
                            " uses user \"" + user_name + "\", which is not defined in " + files);
  }
  return LoadUser(user->second, user_name, fs, getenv, config);
}

}  // namespace

Result<KubeConfig> LoadKubeConfig(const std::string& kubeconfig, const std::string& context,
                                  FileSystem& fs,
                                  const std::function<const char*(const char*)>& getenv_in) {
  const std::function<const char*(const char*)> getenv =
      getenv_in ? getenv_in : [](const char* name) -> const char* { return ::getenv(name); };
  Source source = ChooseFiles(kubeconfig, getenv);
  Merged merged;
  CROSSLINK_RETURN_IF_ERROR(ReadSources(source, fs, &merged));
  KubeConfig config;
  try {
    CROSSLINK_RETURN_IF_ERROR(Load(merged, context, fs, getenv, &config));
  } catch (const YAML::Exception& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = " (line " + std::to_string(e.mark.line + 1) + ", column " +
              std::to_string(e.mark.column + 1) + ")";
    }
    return Status::InvalidArgument("kubeconfig " + Join(merged.files, ":") + where + ": " + e.msg);
  }
  return config;
}

}  // namespace crosslink::providers::eck
