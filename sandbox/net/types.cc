// The plain value types of net.h: requests/responses, fault specs and the
// fault table, glob matching.

#include <cmath>

#include "sandbox/net/net.h"

namespace crosslink::sandbox::net {

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::Query(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

HttpResponse HttpResponse::Json(int status, const Value& body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump(-1, ' ', false, Value::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

Value FaultSpec::ToJson() const {
  Value v = Value::object();
  v["latency_ms"] = static_cast<int64_t>(latency.count());
  v["error_rate"] = error_rate;
  v["error_status"] = error_status;
  v["reset_rate"] = reset_rate;
  v["down"] = down;
  return v;
}

namespace {

Status ReadRate(const Value& json, const char* field, double* out) {
  if (!json.contains(field)) return Status::Ok();
  const Value& v = json.at(field);
  if (!v.is_number()) return Status::InvalidArgument(std::string("[") + field + "] must be a number");
  double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1) {
    return Status::InvalidArgument(std::string("[") + field + "] must be between 0 and 1");
  }
  *out = d;
  return Status::Ok();
}

}  // namespace

Result<FaultSpec> FaultSpec::FromJson(const Value& json) {
  if (!json.is_object()) return Status::InvalidArgument("fault spec must be a JSON object");
  static const char* kKnown[] = {"latency_ms", "error_rate", "error_status", "reset_rate", "down"};
  for (auto it = json.begin(); it != json.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) return Status::InvalidArgument("unknown fault field [" + it.key() + "]");
  }
  FaultSpec spec;
  if (json.contains("latency_ms")) {
    const Value& v = json.at("latency_ms");
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
      return Status::InvalidArgument("[latency_ms] must be an integer");
    }
    int64_t ms = v.get<int64_t>();
    if (ms < 0 || ms > 600000) {
      return Status::InvalidArgument("[latency_ms] must be between 0 and 600000");
    }
    spec.latency = std::chrono::milliseconds(ms);
  }
  CROSSLINK_RETURN_IF_ERROR(ReadRate(json, "error_rate", &spec.error_rate));
  CROSSLINK_RETURN_IF_ERROR(ReadRate(json, "reset_rate", &spec.reset_rate));
  if (json.contains("error_status")) {
    const Value& v = json.at("error_status");
    if (!v.is_number_integer()) return Status::InvalidArgument("[error_status] must be an integer");
    int s = v.get<int>();
    if (s != 429 && s != 500 && s != 503) {
      return Status::InvalidArgument("[error_status] must be 429, 500 or 503");
    }
    spec.error_status = s;
  }
  if (json.contains("down")) {
    if (!json.at("down").is_boolean()) return Status::InvalidArgument("[down] must be a boolean");
    spec.down = json.at("down").get<bool>();
  }
  return spec;
}

void FaultTable::Set(const std::string& pattern, const FaultSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  // Re-setting a pattern moves it to the end: the newest rule wins.
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->first == pattern) {
      rules_.erase(it);
      break;
    }
  }
  rules_.emplace_back(pattern, spec);
}

void FaultTable::Clear(const std::string& pattern) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->first == pattern) {
      rules_.erase(it);
      return;
    }
  }
}

void FaultTable::ClearAll() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

FaultSpec FaultTable::Lookup(std::string_view listener, std::string_view route) const {
  std::lock_guard<std::mutex> lock(mu_);
  FaultSpec spec;
  for (const auto& [pattern, rule] : rules_) {
    if (GlobMatch(pattern, listener) || (!route.empty() && GlobMatch(pattern, route))) {
      spec = rule;
    }
  }
  return spec;
}

Value FaultTable::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  Value out = Value::array();
  for (const auto& [pattern, rule] : rules_) {
    Value v = rule.ToJson();
    v["pattern"] = pattern;
    out.push_back(std::move(v));
  }
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view text, bool question_mark) {
  // Iterative '*' matcher with single backtrack point (linear-ish, no recursion).
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && (pattern[p] == text[t] || (question_mark && pattern[p] == '?'))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace crosslink::sandbox::net
