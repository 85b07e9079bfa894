// The Elasticsearch provider: endpoint resolution and caching per cluster,
// and dispatch of Read / Plan / Create / Update / Delete to the resource
// files (resources.h).

#include "providers/elasticsearch/elasticsearch_provider.h"

#include <mutex>
#include <utility>

#include "providers/elasticsearch/es_client.h"
#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

namespace {

class ElasticsearchProvider : public Provider {
 public:
  explicit ElasticsearchProvider(ElasticsearchProviderOptions options)
      : options_(std::move(options)) {}

  std::string name() const override { return "elasticsearch"; }

  Status Configure(const ConfigureRequest& req) override {
    if (req.topology == nullptr || req.clock == nullptr || req.fs == nullptr) {
      return Status::Internal("elasticsearch provider: Configure needs topology, clock and fs");
    }
    topology_ = req.topology;
    clock_ = req.clock;
    fs_ = req.fs;
    getenv_ = req.getenv ? req.getenv : std::function<const char*(const char*)>(::getenv);
    std::lock_guard<std::mutex> lock(mu_);
    clients_.clear();
    return Status::Ok();
  }

  ReadResponse Read(const ReadRequest& req) override {
    ReadResponse resp;
    Result<const ClusterClient*> client = ClientFor(req.cluster);
    if (!client.ok()) {
      resp.status = client.status();
      return resp;
    }
    std::map<std::string, std::vector<const ReadItem*>> by_type;
    for (const ReadItem& item : req.items) by_type[item.type].push_back(&item);
    const ClusterClient& c = **client;
    Status s;
    for (const auto& [type, items] : by_type) {
      if (type == kApiKeyType) {
        s = ReadApiKeys(c, items, *clock_, &resp);
      } else if (type == kRemoteClusterType) {
        s = ReadRemoteClusters(c, items, &resp);
      } else if (type == kConnectionCheckType) {
        s = ReadConnectionChecks(c, items, &resp);
      } else if (type == kRoleType) {
        s = ReadRoles(c, items, &resp);
      } else {
        s = Status::Internal("elasticsearch provider: unknown resource type " + type);
      }
      if (!s.ok()) break;
    }
    // Orphans are found by the marks: crosslink's keys and roles are looked
    // for even when no item of that type is left on the cluster.
    if (s.ok() && by_type.count(kApiKeyType) == 0) s = ReadApiKeys(c, {}, *clock_, &resp);
    if (s.ok() && by_type.count(kRoleType) == 0) s = ReadRoles(c, {}, &resp);
    if (!s.ok()) {
      resp.status = s;
      resp.objects.clear();
      resp.orphans.clear();
    }
    return resp;
  }

  PlanResponse Plan(const PlanRequest& req) override {
    const std::string type = req.desired != nullptr ? req.desired->type
                             : req.prior != nullptr ? req.prior->type
                                                    : "";
    if (type == kApiKeyType) return PlanApiKey(req);
    if (type == kRemoteClusterType) return PlanRemoteCluster(req);
    if (type == kConnectionCheckType) return PlanConnectionCheck(req);
    if (type == kRoleType) return PlanRole(req);
    return DefaultPlan(req);
  }

  ApplyResponse Create(const ApplyRequest& req) override { return Apply(req, false); }
  ApplyResponse Update(const ApplyRequest& req) override { return Apply(req, true); }

  ApplyResponse Delete(const ApplyRequest& req) override {
    std::string type, cluster;
    if (!Target(req, &type, &cluster)) return Bad(req, "delete");
    Result<const ClusterClient*> client = ClientFor(cluster);
    if (!client.ok()) return Failed(client.status());
    if (type == kApiKeyType) return DeleteApiKey(**client, req, *clock_);
    if (type == kRemoteClusterType) return DeleteRemoteCluster(**client, req);
    if (type == kRoleType) return DeleteRole(**client, req);
    if (type == kConnectionCheckType) return ApplyResponse{};  // a check leaves nothing behind
    return Bad(req, "delete");
  }

 private:
  ApplyResponse Apply(const ApplyRequest& req, bool update) {
    std::string type, cluster;
    if (!Target(req, &type, &cluster)) return Bad(req, update ? "update" : "create");
    Result<const ClusterClient*> client = ClientFor(cluster);
    if (!client.ok()) return Failed(client.status());
    const ClusterClient& c = **client;
    if (type == kApiKeyType) return update ? UpdateApiKey(c, req, *clock_) : CreateApiKey(c, req);
    if (type == kRemoteClusterType) return PutRemoteCluster(c, req);
    if (type == kRoleType) return PutRole(c, req);
    if (type == kConnectionCheckType) {
      return RunConnectionCheck(c, req, *clock_, options_.check_timeout, options_.poll_interval);
    }
    return Bad(req, update ? "update" : "create");
  }

  static bool Target(const ApplyRequest& req, std::string* type, std::string* cluster) {
    if (req.desired != nullptr) {
      *type = req.desired->type;
      *cluster = req.desired->cluster;
    } else if (req.prior != nullptr) {
      *type = req.prior->type;
      *cluster = req.prior->cluster;
    }
    return !type->empty();
  }

  static ApplyResponse Bad(const ApplyRequest& req, const std::string& what) {
    return Failed(Status::Internal("elasticsearch provider cannot " + what + " " +
                                   ApplyAddress(req) + ": unknown resource type"));
  }

  // The client of `cluster`, resolved once and cached.
  Result<const ClusterClient*> ClientFor(const std::string& cluster) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = clients_.find(cluster);
      if (it != clients_.end()) return static_cast<const ClusterClient*>(it->second.get());
    }
    if (topology_ == nullptr) {
      return Status::Internal("elasticsearch provider used before Configure");
    }
    const topology::Cluster* c = topology_->FindCluster(cluster);
    if (c == nullptr) {
      return Status::InvalidArgument("cluster \"" + cluster + "\" is not in the topology " +
                                     topology_->file);
    }
    Result<Endpoint> endpoint = Resolve(*c);
    if (!endpoint.ok()) return endpoint.status();
    std::unique_ptr<http::HttpClient> http = options_.client_factory
                                                 ? options_.client_factory(endpoint->options)
                                                 : http::NewCurlClient(endpoint->options, *clock_);
    auto client =
        std::make_unique<ClusterClient>(cluster, std::move(endpoint).value(), std::move(http));
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = clients_.emplace(cluster, std::move(client));
    (void)inserted;  // another thread may have won: use its client
    return static_cast<const ClusterClient*>(it->second.get());
  }

  Result<Endpoint> Resolve(const topology::Cluster& c) {
    if (!c.url.empty()) return EndpointFromTopology(c, topology_->file, *fs_, getenv_);
    auto it = options_.resolvers.find(c.platform);
    if (it != options_.resolvers.end() && it->second != nullptr) return it->second->Resolve(c);
    return Status::InvalidArgument("cannot tell how to reach the REST API of cluster \"" + c.name +
                                   "\" (platform " + topology::PlatformName(c.platform) +
                                   "): set url (and ca_file, credentials) on the "
                                   "cluster in " +
                                   topology_->file);
  }

  ElasticsearchProviderOptions options_;
  const topology::Topology* topology_ = nullptr;
  Clock* clock_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::function<const char*(const char*)> getenv_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ClusterClient>> clients_;
};

}  // namespace

std::unique_ptr<Provider> NewElasticsearchProvider(ElasticsearchProviderOptions options) {
  return std::make_unique<ElasticsearchProvider>(std::move(options));
}

}  // namespace crosslink::providers::elasticsearch
