#pragma once
// crosslink::sandbox::eck::Operator: the ECK operator twin. It watches the
// API server twin and, for every Elasticsearch resource, does what ECK does
// (DOMAIN.md §2.3): CAs and certificates, the `<es>-es-*` Secrets and
// Services, one es::Twin per resource with its listeners on a "pod" address,
// rolling-restart simulation when anything that goes into the pods changes,
// status, and same-operator `spec.remoteClusters` (CA copies, cross-cluster
// API keys, sniff seeds). It also gives every Service of type LoadBalancer
// that selects an Elasticsearch cluster listeners on its address.
//
// Reconciles run on the operator's own thread (never inside an API request):
// every watch event and a periodic resync wake it, and each pass reconciles
// every resource. ReconcileNow() runs one pass on the caller's thread.
//
// Thread-safety: thread-safe.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "sandbox/es/twin.h"
#include "sandbox/host.h"
#include "sandbox/k8s/api_server.h"
#include "sandbox/k8s/es_webhook.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::eck {

struct OperatorOptions {
  std::string environment;               // the platform key, for listener names and events
  Version operator_version{3, 3, 0};
  std::string license = "enterprise";    // basic | gold | platinum | enterprise | trial
  std::chrono::milliseconds restart{1500};  // simulated rolling restart
  std::chrono::milliseconds resync{200};    // periodic pass while work is pending
};

class Operator {
 public:
  Operator(OperatorOptions options, k8s::ApiServer& api, Host& host);
  ~Operator();
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  // Names a resource's twin: `key` is used for listener names ("es/<key>/rest")
  // and FindTwin(). Resources without a given key use "<name>" (or
  // "<ns>-<name>" when that is taken).
  void SetClusterKey(const std::string& ns, const std::string& name, const std::string& key);

  void Start();  // starts the reconcile thread
  void Stop();   // joins it, closes every listener; idempotent
  void ReconcileNow();

  // New transport CA for one resource (CA rotation): certs-public changes and
  // the cluster restarts. kNotFound when the resource has no twin yet.
  Status RotateTransportCa(const std::string& ns, const std::string& name);

  es::Twin* FindTwin(const std::string& key);
  std::vector<std::string> cluster_keys() const;
  // Address of the resource's pods ("" when unknown).
  std::string PodAddress(const std::string& key) const;
  // PEM of the HTTP CA of a cluster ("" when unknown).
  std::string HttpCaPem(const std::string& key) const;

  Value Inspect() const;

 private:
  struct Cluster;
  struct Mounts;
  struct LbBinding;

  void Run();
  void Pass();
  void ReconcileCluster(const Value& es);
  void ReconcileRemoteClusters(const std::vector<Value>& all);
  void ReconcileLoadBalancers();
  void RemoveCluster(const std::string& id);

  Cluster* ClusterFor(const std::string& ns, const std::string& name);
  Status EnsureCertificates(Cluster& c, const Value& es);
  Status EnsureSecrets(Cluster& c, const Value& es);
  Status EnsureServices(Cluster& c, const Value& es);
  Status EnsureSecret(const std::string& ns, const std::string& name, const Value& labels, const Value& annotations,
                      const std::map<std::string, std::string>& data, bool owned, const Value& owner);
  Status EnsureService(const std::string& ns, const Value& desired);
  Result<es::NodeConfig> DesiredConfig(Cluster& c, const Value& es, std::string* hash);
  void UpdateStatus(Cluster& c, const Value& es);
  void Event(const std::string& type, const std::string& reason, const std::string& object, const std::string& message);

  OperatorOptions options_;
  k8s::ApiServer& api_;
  Host& host_;

  // Guards everything below; held for a whole pass (one pass at a time).
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Cluster>> clusters_;  // "<ns>/<name>"
  std::map<std::string, std::unique_ptr<LbBinding>> lbs_;     // "<ns>/<svc>"
  std::map<std::string, std::string> keys_;                   // "<ns>/<name>" -> cluster key
  Value events_ = Value::array();
  std::map<std::string, std::string> last_event_;             // object -> last message (no spam)
  std::vector<std::unique_ptr<es::Twin>> graveyard_;          // twins of deleted resources, freed at destruction

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool dirty_ = true;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace crosslink::sandbox::eck
