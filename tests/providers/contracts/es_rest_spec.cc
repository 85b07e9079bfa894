#include "tests/providers/contracts/es_rest_spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace crosslink::contracts {

namespace {

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  std::string s;
  while (std::getline(in, s, '/')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// -1: no match; else the number of literal segments matched.
int MatchPath(const std::string& pattern, const std::string& path) {
  auto p = Segments(pattern), s = Segments(path);
  if (p.size() != s.size()) return -1;
  int literal = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i].front() == '{' && p[i].back() == '}') continue;
    if (p[i] != s[i]) return -1;
    ++literal;
  }
  return literal;
}

const std::set<std::string>& GlobalParams() {
  static const std::set<std::string> k = {"filter_path", "pretty", "human", "error_trace",
                                          "format"};
  return k;
}

void CheckKeys(const Value& obj, const std::set<std::string>& allowed, const std::string& where,
               std::vector<std::string>* out) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) out->push_back(where + ": unknown field [" + it.key() + "]");
  }
}

bool StringList(const Value& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.empty()) return false;
  return std::all_of(v.begin(), v.end(), [](const Value& x) { return x.is_string(); });
}

void CheckAccess(const Value& access, std::vector<std::string>* out) {
  if (!access.is_object()) {
    out->push_back("access must be an object");
    return;
  }
  CheckKeys(access, {"search", "replication"}, "access", out);
  bool any = false;
  for (const char* kind : {"search", "replication"}) {
    if (!access.contains(kind)) continue;
    const Value& list = access[kind];
    if (!list.is_array()) {
      out->push_back(std::string("access.") + kind + " must be an array");
      continue;
    }
    any = any || !list.empty();
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = std::string("access.") + kind + "[" + std::to_string(i) + "]";
      const Value& e = list[i];
      if (!e.is_object()) {
        out->push_back(where + " must be an object");
        continue;
      }
      if (kind[0] == 's') {
        CheckKeys(e, {"names", "field_security", "query", "allow_restricted_indices"}, where, out);
      } else {
        CheckKeys(e, {"names", "allow_restricted_indices"}, where, out);
      }
      if (!e.contains("names") || !StringList(e["names"])) {
        out->push_back(where + ".names is required (a string or a non-empty string array)");
      }
      if (e.contains("allow_restricted_indices") && !e["allow_restricted_indices"].is_boolean()) {
        out->push_back(where + ".allow_restricted_indices must be a boolean");
      }
    }
  }
  if (!any) out->push_back("access needs at least one of search / replication");
}

}  // namespace

std::vector<std::string> CheckBodyShape(const std::string& name, const Value& body) {
  std::vector<std::string> out;
  if (!body.is_object()) {
    out.push_back(name + ": the body must be a JSON object");
    return out;
  }
  if (name == "security.create_cross_cluster_api_key" ||
      name == "security.update_cross_cluster_api_key") {
    const bool create = name == "security.create_cross_cluster_api_key";
    std::set<std::string> allowed = {"access", "expiration", "metadata", "certificate_identity"};
    if (create) allowed.insert("name");
    CheckKeys(body, allowed, name, &out);
    if (create && (!body.contains("name") || !body["name"].is_string())) {
      out.push_back(name + ": name (string) is required");
    }
    if (!body.contains("access")) {
      out.push_back(name + ": access is required");
    } else {
      CheckAccess(body["access"], &out);
    }
    if (body.contains("metadata")) {
      if (!body["metadata"].is_object()) {
        out.push_back(name + ": metadata must be an object");
      } else {
        for (auto it = body["metadata"].begin(); it != body["metadata"].end(); ++it) {
          if (!it.key().empty() && it.key()[0] == '_') {
            out.push_back(name + ": metadata key [" + it.key() + "] is reserved (starts with _)");
          }
        }
      }
    }
  } else if (name == "cluster.put_settings") {
    CheckKeys(body, {"persistent", "transient"}, name, &out);
    if (!body.contains("persistent") && !body.contains("transient")) {
      out.push_back(name + ": persistent or transient is required");
    }
    for (const char* k : {"persistent", "transient"}) {
      if (body.contains(k) && !body[k].is_object())
        out.push_back(name + ": " + k + " must be an object");
    }
  } else if (name == "security.invalidate_api_key") {
    CheckKeys(body, {"id", "ids", "name", "owner", "realm_name", "username"}, name, &out);
    if (body.contains("ids") && body.contains("name")) {
      out.push_back(name + ": ids and name cannot be used together");
    }
    if (body.contains("ids") && !(body["ids"].is_array() && StringList(body["ids"]))) {
      out.push_back(name + ": ids must be a non-empty string array");
    }
  } else if (name == "security.query_api_keys") {
    CheckKeys(body, {"query", "from", "size", "sort", "search_after", "aggs", "aggregations"}, name,
              &out);
    for (const char* k : {"from", "size"}) {
      if (body.contains(k) && !body[k].is_number_integer()) {
        out.push_back(name + ": " + k + " must be an integer");
      }
    }
    if (body.contains("query") && !(body["query"].is_object() && body["query"].size() == 1)) {
      out.push_back(name + ": query must hold exactly one query");
    }
  } else if (name == "security.put_role") {
    CheckKeys(body,
              {"cluster", "indices", "remote_indices", "remote_cluster", "applications", "run_as",
               "metadata", "transient_metadata", "global", "description"},
              name, &out);
    for (const char* k :
         {"cluster", "indices", "remote_indices", "remote_cluster", "applications", "run_as"}) {
      if (body.contains(k) && !body[k].is_array())
        out.push_back(name + ": " + k + " must be an array");
    }
    if (body.contains("metadata") && !body["metadata"].is_object()) {
      out.push_back(name + ": metadata must be an object");
    }
  }
  return out;
}

namespace {

// One rest-api-spec file's endpoint ({"<name>": {"url": {"paths": [..]},
// "params", "body"}}); a file of another shape is kInvalidArgument naming it.
Result<SpecEndpoint> ParseEndpoint(const Value& json, const std::string& file) {
  SpecEndpoint e;
  e.name = json.begin().key();
  const Value& v = json.begin().value();
  if (!v.is_object() || !v.contains("url") || !v["url"].is_object()) {
    return Status::InvalidArgument(file + ": endpoint " + e.name + " has no url object");
  }
  try {
    for (const Value& p : v["url"].value("paths", Value::array())) {
      SpecPath sp;
      sp.path = p.value("path", "");
      for (const Value& m : p.value("methods", Value::array())) {
        sp.methods.push_back(m.get<std::string>());
      }
      e.paths.push_back(std::move(sp));
    }
    if (v.contains("params") && v["params"].is_object()) {
      for (auto it = v["params"].begin(); it != v["params"].end(); ++it) {
        e.params.push_back(it.key());
      }
    }
    if (v.contains("body") && v["body"].is_object()) {
      e.body_allowed = true;
      e.body_required = v["body"].value("required", false);
    }
  } catch (const nlohmann::json::exception& ex) {
    return Status::InvalidArgument(file + ": endpoint " + e.name + ": " + ex.what());
  }
  return e;
}

}  // namespace

Result<EsRestSpec> EsRestSpec::Load(const std::string& dir) {
  EsRestSpec spec;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    Result<Value> json = ParseJson(text.str());
    if (!json.ok()) return json.status().WithContext(entry.path().string());
    if (!json->is_object() || json->size() != 1) {
      return Status::InvalidArgument(entry.path().string() + ": not a rest-api-spec file");
    }
    Result<SpecEndpoint> e = ParseEndpoint(*json, entry.path().string());
    if (!e.ok()) return e.status();
    spec.endpoints_.push_back(std::move(e).value());
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  if (spec.endpoints_.empty()) return Status::NotFound("no rest-api-spec files in " + dir);
  return spec;
}

const SpecEndpoint* EsRestSpec::Find(const std::string& path, std::string* pattern) const {
  const SpecEndpoint* best = nullptr;
  int best_score = -1;
  for (const SpecEndpoint& e : endpoints_) {
    for (const SpecPath& p : e.paths) {
      int score = MatchPath(p.path, path);
      if (score > best_score) {
        best_score = score;
        best = &e;
        *pattern = p.path;
      }
    }
  }
  return best;
}

std::string EsRestSpec::Match(const std::string& method, const std::string& path) const {
  for (const SpecEndpoint& e : endpoints_) {
    for (const SpecPath& p : e.paths) {
      if (MatchPath(p.path, path) < 0) continue;
      if (std::find(p.methods.begin(), p.methods.end(), method) != p.methods.end()) return e.name;
    }
  }
  return "";
}

std::vector<std::string> EsRestSpec::Check(const std::string& method, const std::string& url,
                                           const std::string& body) const {
  std::vector<std::string> out;
  std::string rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) {
    auto slash = rest.find('/', scheme + 3);
    rest = slash == std::string::npos ? "/" : rest.substr(slash);
  }
  std::string path = rest.substr(0, rest.find('?'));
  std::string query = rest.find('?') == std::string::npos ? "" : rest.substr(rest.find('?') + 1);
  const std::string what = method + " " + path;

  // The endpoint: a method-matching path first, else any path (wrong method).
  const SpecEndpoint* endpoint = nullptr;
  std::string name = Match(method, path);
  for (const SpecEndpoint& e : endpoints_) {
    if (e.name == name) endpoint = &e;
  }
  if (endpoint == nullptr) {
    std::string pattern;
    const SpecEndpoint* any = Find(path, &pattern);
    if (any == nullptr || MatchPath(pattern, path) < 0) {
      out.push_back(what + ": no endpoint of the REST spec has this path");
    } else {
      out.push_back(what + ": method not allowed by " + any->name);
    }
    return out;
  }
  std::stringstream params(query);
  std::string pair;
  while (std::getline(params, pair, '&')) {
    if (pair.empty()) continue;
    std::string key = pair.substr(0, pair.find('='));
    if (GlobalParams().count(key) || std::find(endpoint->params.begin(), endpoint->params.end(),
                                               key) != endpoint->params.end()) {
      continue;
    }
    out.push_back(what + ": query parameter [" + key + "] is not in " + endpoint->name);
  }
  if (body.empty()) {
    if (endpoint->body_required) out.push_back(what + ": " + endpoint->name + " requires a body");
    return out;
  }
  if (!endpoint->body_allowed) {
    out.push_back(what + ": " + endpoint->name + " takes no body");
    return out;
  }
  Result<Value> json = ParseJson(body);
  if (!json.ok()) {
    out.push_back(what + ": the body is not JSON");
    return out;
  }
  for (std::string& p : CheckBodyShape(endpoint->name, *json)) out.push_back(what + ": " + p);
  return out;
}

void RecordingLog::Add(RecordedRequest r) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(std::move(r));
}

std::vector<RecordedRequest> RecordingLog::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void RecordingLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

}  // namespace crosslink::contracts
