#pragma once
// The provider contract: what every platform implements (DESIGN.md
// "Resources", STYLE.md convention 4). One abstract class; the platforms sit
// directly under it.
//
// Lifecycle, per run:
//   Configure  once, with the topology and the run's seams.
//   Read       discovery, batched: ONE call per (provider, cluster) scope
//              carries every resource of that scope that the run cares about
//              (desired or in state), so that a provider can serve them all
//              from one GET _cluster/settings, one API-key query, one
//              label-selected list. It also reports orphans: objects marked
//              as crosslink's that the request did not name (a crash between
//              "created" and "state saved" leaves those).
//   Plan       per resource: desired (resolved) vs live -> the change, with
//              the attribute paths that force a replace. Providers may
//              rely on DefaultPlan for plain attribute comparison.
//   Create / Update / Delete   per resource, at apply time, with references
//              already resolved and sensitive inputs as Secrets.
//
// Progress: a Create / Update / Delete / ApplyGroup that waits (a rolling
// restart, a LoadBalancer address, a connection to come up) tells the user
// through ApplyRequest::progress while it waits; see there.
//
// Errors: a response's Status says what went wrong with the outside world and
// whether it is retryable (the scheduler retries those with backoff);
// Diagnostics carry problems to show the user (e.g. "API key lacks
// manage_security"). A provider never throws across this interface.
//
// Thread-safety: Read, Plan, Create, Update, Delete and ApplyGroup may be called
// concurrently from several threads (bounded by -parallelism); providers
// must be thread-safe after Configure returns.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/diagnostics.h"
#include "engine/core/filesystem.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "engine/graph/resource.h"
#include "engine/topology/topology.h"
#include "state/state.h"

namespace crosslink::providers {

// What a platform reports for one resource.
struct LiveObject {
  bool exists = false;
  Value attributes = Value::object();  // same shape as the desired attributes
  Value outputs = Value::object();     // non-sensitive computed values
  std::map<std::string, Secret> sensitive_outputs;  // only when the platform returns them (creation)
  // True when the platform object carries crosslink's marks (API-key
  // metadata, Kubernetes label/annotation, managed settings block). Providers
  // set it in Read. The planner adopts an object missing from state only
  // when it is marked; an unmarked object at a desired address of a managed
  // resource is someone else's (plan error). Orphans are marked by definition.
  bool managed_by_crosslink = false;
};

struct ConfigureRequest {
  const topology::Topology* topology = nullptr;  // outlives the provider's use of it
  Clock* clock = nullptr;
  // For topology secrets (topology::ResolveSecret) and files named in the
  // topology (ca_file, kubeconfig). Both outlive the provider's use of them.
  FileSystem* fs = nullptr;
  std::function<const char*(const char*)> getenv;  // empty = ::getenv
};

struct ReadItem {
  std::string address;
  std::string type;
  const graph::ResourceSpec* desired = nullptr;  // null when only in state (to be destroyed)
  const state::ResourceState* prior = nullptr;   // null when not in state yet
};

struct ReadRequest {
  std::string cluster;      // the scope of the batch (may be empty for environment scope)
  std::string environment;
  std::vector<ReadItem> items;
};

// An object marked as crosslink's that no request item named.
struct Orphan {
  std::string address;  // the address crosslink would give it (from its marks)
  std::string type;
  std::string description;  // human readable: "API key 'crosslink-logs-analytics' (id abc)"
  LiveObject live;
};

struct ReadResponse {
  Status status;
  Diagnostics diagnostics;
  std::map<std::string, LiveObject> objects;  // by address; absent = could not tell
  std::vector<Orphan> orphans;
};

enum class ChangeAction { kNoOp, kCreate, kUpdate, kReplace, kDelete, kRead };
const char* ChangeActionName(ChangeAction a);  // "no-op", "create", "update", "replace", "delete", "read"

struct PlanRequest {
  const graph::ResourceSpec* desired = nullptr;  // null: the resource is to be destroyed
  const state::ResourceState* prior = nullptr;   // null: not in state
  const LiveObject* live = nullptr;              // null: not refreshed (-refresh=false)
  // desired->attributes with references resolved where the referenced
  // outputs are already known; unresolved ones stay reference objects.
  Value attributes = Value::object();
};

struct PlanResponse {
  ChangeAction action = ChangeAction::kNoOp;
  std::vector<std::string> requires_replace;  // attribute paths, e.g. "access.search"
  Diagnostics diagnostics;
  bool restarts_cluster = false;  // this change restarts the cluster
  // The provider knows that this change restarts nothing although its type
  // usually does (the catalogue's "restarts"), e.g. ec_restart on a version
  // that reloads its keystore by itself. Wins over both flags above.
  bool restart_not_needed = false;
  std::string reason;             // optional short note shown with the change
};

struct ApplyRequest {
  const graph::ResourceSpec* desired = nullptr;  // null for Delete of a state-only resource
  const state::ResourceState* prior = nullptr;   // null for Create
  Value attributes = Value::object();            // fully resolved
  std::map<std::string, Secret> secret_inputs;   // resolved secret_inputs
  // Progress of a long call, for the user ("waiting for apps/search to be
  // Ready (phase ApplyingChanges)"): human text, one line, no secret values
  // and no elapsed time (the UI shows that). May be empty: check before
  // calling. Called from the thread running Create / Update / Delete /
  // ApplyGroup, only during that call, as often as the provider likes (each
  // poll of a wait): throttling is the UI's job. In ApplyGroup every change
  // carries its own progress, reporting for that change: a wait on what the
  // whole group shares (the cluster's restart) calls it for every change it
  // holds up.
  std::function<void(const std::string& message)> progress;
};

struct ApplyResponse {
  Status status;
  Diagnostics diagnostics;
  LiveObject result;  // the object as it now exists (ignored for Delete)
};

// One change of a restart group (ApplyGroup): `action` is kCreate, kUpdate,
// kReplace or kDelete; `request` is what Create/Update/Delete would get
// (for kReplace: desired + prior, the provider deletes then creates),
// including its own `request.progress`.
struct GroupChange {
  ChangeAction action = ChangeAction::kNoOp;
  std::string address;
  ApplyRequest request;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  virtual Status Configure(const ConfigureRequest& req) { (void)req; return Status::Ok(); }
  virtual ReadResponse Read(const ReadRequest& req) = 0;
  virtual PlanResponse Plan(const PlanRequest& req) { return DefaultPlan(req); }
  virtual ApplyResponse Create(const ApplyRequest& req) = 0;
  virtual ApplyResponse Update(const ApplyRequest& req) = 0;
  virtual ApplyResponse Delete(const ApplyRequest& req) = 0;

  // Restart groups: apply runs every change of one plan that restarts the
  // same cluster through the same provider (ResourceChange.restarts_cluster)
  // as ONE call, once all their dependencies are done, so that the provider
  // can make them one change of the platform object and the cluster restarts
  // once (e.g. ECK: one update of the Elasticsearch resource, then one wait
  // for Ready). Returns one response per change, in the same order; a
  // change whose response failed with a retryable status is retried (alone
  // with the other retryable ones) by apply. Changes of a group never depend
  // on each other. The default applies them one by one, in order, with
  // Create / Update / Delete (kReplace: Delete then Create).
  virtual std::vector<ApplyResponse> ApplyGroup(const std::vector<GroupChange>& changes);

  // Plain comparison: no desired -> delete (managed) / no-op (data);
  // not live -> create (managed/check) or read (data); every key of the
  // desired attributes equal in live -> no-op; else update. A key of the
  // prior state's attributes (crosslink manages it) that the desired
  // attributes no longer set, and that the current object (live, or prior
  // when not refreshed) still has, is a change too (it must be removed).
  // Unresolved references count as "will change".
  static PlanResponse DefaultPlan(const PlanRequest& req);
};

// The providers a run may use, by name. Does not own them.
class ProviderSet {
 public:
  void Add(Provider* p) { by_name_[p->name()] = p; }
  // Registers `p` under another name (tests: one fake serves every platform).
  void AddAs(const std::string& name, Provider* p) { by_name_[name] = p; }
  Provider* Find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Provider*> by_name_;
};

}  // namespace crosslink::providers
