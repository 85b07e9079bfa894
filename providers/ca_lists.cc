#include "providers/ca_lists.h"

#include <algorithm>
#include <functional>
#include <sstream>

#include "engine/core/pki.h"

namespace crosslink::providers {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::vector<std::string> FlattenStrings(const Value& v) {
  std::vector<std::string> out;
  std::function<void(const Value&)> walk = [&](const Value& x) {
    if (x.is_string()) {
      if (!Contains(out, x.get<std::string>())) out.push_back(x.get<std::string>());
    } else if (x.is_array()) {
      for (const Value& e : x) walk(e);
    }
  };
  walk(v);
  return out;
}

std::string NormalizePem(const std::string& pem) {
  std::string out;
  std::istringstream in(pem);
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t\r");
    size_t e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) continue;
    out += line.substr(b, e - b + 1) + "\n";
  }
  return out;
}

std::vector<std::string> FlattenPems(const Value& v) {
  std::vector<std::string> out;
  for (const std::string& bundle : FlattenStrings(v)) {
    for (const std::string& cert : pki::SplitPemCertificates(bundle)) {
      std::string n = NormalizePem(cert);
      if (!Contains(out, n)) out.push_back(n);
    }
  }
  return out;
}

void EchoEquivalentCaLists(const Value& prior_attributes, LiveObject* live) {
  if (!live->exists || !prior_attributes.is_object() || !live->attributes.is_object()) return;
  for (const char* key : {"certificate_authorities", "certificates"}) {
    auto prior = prior_attributes.find(key);
    auto now = live->attributes.find(key);
    if (prior == prior_attributes.end() || now == live->attributes.end()) continue;
    std::vector<std::string> a = FlattenPems(*prior);
    std::vector<std::string> b = FlattenPems(*now);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b) *now = *prior;
  }
}
}  // namespace crosslink::providers
