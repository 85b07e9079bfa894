#pragma once
// Test support for the planner tests: a tiny platform double ("World" +
// TestProvider), a miniature expansion of connections into resource specs
// (the shape engine/graph produces for the API-key model), and an
// apply simulator that turns a plan into live objects and state the way
// engine/apply does, so that scenarios can run plan -> apply -> plan.
//
// Thread-safety: World and TestProvider are thread-safe (Read runs on the
// planner's refresh threads); the rest is single-threaded.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/graph/resource.h"
#include "engine/plan/plan.h"
#include "engine/plan/planner.h"
#include "providers/provider.h"
#include "state/state.h"

namespace crosslink::plan::testing {

using graph::MakeRef;
using graph::ResourceMode;
using graph::ResourceSpec;
using providers::LiveObject;

// The platforms as they are "really": live objects by address.
class World {
 public:
  struct Entry {
    std::string provider;
    std::string cluster;
    LiveObject object;
    bool unrecorded = false;  // crosslink-marked but unknown to state: an orphan
    std::string type;
  };

  void Set(const std::string& address, const std::string& provider, const std::string& cluster,
           LiveObject object, bool unrecorded = false) {
    std::lock_guard<std::mutex> lock(mu_);
    object.exists = true;
    object.managed_by_crosslink = true;  // what crosslink (or the simulator) made carries its marks
    Entry& e = entries_[address];
    e.provider = provider;
    e.cluster = cluster;
    e.object = std::move(object);
    e.unrecorded = unrecorded;
    e.type = address.substr(0, address.find('.'));
    if (unrecorded) {
      unrecorded_.insert(address);
    } else {
      unrecorded_.erase(address);
    }
  }
  // An object someone else created (no crosslink marks) at `address`.
  void SetForeign(const std::string& address, const std::string& provider,
                  const std::string& cluster, LiveObject object) {
    Set(address, provider, cluster, std::move(object));
    std::lock_guard<std::mutex> lock(mu_);
    entries_.at(address).object.managed_by_crosslink = false;
  }
  // Unrecorded (orphan) objects of one provider and cluster.
  std::map<std::string, Entry> Unrecorded(const std::string& provider,
                                          const std::string& cluster) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, Entry> out;
    for (const std::string& address : unrecorded_) {
      const Entry& e = entries_.at(address);
      if (e.provider == provider && e.cluster == cluster) out.emplace(address, e);
    }
    return out;
  }
  void Erase(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(address);
    unrecorded_.erase(address);
  }
  // Changes one attribute of a live object (a change made outside crosslink).
  void SetAttribute(const std::string& address, const std::string& key, Value v) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.at(address).object.attributes[key] = std::move(v);
  }
  void SetOutput(const std::string& address, const std::string& key, Value v) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.at(address).object.outputs[key] = std::move(v);
  }
  bool Has(const std::string& address) const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.count(address) != 0;
  }
  LiveObject Get(const std::string& address) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(address);
    return it == entries_.end() ? LiveObject{} : it->second.object;
  }
  std::map<std::string, Entry> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> unrecorded_;
};

// A provider over the World. Read answers every item (exists or not) from
// the World and reports, as orphans, the World's unrecorded objects of the
// scope that the request did not name (or all of them with
// report_named_orphans). Plan is DefaultPlan plus scripted behaviour.
class TestProvider : public providers::Provider {
 public:
  TestProvider(std::string name, World* world) : name_(std::move(name)), world_(world) {}

  std::string name() const override { return name_; }

  providers::ReadResponse Read(const providers::ReadRequest& req) override {
    const int now = ++in_flight_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      max_in_flight_ = std::max(max_in_flight_, now);
      ++reads_[req.cluster];
      std::vector<std::string> names;
      for (const auto& item : req.items) names.push_back(item.address);
      read_items_[req.cluster] = names;
    }
    providers::ReadResponse resp;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto f = read_failures_.find(req.cluster);
      if (f != read_failures_.end()) {
        resp.status = f->second;
        --in_flight_;
        return resp;
      }
    }
    std::set<std::string> named;
    for (const auto& item : req.items) {
      named.insert(item.address);
      resp.objects[item.address] = world_->Get(item.address);
    }
    for (const auto& [address, e] : world_->Unrecorded(name_, req.cluster)) {
      if (named.count(address) != 0 && !report_named_orphans_) continue;
      if (named.count(address) != 0) resp.objects[address] = LiveObject{};
      providers::Orphan o;
      o.address = address;
      o.type = e.type;
      o.description = "object " + address;
      o.live = e.object;
      resp.orphans.push_back(std::move(o));
    }
    --in_flight_;
    return resp;
  }

  providers::PlanResponse Plan(const providers::PlanRequest& req) override {
    providers::PlanResponse r = DefaultPlan(req);
    std::lock_guard<std::mutex> lock(mu_);
    ++plan_calls_;
    const std::string type = req.desired ? req.desired->type
                             : req.prior ? req.prior->type
                                         : std::string();
    if (req.desired != nullptr && req.desired->mode == ResourceMode::kCheck) {
      auto it = failing_checks_.find(req.desired->address);
      if (it != failing_checks_.end() && r.action == providers::ChangeAction::kNoOp) {
        r.action = providers::ChangeAction::kUpdate;
        r.reason = it->second;
      }
    }
    auto rr = requires_replace_.find(type);
    if (req.desired != nullptr && rr != requires_replace_.end() &&
        r.action == providers::ChangeAction::kUpdate) {
      const Value* current = req.live != nullptr    ? &req.live->attributes
                             : req.prior != nullptr ? &req.prior->attributes
                                                    : nullptr;
      for (const std::string& key : rr->second) {
        const Value want = req.attributes.value(key, Value());
        const Value have = current != nullptr ? current->value(key, Value()) : Value();
        if (want != have) r.requires_replace.push_back(key);
      }
      if (!r.requires_replace.empty()) r.action = providers::ChangeAction::kReplace;
    }
    if (restarting_types_.count(type) != 0 && r.action != providers::ChangeAction::kNoOp) {
      r.restarts_cluster = true;
    }
    return r;
  }

  providers::ApplyResponse Create(const providers::ApplyRequest&) override { return Unused(); }
  providers::ApplyResponse Update(const providers::ApplyRequest&) override { return Unused(); }
  providers::ApplyResponse Delete(const providers::ApplyRequest&) override { return Unused(); }

  // ---- scripting ----
  void FailRead(const std::string& cluster, Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    read_failures_[cluster] = std::move(s);
  }
  void SetRequiresReplace(const std::string& type, std::vector<std::string> keys) {
    std::lock_guard<std::mutex> lock(mu_);
    requires_replace_[type] = std::move(keys);
  }
  void SetRestarts(const std::string& type) {
    std::lock_guard<std::mutex> lock(mu_);
    restarting_types_.insert(type);
  }
  void SetCheckFailing(const std::string& address, std::string reason) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_checks_[address] = std::move(reason);
  }
  void ReportNamedOrphans() { report_named_orphans_ = true; }

  // ---- observation ----
  int reads(const std::string& cluster) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = reads_.find(cluster);
    return it == reads_.end() ? 0 : it->second;
  }
  int total_reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [c, k] : reads_) n += k;
    return n;
  }
  std::vector<std::string> read_items(const std::string& cluster) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = read_items_.find(cluster);
    return it == read_items_.end() ? std::vector<std::string>{} : it->second;
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }
  void ClearCounts() {
    std::lock_guard<std::mutex> lock(mu_);
    reads_.clear();
    read_items_.clear();
    plan_calls_ = 0;
  }

 private:
  static providers::ApplyResponse Unused() {
    providers::ApplyResponse r;
    r.status = Status::Internal("the planner never applies");
    return r;
  }

  const std::string name_;
  World* world_;
  mutable std::mutex mu_;
  std::atomic<int> in_flight_{0};
  int max_in_flight_ = 0;
  std::map<std::string, int> reads_;
  std::map<std::string, std::vector<std::string>> read_items_;
  std::map<std::string, Status> read_failures_;
  std::map<std::string, std::vector<std::string>> requires_replace_;
  std::set<std::string> restarting_types_;
  std::map<std::string, std::string> failing_checks_;
  std::atomic<bool> report_named_orphans_{false};
  int plan_calls_ = 0;
};

// One connection of the miniature topology.
struct Conn {
  std::string local;
  std::string remote;
  std::string alias;
  std::vector<std::string> search = {"logs-*"};
};

inline std::string ServerAddr(const std::string& remote) {
  return "eck_remote_cluster_server." + remote;
}
inline std::string CaAddr(const std::string& remote) { return "es_ca." + remote; }
inline std::string KeyAddr(const Conn& c) {
  return "es_cross_cluster_api_key." + c.remote + "." + c.local;
}
inline std::string KeystoreAddr(const Conn& c) {
  return "es_keystore_credential." + c.local + "." + c.alias;
}
inline std::string RemoteAddr(const Conn& c) {
  return "es_remote_cluster." + c.local + "." + c.alias;
}
inline std::string CheckAddr(const Conn& c) {
  return "es_remote_connected." + c.local + "." + c.alias;
}

// The API-key chain of every connection, in dependency order: per remote
// cluster its (shared) remote cluster server and CA, then per connection the
// cross-cluster API key, the keystore credential, the remote cluster
// settings and the "connected" check.
inline std::vector<ResourceSpec> Expand(const std::vector<Conn>& conns) {
  std::vector<ResourceSpec> out;
  std::set<std::string> remotes;
  for (const Conn& c : conns) remotes.insert(c.remote);
  for (const std::string& r : remotes) {
    ResourceSpec server;
    server.address = ServerAddr(r);
    server.type = "eck_remote_cluster_server";
    server.provider = "eck";
    server.cluster = r;
    server.environment = "k8s";
    server.step = "R:ECK.RCS.ENABLE";
    server.attributes = {{"enabled", true}, {"port", 9443}};
    server.restarts_cluster = true;
    out.push_back(server);

    ResourceSpec ca;
    ca.address = CaAddr(r);
    ca.type = "es_ca";
    ca.provider = "eck";
    ca.cluster = r;
    ca.environment = "k8s";
    ca.mode = ResourceMode::kData;
    ca.step = "R:ECK.CA.READ";
    ca.attributes = {{"secret", r + "-es-http-certs-public"}};
    out.push_back(ca);
  }
  for (const Conn& c : conns) {
    const std::string needed_by = c.local + "->" + c.remote;
    ResourceSpec key;
    key.address = KeyAddr(c);
    key.type = "es_cross_cluster_api_key";
    key.provider = "elasticsearch";
    key.cluster = c.remote;
    key.step = "R:ES.APIKEY.CREATE";
    key.attributes = {{"name", "crosslink-" + c.remote + "-" + c.local},
                      {"access", {{"search", {{{"names", c.search}}}}}}};
    key.depends_on = {ServerAddr(c.remote)};
    key.needed_by = {needed_by};
    out.push_back(key);

    ResourceSpec ks;
    ks.address = KeystoreAddr(c);
    ks.type = "es_keystore_credential";
    ks.provider = "elasticsearch";
    ks.cluster = c.local;
    ks.step = "L:ES.KEYSTORE";
    ks.attributes = {{"setting", "cluster.remote." + c.alias + ".credentials"},
                     {"key_id", MakeRef(KeyAddr(c), "id")}};
    ks.secret_inputs["credential"] = graph::Reference{KeyAddr(c), "encoded"};
    ks.needed_by = {needed_by};
    out.push_back(ks);

    ResourceSpec rc;
    rc.address = RemoteAddr(c);
    rc.type = "es_remote_cluster";
    rc.provider = "elasticsearch";
    rc.cluster = c.local;
    rc.step = "L:ES.REMOTE.PUT";
    rc.attributes = {{"alias", c.alias},
                     {"mode", "proxy"},
                     {"proxy_address", MakeRef(ServerAddr(c.remote), "proxy_address")},
                     {"ca_fingerprint", MakeRef(CaAddr(c.remote), "fingerprint")}};
    rc.depends_on = {KeystoreAddr(c)};
    rc.needed_by = {needed_by};
    out.push_back(rc);

    ResourceSpec check;
    check.address = CheckAddr(c);
    check.type = "es_remote_connected";
    check.provider = "elasticsearch";
    check.cluster = c.local;
    check.mode = ResourceMode::kCheck;
    check.step = "L:ES.REMOTE.VERIFY";
    check.attributes = {{"alias", c.alias}};
    check.depends_on = {RemoteAddr(c)};
    check.needed_by = {needed_by};
    out.push_back(check);
  }
  return out;
}

// Executes a plan against the World and the State, as engine/apply would:
// references resolved from state, outputs produced by the "platform", state
// recorded with dependencies. Sensitive outputs (the API key's "encoded")
// go to state only.
class ApplySimulator {
 public:
  ApplySimulator(World* world, state::State* state) : world_(world), state_(state) {}

  void Apply(const Plan& plan) {
    for (const ResourceChange& c : plan.changes) {
      switch (c.action) {
        case ChangeAction::kNoOp:
          if (c.orphan) {  // adopted: record it; the object is now known
            world_->Set(c.address, c.provider, c.cluster, world_->Get(c.address));
            Record(c, world_->Get(c.address));
          } else if (c.refresh_dependencies) {  // state only
            state_->resources.at(c.address).dependencies = c.desired->AllDependencies();
          }
          break;
        case ChangeAction::kCreate:
        case ChangeAction::kUpdate:
        case ChangeAction::kReplace: {
          LiveObject obj;
          obj.exists = true;
          obj.attributes = ResolveFromState(c.after);
          if (c.action == ChangeAction::kUpdate && world_->Has(c.address)) {
            obj.outputs = world_->Get(c.address).outputs;
          } else {
            obj.outputs = MakeOutputs(c);
          }
          world_->Set(c.address, c.provider, c.cluster, obj);
          Record(c, obj);
          break;
        }
        case ChangeAction::kRead:
          Record(c, world_->Get(c.address));
          break;
        case ChangeAction::kDelete:
          if (c.mode == ResourceMode::kManaged) world_->Erase(c.address);
          state_->resources.erase(c.address);
          break;
      }
    }
    if (state_->lineage.empty()) state_->lineage = "11111111-2222-4333-8444-555555555555";
    ++state_->serial;
  }

  Value ResolveFromState(const Value& v) const {
    graph::Reference ref;
    if (graph::IsRef(v, &ref)) {
      const state::ResourceState* r = state_->Find(ref.address);
      if (r != nullptr && r->outputs.contains(ref.output)) return r->outputs[ref.output];
      ADD_FAILURE() << "apply could not resolve " << ref.address << "." << ref.output;
      return v;
    }
    if (v.is_object()) {
      Value out = Value::object();
      for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = ResolveFromState(it.value());
      return out;
    }
    if (v.is_array()) {
      Value out = Value::array();
      for (const auto& item : v) out.push_back(ResolveFromState(item));
      return out;
    }
    return v;
  }

 private:
  Value MakeOutputs(const ResourceChange& c) {
    Value out = Value::object();
    out["id"] = c.address + "#" + std::to_string(++generation_);
    if (c.type == "eck_remote_cluster_server") {
      out["proxy_address"] = c.cluster + ".example.com:9443";
    }
    return out;
  }

  void Record(const ResourceChange& c, const LiveObject& obj) {
    state::ResourceState& r = state_->resources[c.address];
    r.address = c.address;
    r.type = c.type;
    r.provider = c.provider;
    r.cluster = c.cluster;
    r.mode = c.mode;
    r.attributes = obj.attributes;
    r.outputs = obj.outputs;
    if (c.type == "es_cross_cluster_api_key" && c.action != ChangeAction::kNoOp) {
      r.sensitive_outputs["encoded"] =
          Secret("encoded-secret-" + c.address + "-" + std::to_string(generation_));
    }
    r.dependencies = c.desired ? c.desired->AllDependencies() : std::vector<std::string>{};
  }

  World* world_;
  state::State* state_;
  int generation_ = 0;
};

// Compares `actual` with tests/golden/<name> exactly; with
// CROSSLINK_UPDATE_GOLDEN=1 rewrites the file instead.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(CROSSLINK_SOURCE_DIR) + "/tests/golden/" + name;
  const char* update = std::getenv("CROSSLINK_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with CROSSLINK_UPDATE_GOLDEN=1 to create it";
  std::stringstream buf;
  buf << in.rdbuf();
  EXPECT_EQ(buf.str(), actual) << "golden " << name
                               << " differs; if intended, rerun with CROSSLINK_UPDATE_GOLDEN=1";
}

// ---- the scenario fixture ----

inline const Conn kAnalytics{"analytics", "logs", "logs"};
inline const Conn kOnprem{"onprem", "logs", "logs"};

inline LiveObject CaObject(const std::string& fingerprint) {
  LiveObject o;
  o.exists = true;
  o.attributes = {{"secret", "logs-es-http-certs-public"}};
  o.outputs = {{"fingerprint", fingerprint}};
  return o;
}

class RecordingHooks : public PlanHooks {
 public:
  void OnRefreshStart(const std::string& provider, const std::string& cluster, size_t n) override {
    std::lock_guard<std::mutex> lock(mu);
    started.push_back(provider + "/" + cluster + "/" + std::to_string(n));
  }
  void OnRefreshDone(const std::string& provider, const std::string& cluster,
                     const Status& s) override {
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(provider + "/" + cluster + (s.ok() ? "/ok" : "/failed"));
  }
  std::mutex mu;
  std::vector<std::string> started;
  std::vector<std::string> done;
};

class PlanScenario : public ::testing::Test {
 protected:
  PlanScenario() : eck_("eck", &world_), es_("elasticsearch", &world_) {
    providers_.Add(&eck_);
    providers_.Add(&es_);
    eck_.SetRestarts("eck_remote_cluster_server");
    world_.Set(CaAddr("logs"), "eck", "logs", CaObject("AA:BB"));
  }

  Plan MakeOk(const std::vector<ResourceSpec>& specs, const PlanOptions& opts = {},
              PlanHooks* hooks = nullptr) {
    Result<Plan> r = MakePlan(specs, state_, providers_, opts, hooks);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : Plan{};
  }

  void Converge(const std::vector<ResourceSpec>& specs) {
    ApplySimulator(&world_, &state_).Apply(MakeOk(specs));
    eck_.ClearCounts();
    es_.ClearCounts();
  }

  static const ResourceChange* Find(const Plan& p, const std::string& address) {
    for (const ResourceChange& c : p.changes) {
      if (c.address == address) return &c;
    }
    return nullptr;
  }

  static ChangeAction ActionOf(const Plan& p, const std::string& address) {
    const ResourceChange* c = Find(p, address);
    EXPECT_NE(c, nullptr) << address << " is not in the plan";
    return c == nullptr ? ChangeAction::kNoOp : c->action;
  }

  static std::vector<std::string> Addresses(const Plan& p) {
    std::vector<std::string> out;
    for (const ResourceChange& c : p.changes) out.push_back(c.address);
    return out;
  }

  // "address: action" for every change that does something.
  static std::vector<std::string> Effective(const Plan& p) {
    std::vector<std::string> out;
    for (const ResourceChange& c : p.changes) {
      if (c.action != ChangeAction::kNoOp || c.orphan) {
        out.push_back(c.address + ": " + providers::ChangeActionName(c.action));
      }
    }
    return out;
  }

  World world_;
  TestProvider eck_;
  TestProvider es_;
  providers::ProviderSet providers_;
  state::State state_;
};

}  // namespace crosslink::plan::testing
