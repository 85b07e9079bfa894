#include "sandbox/k8s/es_webhook.h"

#include <optional>
#include <set>
#include <string>

#include "sandbox/util.h"

namespace crosslink::sandbox::k8s {

namespace {

std::vector<FieldError> Validate(const Value& es, const Value* old) {
  std::vector<FieldError> errors;
  const std::string name = es["metadata"].value("name", "");
  if (name.size() > kMaxEsNameLength) {
    errors.push_back({"FieldValueInvalid", "metadata.name",
                      "Invalid value: \"" + name +
                          "\": Elasticsearch configuration would generate resources with invalid names: name exceeds "
                          "maximum allowed length of " +
                          std::to_string(kMaxEsNameLength)});
  }
  const Value spec = es.value("spec", Value::object());
  const std::string version = spec.value("version", "");
  std::optional<Version> v = ParseVersionStrict(version);
  if (!v) {
    errors.push_back({"FieldValueInvalid", "spec.version",
                      "Invalid value: \"" + version +
                          "\": Cannot parse Elasticsearch version. String format must be {major}.{minor}.{patch}[-{label}]"});
  } else if (*v < Version{7, 17, 0}) {
    errors.push_back({"FieldValueInvalid", "spec.version",
                      "Invalid value: \"" + version + "\": Unsupported version: version " + version +
                          " is lower than the lowest supported version of 7.17.0"});
  }
  const bool old_api = v && *v <= Version{8, 10, 0};
  if (old_api && spec.value("remoteClusterServer", Value::object()).value("enabled", false)) {
    errors.push_back({"FieldValueForbidden", "spec.remoteClusterServer.enabled",
                      "Forbidden: remote cluster server requires Elasticsearch version 8.10.1 or later (got " + version + ")"});
  }
  std::set<std::string> seen;
  const Value node_sets = spec.value("nodeSets", Value::array());
  for (size_t i = 0; i < node_sets.size(); ++i) {
    const std::string ns_name = node_sets[i].value("name", "");
    if (!seen.insert(ns_name).second) {
      errors.push_back({"FieldValueDuplicate", "spec.nodeSets[" + std::to_string(i) + "].name",
                        "Duplicate value: \"" + ns_name + "\": NodeSet names must be unique"});
    }
  }
  seen.clear();
  const Value remotes = spec.value("remoteClusters", Value::array());
  for (size_t i = 0; i < remotes.size(); ++i) {
    const std::string alias = remotes[i].value("name", "");
    const std::string path = "spec.remoteClusters[" + std::to_string(i) + "]";
    if (!seen.insert(alias).second) {
      errors.push_back({"FieldValueDuplicate", path + ".name",
                        "Duplicate value: \"" + alias + "\": remote cluster names must be unique"});
    }
    if (old_api && remotes[i].contains("apiKey")) {
      errors.push_back({"FieldValueForbidden", path + ".apiKey",
                        "Forbidden: remote cluster API keys require Elasticsearch version 8.10.1 or later (got " + version + ")"});
    }
  }
  if (old != nullptr && v) {
    std::optional<Version> before = ParseVersionStrict((*old)["spec"].value("version", ""));
    if (before && *v < *before) {
      errors.push_back({"FieldValueForbidden", "spec.version",
                        "Forbidden: Downgrades are not supported (from " + (*old)["spec"].value("version", "") + " to " + version + ")"});
    }
  }
  return errors;
}

}  // namespace

ValidatingWebhook ElasticsearchWebhook() { return ValidatingWebhook{kEsWebhookName, &Validate}; }

}  // namespace crosslink::sandbox::k8s
