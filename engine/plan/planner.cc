#include "engine/plan/planner.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/core/version.h"
#include "engine/plan/attribute_diff.h"
#include "engine/plan/refresh.h"
#include "engine/plan/restart_groups.h"

namespace crosslink::plan {

namespace {

using graph::ResourceMode;
using graph::ResourceSpec;
using providers::LiveObject;
using providers::Provider;
using state::ResourceState;

constexpr char kOrphanReason[] = "created by crosslink but missing from state (interrupted run?)";
constexpr char kAdoptReason[] =
    "created by crosslink but missing from state (interrupted run?); adopted as it is";
constexpr char kAdoptChangeReason[] =
    "adopting an object created by crosslink but missing from state (interrupted run?)";
constexpr char kRemovedReason[] = "not in the topology any more";
constexpr char kGoneReason[] = "already deleted outside crosslink";
constexpr char kReplaceRequested[] = "replacement requested with -replace";
constexpr char kUnknownInputs[] = "depends on values known only during apply";
constexpr char kDependenciesChanged[] = "its dependencies changed; only the state is updated";
constexpr char kSecretLost[] = "its secret cannot be read back; a new one will be issued";
constexpr char kNotOurs[] = "exists but was not created by crosslink; remove it or change the alias/name";

bool MatchesTarget(const std::string& address, const std::string& target) {
  if (address.size() < target.size() || address.compare(0, target.size(), target) != 0) {
    return false;
  }
  return address.size() == target.size() || address[target.size()] == '.';
}

// Whether apply has something to do for this change (wait_for counts it).
bool IsEffective(const ResourceChange& c) { return c.action != ChangeAction::kNoOp || c.orphan; }

bool SameDependencies(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return a == b;
}

Status MissingProvider(const std::string& provider, const std::string& address) {
  return Status::FailedPrecondition("no provider \"" + provider +
                                    "\" is available in this build (needed by " + address + ")");
}

class Planner {
 public:
  Planner(const std::vector<ResourceSpec>& desired, const state::State& prior,
          providers::ProviderSet& providers, const PlanOptions& opts)
      : desired_(desired), prior_(prior), providers_(providers), opts_(opts) {}

  Result<Plan> Run(PlanHooks* hooks) {
    plan_.tool_version = kVersion;
    plan_.destroy = opts_.destroy;
    plan_.refreshed = opts_.refresh;
    plan_.state_lineage = prior_.lineage;
    plan_.state_serial = prior_.serial;
    plan_.topology_file = opts_.topology_file;
    plan_.topology_digest = opts_.topology_digest;
    plan_.targets = opts_.targets;
    plan_.replace = opts_.replace;

    CROSSLINK_RETURN_IF_ERROR(IndexDesired());
    for (const auto& [address, r] : prior_.resources) {
      for (const std::string& dep : r.dependencies) state_dependents_[dep].push_back(address);
    }
    CROSSLINK_RETURN_IF_ERROR(RefreshLive(hooks));
    FindLostSecrets();
    ComputeDrift();
    if (!opts_.destroy) CROSSLINK_RETURN_IF_ERROR(PlanDesired());
    CROSSLINK_RETURN_IF_ERROR(PlanDeletes());
    IndexChanges();
    if (!opts_.targets.empty()) ApplyTargets();
    WarnUnmatchedReplace();
    FillWaitFor();
    FillRestarts();
    LogPlan();
    return std::move(plan_);
  }

 private:
  Status IndexDesired() {
    desired_pos_.reserve(desired_.size());
    for (size_t i = 0; i < desired_.size(); ++i) {
      if (!desired_pos_.emplace(desired_[i].address, i).second) {
        return Status::Internal("resource " + desired_[i].address +
                                " appears twice in the desired resources");
      }
    }
    deps_.resize(desired_.size());
    for (size_t i = 0; i < desired_.size(); ++i) {
      deps_[i] = desired_[i].AllDependencies();
      for (const std::string& dep : deps_[i]) {
        auto it = desired_pos_.find(dep);
        if (it != desired_pos_.end() && it->second >= i) {
          return Status::Internal("desired resources are not in dependency order: " +
                                  desired_[i].address + " needs " + dep + ", which comes after it");
        }
      }
    }
    replace_.insert(opts_.replace.begin(), opts_.replace.end());
    return Status::Ok();
  }

  const ResourceState* Prior(const std::string& address) const {
    auto it = prior_.resources.find(address);
    return it == prior_.resources.end() ? nullptr : &it->second;
  }

  bool IsDesired(const std::string& address) const { return desired_pos_.count(address) != 0; }

  // Checks that every resource that needs a provider has one, and (when
  // refreshing) reads every scope once.
  Status RefreshLive(PlanHooks* hooks) {
    internal::ScopeBuilder scopes;
    for (const ResourceSpec& spec : desired_) {
      // With destroy only managed objects matter: reading their scopes also
      // finds orphans to remove.
      if (opts_.destroy && spec.mode != ResourceMode::kManaged) continue;
      Provider* p = providers_.Find(spec.provider);
      if (p == nullptr) return MissingProvider(spec.provider, spec.address);
      providers::ReadItem item;
      item.address = spec.address;
      item.type = spec.type;
      item.desired = &spec;
      item.prior = Prior(spec.address);
      scopes.Add(spec.provider, p, spec.cluster, spec.environment, std::move(item));
    }
    for (const auto& [address, r] : prior_.resources) {
      if (r.mode != ResourceMode::kManaged) continue;  // forgotten, never read
      if (!opts_.destroy && IsDesired(address)) continue;
      Provider* p = providers_.Find(r.provider);
      if (p == nullptr) return MissingProvider(r.provider, address);
      if (opts_.destroy && IsDesired(address)) continue;  // already an item
      providers::ReadItem item;
      item.address = address;
      item.type = r.type;
      item.prior = &r;
      scopes.Add(r.provider, p, r.cluster, r.environment, std::move(item));
    }
    if (!opts_.refresh) return Status::Ok();
    std::vector<internal::ReadScope> list = scopes.Take();
    Result<internal::LiveView> view = internal::Refresh(list, opts_.parallelism, hooks);
    if (!view.ok()) return view.status();
    live_ = std::move(view).value();
    plan_.diagnostics.Append(live_.diagnostics);
    return Status::Ok();
  }

  // The refreshed object for `address`: what Read reported for it, or an
  // orphan reported under that address when the item itself was not found.
  // Null when not refreshed or the provider could not tell.
  const LiveObject* Live(const std::string& address) const {
    auto it = live_.objects.find(address);
    if (it != live_.objects.end() && it->second.exists) return &it->second;
    if (Prior(address) == nullptr) {
      auto o = live_.orphans.find(address);
      if (o != live_.orphans.end()) return &o->second.orphan.live;
    }
    return it == live_.objects.end() ? nullptr : &it->second;
  }

  // Outputs known now for `address`; null when unknown until apply.
  const Value* KnownOutputs(const std::string& address) const {
    auto it = planned_outputs_.find(address);
    if (it != planned_outputs_.end()) return it->second;
    return CurrentOutputs(address);
  }

  const Value* CurrentOutputs(const std::string& address) const {
    if (const LiveObject* live = Live(address)) return live->exists ? &live->outputs : nullptr;
    const ResourceState* p = Prior(address);
    return p == nullptr ? nullptr : &p->outputs;
  }

  // `v` with every reference whose output is known replaced by its value.
  // Sensitive outputs are never resolved (they stay references).
  Value Resolve(const Value& v) const {
    return graph::ResolveRefs(v, [this](const graph::Reference& ref) -> const Value* {
      const ResourceState* producer = Prior(ref.address);
      if (producer != nullptr && producer->sensitive_outputs.count(ref.output) != 0) return nullptr;
      const Value* outputs = KnownOutputs(ref.address);
      return outputs == nullptr ? nullptr : graph::FindOutput(*outputs, ref.output);
    });
  }

  void ComputeDrift() {
    for (const auto& [address, r] : prior_.resources) {
      if (r.mode == ResourceMode::kCheck) continue;
      auto it = live_.objects.find(address);
      if (it == live_.objects.end()) continue;
      const LiveObject& live = it->second;
      Drift d;
      d.address = address;
      if (!live.exists) {
        d.kind = Drift::Kind::kDeleted;
        plan_.drift.push_back(std::move(d));
        continue;
      }
      if (r.mode == ResourceMode::kData) {
        d.attribute_changes = DiffAttributes(r.outputs, live.outputs, r.outputs);
      } else {
        d.attribute_changes = DiffManagedKeys(r.attributes, live.attributes);
      }
      if (!d.attribute_changes.empty()) plan_.drift.push_back(std::move(d));
    }
  }

  // Producers whose sensitive output a desired resource's secret_inputs need
  // but whose state lacks it (an adopted orphan, a key removed from state
  // with `state rm`, an AlreadyExists after a retried create): platforms
  // return secrets only at creation, so only a new object can provide it.
  void FindLostSecrets() {
    for (const ResourceSpec& spec : desired_) {
      for (const auto& [name, ref] : spec.secret_inputs) {
        auto pos = desired_pos_.find(ref.address);
        if (pos == desired_pos_.end()) continue;
        if (desired_[pos->second].mode != ResourceMode::kManaged) continue;
        const ResourceState* producer = Prior(ref.address);
        if (producer == nullptr || producer->sensitive_outputs.count(ref.output) == 0) {
          lost_secrets_.insert(ref.address);
        }
      }
    }
  }

  // True when a secret input of `spec` comes from a resource whose secrets
  // are new in this plan.
  bool SecretInputsChange(const ResourceSpec& spec) const {
    for (const auto& [name, ref] : spec.secret_inputs) {
      auto it = action_by_address_.find(ref.address);
      if (it != action_by_address_.end() &&
          (it->second == ChangeAction::kCreate || it->second == ChangeAction::kReplace)) {
        return true;
      }
    }
    return false;
  }

  Status PlanDesired() {
    for (size_t i = 0; i < desired_.size(); ++i) {
      const ResourceSpec& spec = desired_[i];
      Provider* provider = providers_.Find(spec.provider);
      if (provider == nullptr) return MissingProvider(spec.provider, spec.address);
      const ResourceState* prior = Prior(spec.address);
      const LiveObject* live = opts_.refresh ? Live(spec.address) : nullptr;
      // Someone else's object at a managed resource's address: never adopted.
      const bool foreign = spec.mode == ResourceMode::kManaged && prior == nullptr &&
                           live != nullptr && live->exists && !live->managed_by_crosslink;
      if (foreign) {
        plan_.diagnostics.Error(SourceLocation{}, spec.address, spec.address + " " + kNotOurs,
                                "crosslink adopts only objects that carry its marks");
        spdlog::debug("plan: {} exists but is not marked as crosslink's: not adopted",
                      spec.address);
      }
      const bool adopting = prior == nullptr && live != nullptr && live->exists && !foreign;
      const bool replace_requested = replace_.count(spec.address) != 0;

      providers::PlanRequest req;
      req.desired = &spec;
      req.prior = prior;
      req.live = live;
      req.attributes = Resolve(spec.attributes);
      providers::PlanResponse resp = provider->Plan(req);
      plan_.diagnostics.Append(resp.diagnostics);

      const bool unknown = ContainsUnknown(req.attributes);
      ResourceChange c;
      c.address = spec.address;
      c.type = spec.type;
      c.provider = spec.provider;
      c.cluster = spec.cluster;
      c.mode = spec.mode;
      c.desired = spec;
      c.orphan = adopting;
      if (live != nullptr) {
        if (live->exists) {
          c.before = live->attributes;
          c.before_outputs = live->outputs;
        }
      } else if (prior != nullptr) {
        c.before = prior->attributes;
        c.before_outputs = prior->outputs;
      }
      c.reason = resp.reason;
      c.after = std::move(req.attributes);

      if (spec.mode == ResourceMode::kData) {
        PlanData(prior, live, unknown, replace_requested, resp, &c);
      } else {
        if (resp.action == ChangeAction::kDelete || resp.action == ChangeAction::kRead) {
          return Status::Internal("provider \"" + spec.provider + "\" planned " +
                                  providers::ChangeActionName(resp.action) + " for " +
                                  spec.address + ", which the topology wants to exist");
        }
        ChangeAction a = resp.action;
        if (a == ChangeAction::kNoOp && (unknown || SecretInputsChange(spec))) {
          a = ChangeAction::kUpdate;
        }
        if (a == ChangeAction::kUpdate && !resp.requires_replace.empty()) {
          a = ChangeAction::kReplace;
        }
        if (adopting && a == ChangeAction::kCreate) a = ChangeAction::kReplace;
        bool secret_lost = false;
        if (spec.mode == ResourceMode::kManaged && !foreign && lost_secrets_.count(spec.address) &&
            (a == ChangeAction::kNoOp || a == ChangeAction::kUpdate)) {
          a = ChangeAction::kReplace;
          secret_lost = true;
        }
        if (replace_requested && (a == ChangeAction::kNoOp || a == ChangeAction::kUpdate)) {
          a = ChangeAction::kReplace;
          c.reason = kReplaceRequested;
        }
        if (spec.mode == ResourceMode::kCheck && a == ChangeAction::kReplace) {
          a = ChangeAction::kUpdate;  // a check is verified again, never replaced
        }
        if (foreign) a = ChangeAction::kNoOp;  // the plan has an error: nothing to apply
        c.action = a;
        c.requires_replace = resp.requires_replace;
        if (secret_lost && c.reason != kReplaceRequested) c.reason = kSecretLost;
        if (foreign) c.reason = kNotOurs;
        if (adopting && c.reason.empty()) {
          c.reason = a == ChangeAction::kNoOp ? kAdoptReason : kAdoptChangeReason;
        }
        if (spec.mode == ResourceMode::kManaged) FillAttributeChanges(spec, prior, &c);
        c.restarts_cluster = (spec.restarts_cluster || resp.restarts_cluster) &&
                             !resp.restart_not_needed && a != ChangeAction::kNoOp;
      }

      // Nothing else changes but state records other dependencies: apply
      // rewrites them (destroy orders deletes by them).
      if (c.action == ChangeAction::kNoOp && !c.orphan && prior != nullptr &&
          !SameDependencies(prior->dependencies, deps_[i])) {
        c.refresh_dependencies = true;
        if (c.reason.empty()) c.reason = kDependenciesChanged;
      }

      // What dependents may use: outputs of an object that is not about to
      // be (re)made or (re)read.
      const bool fresh = c.action == ChangeAction::kCreate || c.action == ChangeAction::kReplace ||
                         c.action == ChangeAction::kRead;
      planned_outputs_[spec.address] = fresh ? nullptr : CurrentOutputs(spec.address);
      action_by_address_[spec.address] = c.action;
      changes_.push_back(std::move(c));
    }
    return Status::Ok();
  }

  void PlanData(const ResourceState* prior, const LiveObject* live, bool unknown,
                bool replace_requested, const providers::PlanResponse& resp, ResourceChange* c) {
    std::string reason;
    bool read = true;
    if (prior == nullptr) {
      reason = "";
    } else if (unknown) {
      reason = kUnknownInputs;
    } else if (live != nullptr && !live->exists) {
      reason = "no longer found on the platform";
    } else if (live != nullptr && live->outputs != prior->outputs) {
      reason = "its live value changed since the last apply";
    } else if (c->after != prior->attributes) {
      reason = "its inputs changed";
    } else if (replace_requested) {
      reason = "read again as requested with -replace";
    } else if (resp.action == ChangeAction::kRead) {
      reason = resp.reason;
    } else {
      read = false;
    }
    c->action = read ? ChangeAction::kRead : ChangeAction::kNoOp;
    c->reason = read ? reason : "";
  }

  void FillAttributeChanges(const ResourceSpec& spec, const ResourceState* prior,
                            ResourceChange* c) {
    if (c->action != ChangeAction::kCreate && c->action != ChangeAction::kUpdate &&
        c->action != ChangeAction::kReplace) {
      return;
    }
    const Value before = c->action == ChangeAction::kCreate ? Value() : c->before;
    const Value managed = prior != nullptr ? prior->attributes : Value();
    std::vector<AttributeChange> changes = DiffAttributes(before, c->after, managed);
    MarkForcesReplace(c->requires_replace, &changes);
    const bool secrets_new = c->action != ChangeAction::kUpdate || SecretInputsChange(spec);
    if (secrets_new) {
      for (const auto& [name, ref] : spec.secret_inputs) {
        AttributeChange s;
        s.path = name;
        s.before = c->action == ChangeAction::kCreate ? Value() : SensitiveMarker();
        s.after = SensitiveMarker();
        changes.push_back(std::move(s));
      }
    }
    std::stable_sort(
        changes.begin(), changes.end(),
        [](const AttributeChange& a, const AttributeChange& b) { return a.path < b.path; });
    c->attribute_changes = std::move(changes);
  }

  Status PlanDeletes() {
    std::vector<ResourceChange> deletes;
    for (const auto& [address, r] : prior_.resources) {
      if (!opts_.destroy && IsDesired(address)) continue;
      ResourceChange c;
      c.address = address;
      c.type = r.type;
      c.provider = r.provider;
      c.cluster = r.cluster;
      c.mode = r.mode;
      c.action = ChangeAction::kDelete;
      const LiveObject* live = nullptr;
      if (r.mode == ResourceMode::kManaged && opts_.refresh) {
        auto it = live_.objects.find(address);
        if (it != live_.objects.end()) live = &it->second;
      }
      if (live != nullptr) {
        if (live->exists) {
          c.before = live->attributes;
          c.before_outputs = live->outputs;
        }
      } else {
        c.before = r.attributes;
        c.before_outputs = r.outputs;
      }
      c.reason = opts_.destroy ? "" : kRemovedReason;
      if (r.mode == ResourceMode::kManaged) {
        Provider* provider = providers_.Find(r.provider);
        if (provider == nullptr) return MissingProvider(r.provider, address);
        providers::PlanRequest req;
        req.prior = &r;
        req.live = live;
        providers::PlanResponse resp = provider->Plan(req);
        plan_.diagnostics.Append(resp.diagnostics);
        c.restarts_cluster = resp.restarts_cluster;
        if (!resp.reason.empty()) c.reason = resp.reason;
        if (live != nullptr && !live->exists) c.reason = kGoneReason;
      }
      deletes.push_back(std::move(c));
    }
    // Orphans: adopted above when desired (and not destroying), else removed.
    for (const auto& [address, rec] : live_.orphans) {
      if (Prior(address) != nullptr) continue;
      if (!opts_.destroy && IsDesired(address)) continue;
      CROSSLINK_RETURN_IF_ERROR(AddOrphanDelete(address, rec.provider, rec.cluster, rec.orphan.type,
                                                rec.orphan.live, &deletes));
    }
    if (opts_.destroy) {
      // Desired objects that exist although state does not know them.
      for (const ResourceSpec& spec : desired_) {
        if (Prior(spec.address) != nullptr || live_.orphans.count(spec.address) != 0) continue;
        auto it = live_.objects.find(spec.address);
        if (it == live_.objects.end() || !it->second.exists) continue;
        if (!it->second.managed_by_crosslink) continue;  // someone else's: never deleted
        CROSSLINK_RETURN_IF_ERROR(AddOrphanDelete(spec.address, spec.provider, spec.cluster,
                                                  spec.type, it->second, &deletes));
      }
    }
    OrderDeletes(&deletes);
    for (ResourceChange& c : deletes) changes_.push_back(std::move(c));
    return Status::Ok();
  }

  Status AddOrphanDelete(const std::string& address, const std::string& provider_name,
                         const std::string& cluster, const std::string& type,
                         const LiveObject& live, std::vector<ResourceChange>* out) {
    Provider* provider = providers_.Find(provider_name);
    if (provider == nullptr) return MissingProvider(provider_name, address);
    ResourceChange c;
    c.address = address;
    c.type = type;
    c.provider = provider_name;
    c.cluster = cluster;
    c.mode = ResourceMode::kManaged;
    c.action = ChangeAction::kDelete;
    c.before = live.attributes;
    c.before_outputs = live.outputs;
    c.orphan = true;
    c.reason = kOrphanReason;
    providers::PlanRequest req;
    req.live = &live;
    providers::PlanResponse resp = provider->Plan(req);
    plan_.diagnostics.Append(resp.diagnostics);
    c.restarts_cluster = resp.restarts_cluster;
    out->push_back(std::move(c));
    return Status::Ok();
  }

  // Dependents before their dependencies (state edges), ties by address.
  void OrderDeletes(std::vector<ResourceChange>* deletes) const {
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < deletes->size(); ++i) index.emplace((*deletes)[i].address, i);
    std::vector<size_t> pending(deletes->size(), 0);  // dependents not yet emitted
    std::vector<std::vector<size_t>> deps(deletes->size());
    for (size_t i = 0; i < deletes->size(); ++i) {
      const ResourceState* r = (*deletes)[i].orphan ? nullptr : Prior((*deletes)[i].address);
      if (r == nullptr) continue;
      for (const std::string& d : r->dependencies) {
        auto it = index.find(d);
        if (it == index.end() || it->second == i) continue;
        deps[i].push_back(it->second);
        ++pending[it->second];
      }
    }
    auto later = [&](size_t a, size_t b) { return (*deletes)[a].address > (*deletes)[b].address; };
    std::priority_queue<size_t, std::vector<size_t>, decltype(later)> ready(later);
    for (size_t i = 0; i < deletes->size(); ++i) {
      if (pending[i] == 0) ready.push(i);
    }
    std::vector<size_t> order;
    order.reserve(deletes->size());
    std::vector<bool> emitted(deletes->size(), false);
    while (!ready.empty()) {
      const size_t i = ready.top();
      ready.pop();
      order.push_back(i);
      emitted[i] = true;
      for (size_t d : deps[i]) {
        if (--pending[d] == 0) ready.push(d);
      }
    }
    // A cycle in state (never written by crosslink) leaves the rest in address order.
    for (size_t i = 0; i < deletes->size(); ++i) {
      if (!emitted[i]) order.push_back(i);
    }
    std::vector<ResourceChange> sorted;
    sorted.reserve(deletes->size());
    for (size_t i : order) sorted.push_back(std::move((*deletes)[i]));
    *deletes = std::move(sorted);
  }

  void IndexChanges() {
    change_index_.clear();
    change_index_.reserve(changes_.size());
    for (size_t i = 0; i < changes_.size(); ++i) change_index_.emplace(changes_[i].address, i);
  }

  const ResourceChange* FindChange(const std::string& address) const {
    auto it = change_index_.find(address);
    return it == change_index_.end() ? nullptr : &changes_[it->second];
  }

  const std::vector<std::string>* StateDependents(const std::string& address) const {
    auto it = state_dependents_.find(address);
    return it == state_dependents_.end() ? nullptr : &it->second;
  }

  const std::vector<std::string>& Dependencies(const ResourceChange& c) const {
    static const std::vector<std::string> kNone;
    auto it = desired_pos_.find(c.address);
    if (!c.desired || it == desired_pos_.end()) return kNone;
    return deps_[it->second];
  }

  // Keeps the targeted changes and what they need: their dependencies, or
  // for deletes (and destroy) the deletes of their dependents.
  void ApplyTargets() {
    std::vector<bool> matched(opts_.targets.size(), false);
    std::vector<std::string> stack;
    for (const ResourceChange& c : changes_) {
      for (size_t t = 0; t < opts_.targets.size(); ++t) {
        if (MatchesTarget(c.address, opts_.targets[t])) {
          matched[t] = true;
          stack.push_back(c.address);
        }
      }
    }
    std::unordered_set<std::string> keep;
    while (!stack.empty()) {
      std::string address = std::move(stack.back());
      stack.pop_back();
      const ResourceChange* c = FindChange(address);
      if (c == nullptr || !keep.insert(address).second) continue;
      if (c->action == ChangeAction::kDelete) {
        if (const auto* dependents = StateDependents(address)) {
          for (const std::string& d : *dependents) {
            const ResourceChange* dc = FindChange(d);
            if (dc != nullptr && dc->action == ChangeAction::kDelete) stack.push_back(d);
          }
        }
      } else {
        for (const std::string& d : Dependencies(*c)) stack.push_back(d);
      }
    }
    for (size_t t = 0; t < opts_.targets.size(); ++t) {
      if (!matched[t]) {
        plan_.diagnostics.Warning(
            SourceLocation{}, "-target",
            "\"" + opts_.targets[t] + "\" matches no resource in the topology or the state",
            "check the address with `crosslink state list` or `crosslink graph`");
      }
    }
    std::vector<ResourceChange> kept;
    for (ResourceChange& c : changes_) {
      if (keep.count(c.address) != 0) kept.push_back(std::move(c));
    }
    changes_ = std::move(kept);
    std::vector<Drift> drift;
    for (Drift& d : plan_.drift) {
      if (keep.count(d.address) != 0) drift.push_back(std::move(d));
    }
    plan_.drift = std::move(drift);
    IndexChanges();
  }

  void WarnUnmatchedReplace() {
    for (const std::string& r : opts_.replace) {
      if (opts_.destroy || IsDesired(r)) continue;
      plan_.diagnostics.Warning(SourceLocation{}, "-replace",
                                "\"" + r + "\" is not a resource of the topology",
                                "give the full address of a resource to replace");
    }
  }

  // Every change waits for the nearest changed (effective) ancestors,
  // looking through unchanged resources: a check behind a no-op waits for
  // the update two hops up. Deletes wait for their dependents' deletes.
  // Cost: one pass in dependency order; a no-op resource with a single
  // unchanged-or-changed source shares its set, so the usual chains and
  // trees stay O((V+E) log V).
  void FillWaitFor() {
    using Set = std::vector<std::string>;  // sorted, unique
    static const auto kEmpty = std::make_shared<const Set>();
    // address -> the changed ancestors a dependent of it must wait for.
    std::unordered_map<std::string, std::shared_ptr<const Set>> through;
    through.reserve(changes_.size());
    auto gather = [&](const ResourceChange& c) {
      std::shared_ptr<const Set> only;
      Set merged;
      size_t sources = 0;
      for (const std::string& d : Dependencies(c)) {
        const ResourceChange* dc = FindChange(d);
        if (dc == nullptr) continue;
        std::shared_ptr<const Set> part;
        if (IsEffective(*dc)) {
          part = std::make_shared<const Set>(Set{d});
        } else {
          auto it = through.find(d);
          if (it == through.end() || it->second->empty()) continue;
          part = it->second;
        }
        if (sources++ == 0) {
          only = part;
        } else {
          if (sources == 2) merged = *only;
          merged.insert(merged.end(), part->begin(), part->end());
        }
      }
      if (sources == 0) return kEmpty;
      if (sources == 1) return only;
      std::sort(merged.begin(), merged.end());
      merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
      return std::shared_ptr<const Set>(std::make_shared<const Set>(std::move(merged)));
    };
    for (ResourceChange& c : changes_) {
      if (c.action == ChangeAction::kDelete) {
        if (!IsEffective(c)) continue;
        std::vector<std::string> wait;
        if (const auto* dependents = StateDependents(c.address)) {
          for (const std::string& d : *dependents) {
            const ResourceChange* dc = FindChange(d);
            if (dc != nullptr && d != c.address && IsEffective(*dc)) wait.push_back(d);
          }
        }
        std::sort(wait.begin(), wait.end());
        wait.erase(std::unique(wait.begin(), wait.end()), wait.end());
        c.wait_for = std::move(wait);
        continue;
      }
      std::shared_ptr<const Set> ancestors = gather(c);
      if (IsEffective(c)) {
        c.wait_for = *ancestors;
      } else {
        through[c.address] = std::move(ancestors);
      }
    }
  }

  // Operator log: each resource's action and reason (never a value).
  void LogPlan() const {
    if (!spdlog::should_log(spdlog::level::debug)) return;
    for (const ResourceChange& c : plan_.changes) {
      spdlog::debug("plan: {} -> {}{}{}{}", c.address, providers::ChangeActionName(c.action),
                    c.orphan ? " (orphan)" : "",
                    c.refresh_dependencies ? " (dependencies refreshed in state)" : "",
                    c.reason.empty() ? "" : " reason: " + c.reason);
    }
    for (const RestartGroup& g : plan_.restart_groups) {
      spdlog::debug("plan: restart group {}/{}: {} changes", g.provider, g.cluster,
                    g.members.size());
    }
    spdlog::debug("plan: {} changes considered, {} drifted, {} diagnostics",
                  plan_.changes.size(), plan_.drift.size(), plan_.diagnostics.items().size());
  }

  void FillRestarts() {
    std::set<std::string> clusters;
    for (const ResourceChange& c : changes_) {
      if (c.restarts_cluster && !c.cluster.empty() && c.action != ChangeAction::kNoOp &&
          c.action != ChangeAction::kRead) {
        clusters.insert(c.cluster);
      }
    }
    plan_.restarts.assign(clusters.begin(), clusters.end());
    plan_.changes = std::move(changes_);
    plan_.restart_groups = FormRestartGroups(plan_.changes);
  }

  const std::vector<ResourceSpec>& desired_;
  const state::State& prior_;
  providers::ProviderSet& providers_;
  const PlanOptions& opts_;

  std::unordered_map<std::string, size_t> desired_pos_;
  std::vector<std::vector<std::string>> deps_;  // AllDependencies() by desired position
  std::unordered_set<std::string> replace_;
  // address -> resources whose prior-state dependencies name it (address order)
  std::unordered_map<std::string, std::vector<std::string>> state_dependents_;
  internal::LiveView live_;
  // Desired resources planned so far: their usable outputs (null: unknown).
  std::unordered_map<std::string, const Value*> planned_outputs_;
  std::unordered_map<std::string, ChangeAction> action_by_address_;
  // Managed producers whose needed sensitive output state lacks.
  std::unordered_set<std::string> lost_secrets_;
  std::vector<ResourceChange> changes_;
  std::unordered_map<std::string, size_t> change_index_;
  Plan plan_;
};

}  // namespace

Result<Plan> MakePlan(const std::vector<graph::ResourceSpec>& desired, const state::State& prior,
                      providers::ProviderSet& providers, const PlanOptions& opts,
                      PlanHooks* hooks) {
  Planner planner(desired, prior, providers, opts);
  return planner.Run(hooks);
}

}  // namespace crosslink::plan
