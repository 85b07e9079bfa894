#pragma once
// crosslink::sandbox::k8s::ApiServer: a Kubernetes API server twin for the
// subset ECK users touch: Namespaces, Secrets, ConfigMaps, Services (core/v1)
// and elasticsearch.k8s.elastic.co/v1 Elasticsearch (checked against the
// installed CRD's structural schema and the ECK validating webhook).
//
// Two doors onto one store:
//  - Handle(): the REST API as an net::HttpHandler (bearer-token auth,
//    discovery, list/get/create/replace/patch/delete, /status subresource,
//    label and field selectors, Status error bodies like the real server);
//  - the typed methods (Create/Get/List/Replace/Patch/Delete/UpdateStatus):
//    what the operator twin and the platform use. They run exactly the same
//    admission (defaults, schema, webhook, resourceVersion checks).
//
// Every successful write bumps a global resourceVersion and is announced to
// subscribers (after the store lock is released) so controllers can react.
//
// Thread-safety: thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/value.h"
#include "sandbox/k8s/crd_schema.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::k8s {

// A resource the server knows, e.g. {"", "v1", "secrets", "Secret", true}.
struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;
  bool status_subresource = false;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "secrets" or "elasticsearches.elasticsearch.k8s.elastic.co" (error messages).
  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
};

// A failed API call: the fields of a metav1.Status.
struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...
  std::string message;
  Value details;  // {"name":..,"group":..,"kind":..,"causes":[..]} or null
  Value ToStatus() const;
};

struct ApiResult {
  Value object;  // the stored object (or list) on success
  std::optional<ApiError> error;
  std::vector<std::string> warnings;  // "unknown field \"spec.foo\""
  int code = 200;                     // 200 or 201 on success
  bool ok() const { return !error.has_value(); }
};

// A change announced to subscribers.
struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  const ResourceType* resource = nullptr;
  Value object;
};

// An admission check on Elasticsearch objects (the ECK validating webhook).
// Returns the field errors that deny the request (empty: allowed).
struct ValidatingWebhook {
  std::string name;  // "elastic-es-validation-v1.k8s.elastic.co"
  std::function<std::vector<FieldError>(const Value& object, const Value* old_object)> validate;
};

enum class FieldValidation { kIgnore, kWarn, kStrict };

struct WriteOptions {
  FieldValidation field_validation = FieldValidation::kWarn;
  bool dry_run = false;
};

class ApiServer {
 public:
  struct Options {
    std::string token;                // the only accepted bearer token
    std::shared_ptr<const CrdSchema> elasticsearch_crd;  // required
    std::vector<ValidatingWebhook> webhooks;
    // Assigns status.loadBalancer.ingress[0].ip to Services of type
    // LoadBalancer; unset leaves them <pending> as on a cluster without a
    // load-balancer controller. spec.loadBalancerIP, when set, is used as is.
    std::function<std::string()> allocate_load_balancer_ip;
    std::string server_version = "v1.31.0";
  };
  ApiServer(Options options, Clock& clock);
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The REST API.
  net::HttpResponse Handle(const net::HttpRequest& request);

  // The known resources; nullptr if `group`/`plural` is not served.
  static const ResourceType* Find(const std::string& group, const std::string& plural);
  static const ResourceType& Namespaces();
  static const ResourceType& Secrets();
  static const ResourceType& ConfigMaps();
  static const ResourceType& Services();
  static const ResourceType& Elasticsearches();

  // Typed access (namespace "" for cluster-scoped resources; for List, ""
  // lists across namespaces). label_selector/field_selector use the API syntax.
  ApiResult Get(const ResourceType& type, const std::string& ns, const std::string& name) const;
  ApiResult List(const ResourceType& type, const std::string& ns, const std::string& label_selector = "",
                 const std::string& field_selector = "") const;
  ApiResult Create(const ResourceType& type, const std::string& ns, Value object, WriteOptions options = {});
  ApiResult Replace(const ResourceType& type, const std::string& ns, const std::string& name, Value object,
                    WriteOptions options = {});
  // content_type: application/merge-patch+json, application/strategic-merge-patch+json,
  // application/json-patch+json.
  ApiResult Patch(const ResourceType& type, const std::string& ns, const std::string& name, const std::string& content_type,
                  const Value& patch, WriteOptions options = {});
  ApiResult Delete(const ResourceType& type, const std::string& ns, const std::string& name);
  // The status subresource: only .status changes.
  ApiResult ReplaceStatus(const ResourceType& type, const std::string& ns, const std::string& name, Value object);
  ApiResult PatchStatus(const ResourceType& type, const std::string& ns, const std::string& name, const Value& merge_patch);

  // Subscribers are called after every successful write, outside the store
  // lock, on the writing thread; they must be quick (enqueue work).
  void Subscribe(std::function<void(const WatchEvent&)> callback);

  // Every stored object (inspection).
  Value Dump() const;

 private:
  struct Stored;
  ApiResult Write(const ResourceType& type, const std::string& ns, const std::string& name, const std::string& verb,
                  std::function<std::optional<ApiError>(const Value* current, Value* next)> mutate,
                  WriteOptions options, bool status_only);
  std::optional<ApiError> Admit(const ResourceType& type, const std::string& ns, Value* object, const Value* old,
                                WriteOptions options, std::vector<std::string>* warnings);
  void Notify(const WatchEvent& event);

  Options options_;
  Clock& clock_;
  mutable std::mutex mu_;
  int64_t resource_version_ = 0;
  // plural -> "<ns>/<name>" -> object
  std::map<std::string, std::map<std::string, Value>> store_;
  std::mutex subscribers_mu_;
  std::vector<std::function<void(const WatchEvent&)>> subscribers_;
};

}  // namespace crosslink::sandbox::k8s
