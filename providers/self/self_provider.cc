// The self provider (self_provider.h): nodes and REST client per cluster,
// batched Read, Plan with restart reasons, and restart groups applied node
// by node. What each type writes to a node is self_resources.cc.

#include "providers/self/self_provider.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "engine/core/http.h"
#include "engine/graph/resource.h"
#include "engine/topology/secret_ref.h"
#include "providers/ca_lists.h"
#include "providers/elasticsearch/es_client.h"
#include "providers/self/node_internal.h"
#include "providers/self/self_resources.h"

namespace crosslink::providers::self {
namespace {

using internal::AddUnique;
using internal::Contains;
using internal::JoinNames;
using Progress = std::function<void(const std::string& message)>;

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

ApplyResponse Failed(const Status& status) {
  ApplyResponse r;
  r.status = status;
  return r;
}

// "node es1" / "nodes es1, es2"
std::string NodesPhrase(const std::vector<std::string>& names) {
  return (names.size() == 1 ? "node " : "nodes ") + JoinNames(names);
}

bool HasRef(const Value& v) { return !graph::CollectRefs(v).empty(); }

std::string TypeOf(const std::string& address, const ApplyRequest& r) {
  if (r.desired) return r.desired->type;
  if (r.prior && !r.prior->type.empty()) return r.prior->type;
  return address.substr(0, address.find('.'));
}

std::string ClusterOf(const ApplyRequest& r) {
  return r.desired ? r.desired->cluster : r.prior ? r.prior->cluster : "";
}

// Trust restrictions match the otherName SAN: without one, the restriction
// would lock the cluster's own nodes out (DOMAIN SM.TRUST.RESTRICT).
Status NoOtherName(const Node& node, const TransportTls& tls) {
  return Status::FailedPrecondition(
      node.Describe() + ": its transport certificate (CN " +
      (tls.common_name.empty() ? std::string("none") : tls.common_name) +
      ") has no otherName SAN, so a trust restriction would lock the cluster's own nodes out; "
      "reissue the nodes' transport certificates with an otherName (certutil instances.yaml "
      "`cn:` entries, e.g. \"" +
      node.name() +
      ".node.<cluster>.cluster.<scope>.account\"), "
      "then apply again (DOMAIN SM.TRUST.RESTRICT)");
}

class SelfProviderImpl : public Provider {
 public:
  explicit SelfProviderImpl(SelfProviderOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "self"; }

  Status Configure(const ConfigureRequest& req) override {
    if (req.topology == nullptr || req.clock == nullptr || req.fs == nullptr) {
      return Status::Internal(
          "self provider: Configure needs a topology, a clock and a filesystem");
    }
    topology_ = req.topology;
    clock_ = req.clock;
    fs_ = req.fs;
    getenv_ = req.getenv ? req.getenv : [](const char* n) -> const char* { return ::getenv(n); };
    topology_dir_ = topology::TopologyDirectory(topology_->file);
    if (options_.runner == nullptr) {
      own_runner_ = NewProcessRunner(*clock_);
      options_.runner = own_runner_.get();
    }
    return Status::Ok();
  }

  ReadResponse Read(const ReadRequest& req) override;
  PlanResponse Plan(const PlanRequest& req) override;
  ApplyResponse Create(const ApplyRequest& req) override { return One(ChangeAction::kCreate, req); }
  ApplyResponse Update(const ApplyRequest& req) override { return One(ChangeAction::kUpdate, req); }
  ApplyResponse Delete(const ApplyRequest& req) override { return One(ChangeAction::kDelete, req); }
  std::vector<ApplyResponse> ApplyGroup(const std::vector<GroupChange>& changes) override;

 private:
  struct NodeEntry {
    const topology::NodeDelivery* delivery = nullptr;
    std::unique_ptr<Node> node;
    Status status;  // why `node` could not be made
  };
  // One cluster: its nodes (topology order) and REST client; `mu` serialises
  // everything done to them.
  struct ClusterCtx {
    std::mutex mu;
    const topology::Cluster* cluster = nullptr;
    std::vector<NodeEntry> nodes;
    std::unique_ptr<elasticsearch::ClusterClient> client;
    Status client_status;
    bool client_made = false;
    NodeEntry* Find(const std::string& name) {
      for (NodeEntry& n : nodes) {
        if (n.delivery->name == name) return &n;
      }
      return nullptr;
    }
  };

  // A node-type change of a group, with its part of each node.
  struct GroupMember {
    size_t index = 0;
    ChangeAction action = ChangeAction::kNoOp;
    std::string type;
    std::map<std::string, NodePart> parts;  // by node name
    bool ok = true;
    Value outputs = Value::object();
  };

  Result<ClusterCtx*> Cluster(const std::string& name);
  Result<elasticsearch::ClusterClient*> Client(ClusterCtx& ctx);
  std::string ClusterName(const ClusterCtx& ctx) const {
    return "cluster \"" + ctx.cluster->name + "\"";
  }
  Status NoSuchNode(const ClusterCtx& ctx, const std::string& node) const {
    std::vector<std::string> names;
    for (const NodeEntry& n : ctx.nodes) names.push_back(n.delivery->name);
    return Status::InvalidArgument(ClusterName(ctx) + " has no node " + node +
                                   " in the topology (its nodes: " + JoinNames(names) +
                                   "); add it to the cluster's `nodes`, or run `crosslink plan` "
                                   "again so that the resource lists the topology's nodes");
  }

  ApplyResponse One(ChangeAction action, const ApplyRequest& req) {
    GroupChange change;
    change.action = action;
    change.address = req.desired ? req.desired->address : req.prior ? req.prior->address : "";
    change.request = req;
    return ApplyGroup({change})[0];
  }

  LiveObject ReadNodeResource(const ReadItem& item,
                              const std::map<std::string, NodeReadback>& readbacks);
  Result<LiveObject> ReadTransportCa(ClusterCtx& ctx, const Value& attributes);
  void CheckOtherNames(ClusterCtx& ctx, const graph::ResourceSpec& spec, Diagnostics* diagnostics);
  void RestartNote(const std::string& cluster, const Value& attributes, PlanResponse* resp);

  void ApplyCluster(ClusterCtx& ctx, const std::vector<GroupChange>& changes,
                    const std::vector<size_t>& indexes, std::vector<ApplyResponse>* out);
  Status BuildMember(ClusterCtx& ctx, const GroupChange& change, GroupMember* m,
                     std::map<std::string, Result<TransportTls>>* tls);
  ApplyResponse Reload(ClusterCtx& ctx, const ApplyRequest& req);
  // Nodes in the cluster now (_cluster/health number_of_nodes); 0 when
  // unknown. Under ctx.mu.
  Result<int64_t> NodeCount(ClusterCtx& ctx, const std::string& node);
  // Until the REST API answers with at least `nodes` nodes (the count
  // before the restart: the node rejoined), bounded by restart_timeout.
  Status WaitForApi(ClusterCtx& ctx, const std::string& node, int64_t nodes,
                    const Progress& progress);

  SelfProviderOptions options_;
  std::unique_ptr<CommandRunner> own_runner_;
  const topology::Topology* topology_ = nullptr;
  Clock* clock_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::function<const char*(const char*)> getenv_;
  std::string topology_dir_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ClusterCtx>> clusters_;
};

// ---------------------------------------------------------------- clusters

Result<SelfProviderImpl::ClusterCtx*> SelfProviderImpl::Cluster(const std::string& name) {
  if (topology_ == nullptr) return Status::Internal("self provider used before Configure");
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = clusters_[name];
  if (slot) return slot.get();
  const topology::Cluster* c = topology_->FindCluster(name);
  if (c == nullptr || c->platform != topology::Platform::kSelf) {
    clusters_.erase(name);
    return Status::InvalidArgument("cluster \"" + name +
                                   "\" is not a self-managed cluster of the topology");
  }
  if (c->nodes.empty()) {
    clusters_.erase(name);
    return Status::InvalidArgument("cluster \"" + name +
                                   "\" lists no `nodes`: crosslink needs each node's delivery "
                                   "(local home or bundle_dir) to change its configuration");
  }
  slot = std::make_unique<ClusterCtx>();
  slot->cluster = c;
  for (const topology::NodeDelivery& d : c->nodes) {
    NodeEntry entry;
    entry.delivery = &d;
    topology::NodeDelivery resolved = d;
    if (!resolved.home.empty())
      resolved.home = topology::ResolveTopologyPath(topology_dir_, d.home);
    if (!resolved.bundle_dir.empty()) {
      resolved.bundle_dir = topology::ResolveTopologyPath(topology_dir_, d.bundle_dir);
    }
    NodeOptions node_options;
    node_options.fs = fs_;
    node_options.runner = options_.runner;
    node_options.restart_timeout = options_.restart_timeout;
    Result<std::unique_ptr<Node>> node = options_.node_factory
                                             ? options_.node_factory(resolved, node_options)
                                             : NewNode(resolved, node_options);
    if (node.ok()) {
      entry.node = std::move(node).value();
    } else {
      entry.status = node.status().WithContext("cluster \"" + name + "\" node " + d.name);
    }
    slot->nodes.push_back(std::move(entry));
  }
  return slot.get();
}

// Under ctx.mu.
Result<elasticsearch::ClusterClient*> SelfProviderImpl::Client(ClusterCtx& ctx) {
  if (!ctx.client_made) {
    ctx.client_made = true;
    Result<elasticsearch::Endpoint> ep =
        elasticsearch::EndpointFromTopology(*ctx.cluster, topology_->file, *fs_, getenv_);
    if (!ep.ok()) {
      ctx.client_status = ep.status();
    } else {
      std::unique_ptr<http::HttpClient> http = options_.client_factory
                                                   ? options_.client_factory(ep->options)
                                                   : http::NewCurlClient(ep->options, *clock_);
      ctx.client = std::make_unique<elasticsearch::ClusterClient>(
          ctx.cluster->name, std::move(ep).value(), std::move(http));
    }
  }
  if (!ctx.client) return ctx.client_status;
  return ctx.client.get();
}

// ---------------------------------------------------------------- read

ReadResponse SelfProviderImpl::Read(const ReadRequest& req) {
  ReadResponse resp;
  Result<ClusterCtx*> found = Cluster(req.cluster);
  if (!found.ok()) {
    resp.status = found.status();
    return resp;
  }
  ClusterCtx& ctx = **found;
  std::lock_guard<std::mutex> lock(ctx.mu);
  bool need_nodes = false;
  for (const ReadItem& item : req.items) need_nodes |= IsNodeType(item.type);
  std::map<std::string, NodeReadback> readbacks;
  if (need_nodes) {
    for (NodeEntry& n : ctx.nodes) {
      if (!n.status.ok()) {
        resp.status = n.status;
        return resp;
      }
      Result<NodeReadback> rb = n.node->Read();
      if (!rb.ok()) {
        resp.status = rb.status().WithContext(ClusterName(ctx));
        return resp;
      }
      readbacks[n.delivery->name] = std::move(rb).value();
    }
  }
  for (const ReadItem& item : req.items) {
    const Value& attrs = item.desired ? item.desired->attributes
                         : item.prior ? item.prior->attributes
                                      : Value::object();
    if (item.type == kTransportCaType) {
      Result<LiveObject> live = ReadTransportCa(ctx, attrs);
      if (live.ok()) {
        resp.objects[item.address] = std::move(live).value();
      } else {
        resp.diagnostics.Error(item.desired ? item.desired->origin : SourceLocation{}, "",
                               item.address + ": " + live.status().message());
      }
    } else if (item.type == kReloadType) {
      LiveObject live;
      if (item.prior != nullptr) {
        live.exists = true;
        live.attributes = item.prior->attributes;
        live.outputs = item.prior->outputs;
        live.managed_by_crosslink = true;
      }
      resp.objects[item.address] = std::move(live);
    } else if (IsNodeType(item.type)) {
      LiveObject live = ReadNodeResource(item, readbacks);
      if (item.type == kCredentialType && item.prior == nullptr && live.exists) {
        resp.diagnostics.Warning(
            item.desired ? item.desired->origin : SourceLocation{}, "",
            item.address + ": keystore entry " + elasticsearch::JsonString(attrs, "setting") +
                " already exists on " + NodesPhrase(NodesOf(live.attributes)) +
                " and crosslink did not write it",
            "remove it from those nodes' keystores (bin/elasticsearch-keystore remove), or give "
            "the connection another alias");
      }
      resp.objects[item.address] = std::move(live);
      if (item.type == kTrustRestrictionsType && item.desired != nullptr) {
        CheckOtherNames(ctx, *item.desired, &resp.diagnostics);
      }
    } else {
      resp.diagnostics.Error(SourceLocation{}, "",
                             item.address + ": the self provider does not know type " + item.type);
    }
  }
  return resp;
}

// In sync when every node has the resource's keys, files (with the bytes
// recorded at apply), entries and taken-over settings.
LiveObject SelfProviderImpl::ReadNodeResource(
    const ReadItem& item, const std::map<std::string, NodeReadback>& readbacks) {
  LiveObject live;
  const Value& attrs = item.prior ? item.prior->attributes : item.desired->attributes;
  const Value& recorded = item.prior ? item.prior->outputs : Value::object();
  Result<NodePart> expected = ExpectedPart(item.type, attrs);
  if (!expected.ok()) return live;  // cannot tell what to look for: (re)create
  const bool expects_something = !expected->settings.empty() || !expected->file_names.empty() ||
                                 !expected->keystore_names.empty();
  bool present = false;
  std::vector<std::string> present_on;
  std::vector<std::string> problems;
  for (const std::string& node : NodesOf(attrs)) {
    auto rb_it = readbacks.find(node);
    if (rb_it == readbacks.end()) {
      problems.push_back("node " + node + " is no longer in the topology");
      continue;
    }
    const NodeReadback& rb = rb_it->second;
    static const ManagedSettings kNone;
    const ManagedSettings& block = rb.block ? rb.block->settings : kNone;
    bool here = false;
    for (const auto& [key, value] : expected->settings) {
      auto it = block.find(key);
      if (it == block.end()) {
        problems.push_back("node " + node + ": " + key + " is missing from the managed block");
      } else {
        here = true;
        if (it->second != value) {
          problems.push_back("node " + node + ": " + key + " is " + DumpJson(it->second) +
                             ", crosslink sets " + DumpJson(value));
        }
      }
    }
    for (const std::string& key : expected->unset) {
      if (block.count(key)) problems.push_back("node " + node + ": " + key + " is set again");
    }
    const Value& shas = Member(Member(recorded, "files"), node);
    for (const std::string& f : expected->file_names) {
      auto it = rb.files.find(f);
      if (it == rb.files.end()) {
        problems.push_back("node " + node + ": config/crosslink/" + f + " is missing");
        continue;
      }
      here = true;
      const Value& sha = Member(shas, f);
      if (sha.is_string() && sha.get<std::string>() != it->second) {
        problems.push_back("node " + node + ": config/crosslink/" + f +
                           " was changed outside crosslink");
      }
    }
    for (const std::string& k : expected->keystore_names) {
      if (Contains(rb.keystore_names, k)) {
        here = true;
      } else {
        problems.push_back("node " + node + ": keystore entry " + k + " is missing");
      }
    }
    const Value& taken = Member(Member(recorded, "take_over"), node);
    if (taken.is_array()) {
      for (const Value& k : taken) {
        if (k.is_string() && !Contains(rb.taken_over, k.get<std::string>())) {
          problems.push_back("node " + node + ": " + k.get<std::string>() +
                             " is active again outside the managed block (crosslink disabled it)");
        }
      }
    }
    if (!expected->settings.empty() && rb.block && rb.block->hand_edited()) {
      problems.push_back("node " + node + ": " +
                         (rb.drift.empty() ? "the managed block was edited by hand" : rb.drift));
    }
    if (here) present_on.push_back(node);
    present |= here;
  }
  if (item.prior != nullptr) {
    // Gone from every node: made again; partly there: drift.
    if (expects_something && !present) return live;
    live.exists = true;
    live.managed_by_crosslink = true;
    live.attributes = item.prior->attributes;
    live.outputs = item.prior->outputs;
    if (!problems.empty()) {
      std::string drift;
      for (const std::string& p : problems) drift += (drift.empty() ? "" : "; ") + p;
      live.outputs["drift"] = drift;
    }
    return live;
  }
  // Not in state.
  if (!present) return live;
  live.exists = true;
  live.attributes = Value{{"nodes", present_on}};
  // Keystore entries carry no mark and their values cannot be read back: an
  // entry crosslink has no state for is someone else's (never overwritten,
  // never removed). Block keys and config/crosslink/ files are crosslink's.
  live.managed_by_crosslink = item.type != kCredentialType;
  return live;
}

// Plan time: refuse trust restrictions on nodes whose certificate has no
// otherName before anything is applied (local nodes; a bundle node's
// certificate cannot be read).
void SelfProviderImpl::CheckOtherNames(ClusterCtx& ctx, const graph::ResourceSpec& spec,
                                       Diagnostics* diagnostics) {
  for (const std::string& name : NodesOf(spec.attributes)) {
    NodeEntry* n = ctx.Find(name);
    if (n == nullptr || !n->status.ok()) continue;
    if (n->delivery->kind == topology::NodeDelivery::Kind::kBundle) continue;
    Result<TransportTls> tls = n->node->ReadTransportTls();
    if (!tls.ok()) {
      diagnostics->Error(spec.origin, "", spec.address + ": " + tls.status().message());
    } else if (tls->node_names.empty()) {
      diagnostics->Error(spec.origin, "",
                         spec.address + ": " + NoOtherName(*n->node, *tls).message());
    }
  }
}

Result<LiveObject> SelfProviderImpl::ReadTransportCa(ClusterCtx& ctx, const Value& attrs) {
  std::vector<std::string> names = NodesOf(attrs);
  if (names.empty()) {
    for (const NodeEntry& n : ctx.nodes) names.push_back(n.delivery->name);
  }
  std::vector<std::string> pems, node_names;
  for (const std::string& name : names) {
    NodeEntry* n = ctx.Find(name);
    if (n == nullptr) {
      return NoSuchNode(ctx, name);
    }
    if (!n->status.ok()) return n->status;
    Result<TransportTls> tls = n->node->ReadTransportTls();
    if (!tls.ok()) return tls.status();
    for (const std::string& pem : tls->ca_pems) AddUnique(&pems, NormalizePem(pem));
    std::vector<std::string> own = tls->node_names;
    if (own.empty() && !tls->common_name.empty()) own.push_back(tls->common_name);
    for (const std::string& s : own) AddUnique(&node_names, s);
  }
  if (pems.empty()) {
    return Status::FailedPrecondition(ClusterName(ctx) +
                                      ": no transport CA found on its nodes; configure "
                                      "xpack.security.transport.ssl (certificate_authorities or a "
                                      "truststore) on every node");
  }
  LiveObject live;
  live.exists = true;
  live.attributes = attrs;
  live.outputs =
      Value{{"ca_pems", pems}, {"node_names", node_names}, {"trust_restriction", node_names}};
  return live;
}

// ---------------------------------------------------------------- plan

PlanResponse SelfProviderImpl::Plan(const PlanRequest& req) {
  PlanResponse resp = DefaultPlan(req);
  if (resp.action == ChangeAction::kNoOp && req.desired != nullptr && req.live != nullptr &&
      req.live->exists && req.live->outputs.is_object() && req.live->outputs.contains("drift")) {
    resp.action = ChangeAction::kUpdate;
    resp.reason = Member(req.live->outputs, "drift").get<std::string>();
  }
  const std::string type = req.desired ? req.desired->type : req.prior ? req.prior->type : "";
  const bool changes =
      resp.action == ChangeAction::kCreate || resp.action == ChangeAction::kUpdate ||
      resp.action == ChangeAction::kReplace || resp.action == ChangeAction::kDelete;
  if (!changes || !IsRestartingType(type)) return resp;
  const Value& attrs = req.desired ? req.attributes : req.prior->attributes;
  if (type == kClientTlsType) {
    // No CA before nor after: the yml does not change.
    auto no_ca = [](const Value& a) {
      const Value& cas = Member(a, "certificate_authorities");
      return !HasRef(cas) && FlattenPems(cas).empty();
    };
    if (no_ca(attrs) && (req.prior == nullptr || no_ca(req.prior->attributes))) {
      resp.restart_not_needed = true;
      resp.reason += std::string(resp.reason.empty() ? "" : "; ") +
                     "no private CA to trust: elasticsearch.yml unchanged, no restart";
      return resp;
    }
  }
  const std::string cluster = req.desired ? req.desired->cluster : req.prior->cluster;
  RestartNote(cluster, attrs, &resp);
  return resp;
}

// Who restarts the nodes: crosslink (local with a restart command) or the user.
void SelfProviderImpl::RestartNote(const std::string& cluster, const Value& attrs,
                                   PlanResponse* resp) {
  const topology::Cluster* c = topology_ ? topology_->FindCluster(cluster) : nullptr;
  std::vector<std::string> names = NodesOf(attrs);
  std::vector<std::string> automatic, bundle, manual;
  for (const std::string& name : names) {
    const topology::NodeDelivery* d = nullptr;
    if (c != nullptr) {
      for (const topology::NodeDelivery& n : c->nodes) {
        if (n.name == name) d = &n;
      }
    }
    if (d == nullptr) continue;
    if (d->kind == topology::NodeDelivery::Kind::kBundle) {
      bundle.push_back(name);
    } else if (d->restart.empty()) {
      manual.push_back(name);
    } else {
      automatic.push_back(name);
    }
  }
  std::vector<std::string> notes;
  if (!automatic.empty()) notes.push_back("rolling restart of " + NodesPhrase(automatic));
  if (!bundle.empty()) notes.push_back("restart required (bundle: yours)");
  if (!manual.empty()) {
    notes.push_back("restart required: " + NodesPhrase(manual) +
                    (manual.size() == 1 ? " has" : " have") + " no restart command");
  }
  resp->restarts_cluster = !automatic.empty();
  resp->restart_not_needed = automatic.empty();
  for (const std::string& n : notes) resp->reason += (resp->reason.empty() ? "" : "; ") + n;
}

// ---------------------------------------------------------------- apply

std::vector<ApplyResponse> SelfProviderImpl::ApplyGroup(const std::vector<GroupChange>& changes) {
  std::vector<ApplyResponse> out(changes.size());
  std::map<std::string, std::vector<size_t>> by_cluster;
  for (size_t i = 0; i < changes.size(); ++i) {
    by_cluster[ClusterOf(changes[i].request)].push_back(i);
  }
  for (const auto& [cluster, indexes] : by_cluster) {
    Result<ClusterCtx*> ctx = Cluster(cluster);
    if (!ctx.ok()) {
      for (size_t i : indexes) out[i] = Failed(ctx.status().WithContext(changes[i].address));
      continue;
    }
    std::lock_guard<std::mutex> lock((*ctx)->mu);
    ApplyCluster(**ctx, changes, indexes, &out);
  }
  return out;
}

// The change's part of each node it names (and removal from the nodes it
// no longer names). Fails before anything is written.
Status SelfProviderImpl::BuildMember(ClusterCtx& ctx, const GroupChange& change, GroupMember* m,
                                     std::map<std::string, Result<TransportTls>>* tls_cache) {
  const ApplyRequest& r = change.request;
  const Value* prior = r.prior ? &r.prior->attributes : nullptr;
  std::vector<std::string> want =
      m->action == ChangeAction::kDelete ? std::vector<std::string>{} : NodesOf(r.attributes);
  std::vector<std::string> had = prior ? NodesOf(*prior) : std::vector<std::string>{};
  auto tls_of = [&](NodeEntry& n) -> const Result<TransportTls>& {
    auto it = tls_cache->find(n.delivery->name);
    if (it == tls_cache->end()) {
      it = tls_cache->emplace(n.delivery->name, n.node->ReadTransportTls()).first;
    }
    return it->second;
  };
  for (const std::string& name : want) {
    NodeEntry* n = ctx.Find(name);
    if (n == nullptr) {
      return NoSuchNode(ctx, name);
    }
    if (!n->status.ok()) return n->status;
    const TransportTls* tls = nullptr;
    if (m->type == kTransportTrustType || m->type == kTrustRestrictionsType) {
      const Result<TransportTls>& t = tls_of(*n);
      const bool bundle = n->delivery->kind == topology::NodeDelivery::Kind::kBundle;
      if (!t.ok() && (m->type == kTransportTrustType || !bundle)) return t.status();
      if (t.ok()) tls = &*t;
    }
    if (m->type == kTrustRestrictionsType && tls != nullptr && tls->node_names.empty()) {
      return NoOtherName(*n->node, *tls);
    }
    const bool fresh = prior == nullptr || !Contains(had, name);
    Result<NodePart> part =
        DesiredPart(m->type, r.attributes, r.secret_inputs, fresh ? nullptr : prior, tls);
    if (!part.ok()) {  // transport trust depends on the node's own CAs: name it
      return tls != nullptr ? part.status().WithContext(n->node->Describe()) : part.status();
    }
    m->parts[name] = std::move(part).value();
  }
  for (const std::string& name : had) {
    if (Contains(want, name)) continue;
    NodeEntry* n = ctx.Find(name);
    if (n == nullptr || !n->status.ok()) continue;  // reported as a warning by ApplyCluster
    Result<NodePart> part = RemovalPart(m->type, *prior);
    if (!part.ok()) return part.status();
    m->parts[name] = std::move(part).value();
  }
  return Status::Ok();
}

void SelfProviderImpl::ApplyCluster(ClusterCtx& ctx, const std::vector<GroupChange>& changes,
                                    const std::vector<size_t>& indexes,
                                    std::vector<ApplyResponse>* out) {
  std::vector<GroupMember> members;
  std::map<std::string, Result<TransportTls>> tls_cache;
  for (size_t i : indexes) {
    const GroupChange& c = changes[i];
    const std::string type = TypeOf(c.address, c.request);
    if (type == kReloadType) {
      (*out)[i] = c.action == ChangeAction::kDelete ? ApplyResponse{} : Reload(ctx, c.request);
      continue;
    }
    if (type == kTransportCaType) {
      if (c.action == ChangeAction::kDelete) continue;
      Result<LiveObject> live = ReadTransportCa(ctx, c.request.attributes);
      if (live.ok()) {
        (*out)[i].result = std::move(live).value();
      } else {
        (*out)[i] = Failed(live.status().WithContext(c.address));
      }
      continue;
    }
    if (!IsNodeType(type)) {
      const std::string msg = c.address + ": the self provider does not know type " + type;
      (*out)[i] = Failed(Status::InvalidArgument(msg));
      continue;
    }
    GroupMember m;
    m.index = i;
    m.type = type;
    m.action = c.action;
    if (c.action == ChangeAction::kDelete && c.request.prior == nullptr) continue;  // nothing known
    Status built = BuildMember(ctx, c, &m, &tls_cache);
    if (!built.ok()) {
      (*out)[i] = Failed(built.WithContext(c.address));
      continue;
    }
    if (c.request.prior != nullptr) {
      for (const std::string& name : NodesOf(c.request.prior->attributes)) {
        NodeEntry* n = ctx.Find(name);
        if (n == nullptr) {
          (*out)[i].diagnostics.Warning(
              SourceLocation{}, "",
              c.address + ": node " + name +
                  " is no longer in the topology; crosslink's settings, files and keystore "
                  "entries stay on it (remove them by hand)");
        }
      }
    }
    members.push_back(std::move(m));
  }
  if (members.empty()) return;
  // A change that cannot be built stops its whole group: nothing is written
  // (e.g. transport trust without its refused trust restrictions).
  for (size_t i : indexes) {
    if ((*out)[i].status.ok() || !IsNodeType(TypeOf(changes[i].address, changes[i].request))) {
      continue;
    }
    for (GroupMember& m : members) {
      (*out)[m.index] = Failed(Status::FailedPrecondition(
          changes[m.index].address + ": not applied: " + changes[i].address +
          " of the same restart group failed (see its error); nothing was written to the nodes"));
      m.ok = false;
    }
    return;
  }

  const Progress everyone = [&](const std::string& message) {
    for (const GroupMember& m : members) {
      const Progress& p = changes[m.index].request.progress;
      if (m.ok && p) p(message);
    }
  };
  bool restarting = false;
  for (const GroupMember& m : members) restarting |= IsRestartingType(m.type);

  // One NodeChange per node, applied in topology order.
  std::vector<std::string> done;        // "es1 (restarted)"
  std::optional<int64_t> nodes_before;  // read before the first restart
  for (size_t k = 0; k < ctx.nodes.size(); ++k) {
    NodeEntry& n = ctx.nodes[k];
    const std::string& name = n.delivery->name;
    NodeChange change;
    bool any = false;
    for (const GroupMember& m : members) {
      auto it = m.parts.find(name);
      if (it == m.parts.end()) continue;
      MergeInto(it->second, &change);
      any = true;
    }
    if (!any) continue;
    Status failed = Status::Ok();
    Result<NodeReadback> rb = n.node->Read();
    bool differs = true;
    if (!rb.ok()) {
      failed = rb.status();
    } else {
      differs = ChangesNode(change, *rb);
    }
    std::string outcome;
    if (failed.ok() && (differs || !change.keystore_add.empty())) {
      change.restart = restarting && differs;
      const bool crosslink_restarts =
          n.delivery->kind == topology::NodeDelivery::Kind::kLocal && !n.delivery->restart.empty();
      if (change.restart && crosslink_restarts && !nodes_before) {
        Result<int64_t> count = NodeCount(ctx, name);
        if (count.ok()) {
          nodes_before = *count;
        } else {
          failed = count.status();
        }
      }
      spdlog::info("self: {} {}: applying{}", ClusterName(ctx), n.node->Describe(),
                   change.restart ? " and restarting" : "");
      Result<NodeApplyResult> applied =
          failed.ok() ? n.node->Apply(change) : Result<NodeApplyResult>(failed);
      if (!applied.ok()) {
        failed = applied.status();
      } else if (applied->restart == RestartOutcome::kDone) {
        outcome = " (restarted)";
        failed = WaitForApi(ctx, name, nodes_before.value_or(1), everyone);
      } else if (applied->restart == RestartOutcome::kUserRequired) {
        outcome = " (restart is yours)";
        for (const GroupMember& m : members) {
          if (!m.parts.count(name)) continue;
          (*out)[m.index].diagnostics.Warning(
              SourceLocation{}, "",
              changes[m.index].address + ": " + n.node->Describe() + ": " +
                  (applied->note.empty() ? "restart required" : applied->note));
        }
      }
    }
    if (!failed.ok()) {
      std::vector<std::string> after;
      for (size_t j = k + 1; j < ctx.nodes.size(); ++j)
        after.push_back(ctx.nodes[j].delivery->name);
      std::string msg = ClusterName(ctx) + ", " + failed.message() + ". ";
      msg +=
          done.empty() ? "No node before it was changed" : "Already changed: " + NodesPhrase(done);
      if (!after.empty()) msg += "; not changed: " + NodesPhrase(after);
      msg += ". Fix the cause on node " + name +
             ", then run `crosslink apply` again: it writes the change to every node again";
      Status s = Status::Error(failed.code(), msg, false);
      for (GroupMember& m : members) {
        if (!m.ok) continue;
        (*out)[m.index].status = s.WithContext(changes[m.index].address);
        m.ok = false;
      }
      return;
    }
    done.push_back(name + outcome);
    for (GroupMember& m : members) {
      auto it = m.parts.find(name);
      if (it == m.parts.end()) continue;
      for (const NodeFile& f : it->second.files) {
        m.outputs["files"][name][f.name] = Sha256Hex(f.bytes());
      }
      if (it->second.take_over && !it->second.take_over->empty()) {
        m.outputs["take_over"][name] = *it->second.take_over;
      }
    }
  }

  for (GroupMember& m : members) {
    const GroupChange& c = changes[m.index];
    ApplyResponse& r = (*out)[m.index];
    if (m.action == ChangeAction::kDelete) {
      if (m.type == kCredentialType) {
        // The removed entry leaves the nodes' memory on reload.
        ApplyResponse reloaded = Reload(ctx, c.request);
        for (const Diagnostic& d : reloaded.diagnostics.items()) r.diagnostics.Add(d);
        if (!reloaded.status.ok()) {
          r.diagnostics.Warning(SourceLocation{}, "",
                                c.address +
                                    ": the keystore entry is removed but the reload "
                                    "failed: " +
                                    reloaded.status.message(),
                                "restart the nodes or POST _nodes/reload_secure_settings");
        }
      }
      continue;
    }
    if (m.type == kCredentialType) m.outputs["key_id"] = Member(c.request.attributes, "key_id");
    r.result.exists = true;
    r.result.managed_by_crosslink = true;
    r.result.attributes = c.request.attributes;
    r.result.outputs = m.outputs;
  }
}

// The cluster's node count before a rolling restart: without it crosslink
// could not tell that a restarted node is back before restarting the next.
Result<int64_t> SelfProviderImpl::NodeCount(ClusterCtx& ctx, const std::string& node) {
  const std::string what = "read the cluster's health before restarting node " + node;
  Result<elasticsearch::ClusterClient*> client = Client(ctx);
  if (!client.ok()) return client.status().WithContext("cannot " + what);
  Result<elasticsearch::EsReply> reply = (*client)->Call("GET", "/_cluster/health");
  if (!reply.ok()) return reply.status().WithContext("cannot " + what);
  if (!reply->ok()) return (*client)->ErrorFor(what, "monitor", *reply);
  const int64_t nodes = elasticsearch::JsonInt(reply->json, "number_of_nodes", 0);
  if (nodes <= 0) {
    return Status::FailedPrecondition("cannot " + what +
                                      ": _cluster/health reports no number_of_nodes");
  }
  return nodes;
}

Status SelfProviderImpl::WaitForApi(ClusterCtx& ctx, const std::string& node, int64_t nodes,
                                    const Progress& progress) {
  Result<elasticsearch::ClusterClient*> client = Client(ctx);
  if (!client.ok()) {
    return client.status().WithContext("node " + node +
                                       " restarted, but crosslink cannot check "
                                       "that the cluster answers again");
  }
  const auto start = clock_->Now();
  std::string last;
  while (true) {
    Result<elasticsearch::EsReply> reply = (*client)->Call("GET", "/_cluster/health");
    const bool answered = reply.ok() && reply->ok();
    const int64_t now = answered ? elasticsearch::JsonInt(reply->json, "number_of_nodes", 0) : 0;
    const std::string health = answered ? elasticsearch::JsonString(reply->json, "status") : "";
    // Back: every node again, and no primary shard unassigned (not red).
    if (answered && now >= nodes && health != "red") return Status::Ok();
    if (reply.ok() && (reply->status == 401 || reply->status == 403)) {
      return (*client)->ErrorFor("check the cluster after node " + node + "'s restart", "monitor",
                                 *reply);
    }
    if (!reply.ok()) {
      last = reply.status().message();
    } else if (reply->ok()) {
      last = std::to_string(now) + " of the " + std::to_string(nodes) +
             " nodes it had before the restart, status " + (health.empty() ? "unknown" : health);
    } else {
      last = "HTTP " + std::to_string(reply->status);
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now() - start);
    if (elapsed >= options_.restart_timeout) {
      return Status::DeadlineExceeded("node " + node + " was restarted but " + ClusterName(ctx) +
                                      " is not back at " + (*client)->endpoint().url + " " +
                                      Seconds(elapsed) + " later (last: " + last +
                                      "); check the node's logs and that it started");
    }
    const std::string message = "waiting for node " + node + " to answer after its restart";
    spdlog::info("self: {} ({})", message, last);
    if (progress) progress(message);
    clock_->Sleep(options_.poll_interval);
  }
}

ApplyResponse SelfProviderImpl::Reload(ClusterCtx& ctx, const ApplyRequest& req) {
  ApplyResponse resp;
  std::vector<std::string> bundles;
  bool local = false;
  for (const NodeEntry& n : ctx.nodes) {
    if (n.delivery->kind == topology::NodeDelivery::Kind::kBundle) {
      bundles.push_back(n.delivery->name);
    } else {
      local = true;
    }
  }
  if (!bundles.empty()) {
    resp.diagnostics.Warning(
        SourceLocation{}, "",
        ClusterName(ctx) + ": " + NodesPhrase(bundles) +
            (bundles.size() == 1 ? " gets its" : " get their") +
            " keystore from a bundle: "
            "reloading the secure settings is yours once the bundle is installed",
        "run keystore.sh, then POST _nodes/reload_secure_settings (or restart the nodes)");
  }
  if (local) {
    Result<elasticsearch::ClusterClient*> client = Client(ctx);
    if (!client.ok()) {
      resp.status = client.status().WithContext(ClusterName(ctx) + ": reload secure settings");
      return resp;
    }
    Value body;  // none: the keystore has no password
    if (const char* pw = getenv_("KEYSTORE_PASSWORD"); pw != nullptr && *pw != '\0') {
      const Secret password{std::string(pw)};  // registered with the Redactor
      body = Value{{"secure_settings_password", password.expose()}};
    }
    Result<elasticsearch::EsReply> reply = (*client)->Expect(
        "reload the secure settings", "manage", "POST", "/_nodes/reload_secure_settings", body);
    if (!reply.ok()) {
      resp.status = reply.status();
      return resp;
    }
    std::vector<std::string> errors;
    const Value& nodes = Member(reply->json, "nodes");
    if (nodes.is_object()) {
      for (const auto& [id, node] : nodes.items()) {
        const Value& exc = Member(node, "reload_exception");
        if (exc.is_null()) continue;
        std::string reason = elasticsearch::EsErrorReason(Value{{"error", exc}});
        errors.push_back("node " + elasticsearch::JsonString(node, "name", id) + ": " +
                         (reason.empty() ? DumpJson(exc) : reason));
      }
    }
    // Nodes the request did not reach (down, restarting) are listed in
    // _nodes.failures, not in `nodes`: their keystore was not reloaded.
    const Value& failures = Member(Member(reply->json, "_nodes"), "failures");
    if (failures.is_array()) {
      for (const Value& f : failures) {
        std::string reason = elasticsearch::EsErrorReason(Value{{"error", f}});
        errors.push_back("node " + elasticsearch::JsonString(f, "node_id", "?") +
                         " (not reached): " + (reason.empty() ? DumpJson(f) : reason));
      }
    }
    if (!errors.empty()) {
      std::string msg = ClusterName(ctx) + ": reloading the secure settings failed on ";
      for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
      msg +=
          ". Check that every node is up and its keystore has the same password "
          "(KEYSTORE_PASSWORD in crosslink's environment when it has one) and is readable, "
          "then apply again";
      resp.status = Status::FailedPrecondition(msg);
      return resp;
    }
  }
  resp.result.exists = true;
  resp.result.managed_by_crosslink = true;
  resp.result.attributes = req.attributes;
  return resp;
}

}  // namespace

std::unique_ptr<Provider> NewSelfProvider(SelfProviderOptions options) {
  return std::make_unique<SelfProviderImpl>(std::move(options));
}

}  // namespace crosslink::providers::self
