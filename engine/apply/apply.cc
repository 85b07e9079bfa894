#include "engine/apply/apply.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/apply/scheduler.h"
#include "engine/plan/restart_groups.h"

namespace crosslink::apply {

using graph::ResourceMode;
using plan::ResourceChange;
using providers::ApplyRequest;
using providers::ApplyResponse;
using providers::ChangeAction;

std::chrono::milliseconds BackoffDelay(const ApplyOptions& opts, int attempt, double jitter) {
  int64_t initial = std::max<int64_t>(opts.initial_backoff.count(), 0);
  int64_t cap = std::max<int64_t>(opts.max_backoff.count(), 0);
  int64_t delay = initial;
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  jitter = std::clamp(jitter, 0.0, 1.0);
  int64_t half = delay / 2;
  return std::chrono::milliseconds(delay - half + static_cast<int64_t>(half * jitter));
}

namespace {

// A provider answer as one Status: an error diagnostic without an error
// status still fails the action.
Status ResponseStatus(const Status& status, const Diagnostics& diagnostics) {
  if (!status.ok() || !diagnostics.has_errors()) return status;
  std::string msg;
  for (const Diagnostic& d : diagnostics.items()) {
    if (d.severity != Severity::kError) continue;
    if (!msg.empty()) msg += "; ";
    msg += d.summary;
    if (!d.hint.empty()) msg += " (" + d.hint + ")";
  }
  return Status::FailedPrecondition(msg);
}

// The jitter generator of one change or restart group, derived from the
// seed and `key` (address or group name), so that a fixed seed gives the
// same delays whatever the thread interleaving.
std::mt19937_64 JitterRng(uint64_t seed, const std::string& key) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(std::hash<std::string>{}(key))};
  return std::mt19937_64(seq);
}

// A retryable failure of the last allowed attempt `n`: final.
Status GaveUp(const Status& s, int n) {
  return Status::Error(s.code(), s.message() + " (gave up after " + std::to_string(n) +
                                     (n == 1 ? " attempt)" : " attempts)"));
}

state::ResourceState FromSpec(const graph::ResourceSpec& spec) {
  state::ResourceState rs;
  rs.address = spec.address;
  rs.type = spec.type;
  rs.provider = spec.provider;
  rs.cluster = spec.cluster;
  rs.environment = spec.environment;
  rs.mode = spec.mode;
  rs.dependencies = spec.AllDependencies();
  return rs;
}

// What a delete acts on when the state does not know the resource (an
// orphan found by discovery): its live attributes and outputs, so that the
// provider can find it by id.
state::ResourceState FromChange(const ResourceChange& c) {
  state::ResourceState rs;
  rs.address = c.address;
  rs.type = c.type;
  rs.provider = c.provider;
  rs.cluster = c.cluster;
  rs.mode = c.mode;
  rs.attributes = c.before.is_null() ? Value::object() : c.before;
  rs.outputs = c.before_outputs.is_null() ? Value::object() : c.before_outputs;
  return rs;
}

// An orphan at a desired address that needs no change: apply only records it.
bool IsAdoption(const ResourceChange& c) { return c.action == ChangeAction::kNoOp && c.orphan; }

// A change with nothing to do: an ordering-only node.
bool IsIdle(const ResourceChange& c) {
  return c.action == ChangeAction::kNoOp && !c.orphan && !c.refresh_dependencies;
}

// Nothing changes but the state entry's dependencies: apply rewrites them.
bool IsDependencyRefresh(const ResourceChange& c) {
  return c.action == ChangeAction::kNoOp && !c.orphan && c.refresh_dependencies;
}

class Runner {
 public:
  Runner(const plan::Plan& plan, state::State& state, state::Backend& backend,
         providers::ProviderSet& providers, Clock& clock, const ApplyOptions& opts,
         ApplyHooks* hooks)
      : plan_(plan),
        state_(state),
        backend_(backend),
        providers_(providers),
        clock_(clock),
        opts_(opts),
        hooks_(hooks != nullptr ? hooks : &no_hooks_),
        seed_(opts.jitter_seed != 0 ? opts.jitter_seed : std::random_device{}()) {}

  ApplySummary Run();

 private:
  // One provider call in the making: the request, and the state entry it
  // points at (`request.prior` points into `prior`, so a Pending never moves).
  struct Pending {
    Pending() = default;
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;

    size_t node = 0;  // the change's index in the plan
    const ResourceChange* change = nullptr;
    std::optional<state::ResourceState> prior;  // the state entry; for a delete of an orphan,
                                                // what the plan saw of it
    bool in_state = false;                      // `prior` came from the state
    ApplyRequest request;
    Status last;  // the latest attempt's outcome (restart groups)
  };

  // A restart group (plan::RestartGroup): one scheduler node, after the
  // plan's changes, that applies every member with one ApplyGroup call.
  struct Group {
    const plan::RestartGroup* group = nullptr;
    std::string name;             // scheduler node name
    std::vector<size_t> members;  // plan change indices, in group order
  };

  // Builds the restart group nodes; a plan whose groups are not made of its
  // own changes cannot be applied.
  Status InitGroups(const std::unordered_map<std::string, size_t>& index);
  std::vector<SchedulerNode> BuildNodes(const std::unordered_map<std::string, size_t>& index);

  Status Work(size_t node);
  // Counts the outcome of change `node` and tells the hooks.
  void Report(size_t node, const Status& s);
  Status Execute(const ResourceChange& c);
  Status DoAdopt(const ResourceChange& c);
  Status DoRefreshDependencies(const ResourceChange& c);
  Status DoCreate(const ResourceChange& c, providers::Provider* provider);
  Status DoUpdate(const ResourceChange& c, providers::Provider* provider);
  Status DoDelete(const ResourceChange& c, providers::Provider* provider);
  Status DoRead(const ResourceChange& c, providers::Provider* provider);

  // The two halves of create / update / delete, shared by the one-by-one
  // path (Do*) and restart groups (RunGroup). Prepare* resolve references
  // from the current state and fill `p`; Record* write the provider's
  // answer to the state and the backend.
  Status PrepareCreate(const ResourceChange& c, Pending* p);
  Status PrepareUpdate(const ResourceChange& c, Pending* p);
  Status PrepareDelete(const ResourceChange& c, Pending* p);
  Status PrepareReplace(const ResourceChange& c, Pending* p);  // delete's prior + create's request
  Status RecordCreate(const ResourceChange& c, Pending* p, ApplyResponse* resp);
  Status RecordUpdate(const ResourceChange& c, Pending* p, ApplyResponse* resp);
  Status RecordDelete(const ResourceChange& c, const Pending& p);

  // The work of restart group `k`: see apply.h.
  void RunGroup(size_t k);
  // Prepare* / Record* for a member, by its action.
  Status PrepareMember(const ResourceChange& c, Pending* p);
  Status RecordMember(Pending* p, ApplyResponse* resp);
  // The member's final outcome: recorded for its node, counted, reported.
  void FinishMember(size_t node, const Status& s);
  Status MemberStatus(size_t node);

  // Calls `attempt` until it succeeds, fails for good, or max_attempts ran out.
  Status Retrying(const ResourceChange& c, const std::function<Status()>& attempt);
  Status Resolve(const graph::ResourceSpec& spec, Value* attributes,
                 std::map<std::string, Secret>* secrets);
  // The ApplyRequest::progress of a provider call for change `c`.
  std::function<void(const std::string&)> Progress(const ResourceChange& c);
  std::optional<state::ResourceState> Prior(const std::string& address);
  providers::Provider* FindProvider(const ResourceChange& c, std::string* name);
  Status Upsert(state::ResourceState rs);
  Status Remove(const std::string& address);
  Status RecordFailed(const Status& s);
  std::string Now() { return FormatUtc(clock_.WallNow()); }

  const plan::Plan& plan_;
  state::State& state_;
  state::Backend& backend_;
  providers::ProviderSet& providers_;
  Clock& clock_;
  const ApplyOptions& opts_;
  ApplyHooks no_hooks_;
  ApplyHooks* hooks_;
  const uint64_t seed_;
  Scheduler scheduler_;

  std::vector<Group> groups_;
  std::vector<int> group_of_;  // per change: its group's index, or -1

  std::mutex state_mu_;    // guards state_
  std::mutex summary_mu_;  // guards summary_, failures_, member_status_ and member_owner_
  ApplySummary summary_;
  std::vector<std::pair<size_t, ApplyFailure>> failures_;  // by node, sorted at the end
  // Per change: the outcome its restart group reported (nullopt: not yet).
  std::vector<std::optional<Status>> member_status_;
  // Per change of a group: who reports it. A group takes its members when it
  // starts, except those already reported as skipped (the run stopped
  // between the group's start and then); a member taken by its group is
  // never reported as skipped.
  enum class Owner : char { kNone, kGroup, kSkipped };
  std::vector<Owner> member_owner_;
};

Status Runner::InitGroups(const std::unordered_map<std::string, size_t>& index) {
  group_of_.assign(plan_.changes.size(), -1);
  member_status_.assign(plan_.changes.size(), std::nullopt);
  member_owner_.assign(plan_.changes.size(), Owner::kNone);
  for (const plan::RestartGroup& g : plan_.restart_groups) {
    Group group;
    group.group = &g;
    group.name = "restart group " + g.provider + "/" + g.cluster;
    const std::string where = "restart group of cluster " + g.cluster + " (" + g.provider + ")";
    if (g.members.size() < 2) return Status::InvalidArgument(where + " has fewer than 2 changes");
    for (const std::string& address : g.members) {
      auto it = index.find(address);
      if (it == index.end()) {
        return Status::InvalidArgument(where + " names " + address +
                                       ", which is not a change of the plan");
      }
      const ResourceChange& c = plan_.changes[it->second];
      if (group_of_[it->second] >= 0) {
        return Status::InvalidArgument(address + " is in more than one restart group");
      }
      if (!plan::IsRestartGroupCandidate(c) || c.provider != g.provider || c.cluster != g.cluster) {
        return Status::InvalidArgument(
            where + " names " + address +
            ", which cannot be part of it (only managed changes of that cluster and provider "
            "that restart it: create, update, replace or delete)");
      }
      group_of_[it->second] = static_cast<int>(groups_.size());
      group.members.push_back(it->second);
    }
    for (size_t m : group.members) {
      for (const std::string& dep : plan_.changes[m].wait_for) {
        auto it = index.find(dep);
        if (it != index.end() && group_of_[it->second] == static_cast<int>(groups_.size())) {
          return Status::InvalidArgument(where + ": " + plan_.changes[m].address + " waits for " +
                                         dep + ", another change of the group");
        }
      }
    }
    groups_.push_back(std::move(group));
  }
  return Status::Ok();
}

// One node per change, in plan order, then one per restart group. A member
// waits for its group; the group waits for what its members wait for.
std::vector<SchedulerNode> Runner::BuildNodes(
    const std::unordered_map<std::string, size_t>& index) {
  auto needed = [&](const std::string& dep) {
    // Not changed by this plan but already there: nothing to wait for.
    return index.count(dep) != 0 || state_.Find(dep) == nullptr;
  };
  std::vector<SchedulerNode> nodes;
  nodes.reserve(plan_.changes.size() + groups_.size());
  for (size_t i = 0; i < plan_.changes.size(); ++i) {
    const ResourceChange& c = plan_.changes[i];
    SchedulerNode node{c.address, {}};
    if (group_of_[i] >= 0) {
      node.wait_for.push_back(groups_[group_of_[i]].name);
    } else {
      for (const std::string& dep : c.wait_for) {
        if (needed(dep)) node.wait_for.push_back(dep);
      }
    }
    nodes.push_back(std::move(node));
  }
  for (const Group& g : groups_) {
    SchedulerNode node{g.name, {}};
    std::set<std::string> members(g.group->members.begin(), g.group->members.end());
    std::set<std::string> deps;
    for (size_t m : g.members) {
      for (const std::string& dep : plan_.changes[m].wait_for) {
        if (members.count(dep) == 0 && needed(dep)) deps.insert(dep);
      }
    }
    node.wait_for.assign(deps.begin(), deps.end());
    nodes.push_back(std::move(node));
  }
  return nodes;
}

ApplySummary Runner::Run() {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < plan_.changes.size(); ++i) index.emplace(plan_.changes[i].address, i);
  Status init = InitGroups(index);
  if (!init.ok()) {
    // Only a damaged or hand-edited plan file gets here: the planner forms
    // valid groups.
    init = Status::InvalidArgument(init.message() +
                                   "; make the plan again (crosslink plan -out FILE)");
  } else {
    init = scheduler_.Init(BuildNodes(index));
  }
  if (!init.ok()) {
    summary_.failures.push_back({"", "the plan cannot be applied: " + init.message()});
  } else {
    scheduler_.Run(
        opts_.parallelism, [this](size_t node) { return Work(node); },
        [this](size_t node, const std::string& reason) {
          if (node >= plan_.changes.size()) return;  // a restart group: its members report
          const ResourceChange& c = plan_.changes[node];
          if (IsIdle(c)) return;
          {
            std::lock_guard<std::mutex> lock(summary_mu_);
            // A member its group runs and reports (the run stopped meanwhile).
            if (group_of_[node] >= 0) {
              if (member_owner_[node] == Owner::kGroup) return;
              member_owner_[node] = Owner::kSkipped;
            }
            ++summary_.skipped;
          }
          hooks_->OnSkipped(c, reason);
        });
  }
  std::sort(failures_.begin(), failures_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ApplyFailure> failures;
  for (auto& [node, f] : failures_) failures.push_back(std::move(f));
  failures.insert(failures.end(), summary_.failures.begin(), summary_.failures.end());
  summary_.failures = std::move(failures);

  Status persisted = backend_.Persist(state_);
  if (!persisted.ok()) {
    summary_.failures.push_back({"", "saving the state failed: " + persisted.message()});
  }
  return summary_;
}

Status Runner::Work(size_t node) {
  if (node >= plan_.changes.size()) {
    RunGroup(node - plan_.changes.size());
    return Status::Ok();  // members report their own outcomes
  }
  if (group_of_[node] >= 0) return MemberStatus(node);
  const ResourceChange& c = plan_.changes[node];
  if (IsIdle(c)) return Status::Ok();
  hooks_->OnStart(c);
  Status s = Execute(c);
  Report(node, s);
  return s;
}

void Runner::Report(size_t node, const Status& s) {
  const ResourceChange& c = plan_.changes[node];
  if (!s.ok()) {
    {
      std::lock_guard<std::mutex> lock(summary_mu_);
      ++summary_.failed;
      failures_.push_back({node, ApplyFailure{c.address, s.message()}});
    }
    hooks_->OnFailed(c, s);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    bool check = c.mode == ResourceMode::kCheck;
    switch (c.action) {
      case ChangeAction::kCreate:
        ++(check ? summary_.checked : summary_.created);
        break;
      case ChangeAction::kUpdate:
        ++(check ? summary_.checked : summary_.updated);
        break;
      case ChangeAction::kReplace:
        ++(check ? summary_.checked : summary_.replaced);
        break;
      case ChangeAction::kDelete:
        ++summary_.deleted;
        break;
      case ChangeAction::kRead:
        ++summary_.read;
        break;
      case ChangeAction::kNoOp:
        if (c.orphan) ++summary_.adopted;  // else a dependency refresh; IsIdle never gets here
        break;
    }
  }
  hooks_->OnDone(c);
}

Status Runner::Execute(const ResourceChange& c) {
  bool needs_desired = c.action != ChangeAction::kDelete;
  if (needs_desired && !c.desired) {
    return Status::Internal(c.address + ": the plan has no desired resource for a " +
                            providers::ChangeActionName(c.action));
  }
  if (IsAdoption(c)) return DoAdopt(c);  // no provider call
  if (IsDependencyRefresh(c)) return DoRefreshDependencies(c);  // state only
  std::string provider_name;
  providers::Provider* provider = FindProvider(c, &provider_name);
  if (provider == nullptr) {
    return Status::FailedPrecondition("no provider \"" + provider_name + "\" is configured for " +
                                      c.address);
  }
  ResourceMode mode = c.desired ? c.desired->mode : c.mode;
  switch (c.action) {
    case ChangeAction::kNoOp:
      return Status::Ok();
    case ChangeAction::kCreate:
      return mode == ResourceMode::kData ? DoRead(c, provider) : DoCreate(c, provider);
    case ChangeAction::kUpdate:
      return mode == ResourceMode::kData ? DoRead(c, provider) : DoUpdate(c, provider);
    case ChangeAction::kReplace:
      if (mode == ResourceMode::kData) return DoRead(c, provider);
      CROSSLINK_RETURN_IF_ERROR(DoDelete(c, provider));
      return DoCreate(c, provider);
    case ChangeAction::kDelete:
      return DoDelete(c, provider);
    case ChangeAction::kRead:
      return DoRead(c, provider);
  }
  return Status::Internal("unknown change action");
}

// The object exists as desired; state only learns it, from what the plan
// saw of it. Its secrets cannot be read back, so it has no sensitive outputs.
Status Runner::DoAdopt(const ResourceChange& c) {
  state::ResourceState rs = FromSpec(*c.desired);
  rs.attributes = c.before.is_null() ? Value::object() : c.before;
  rs.outputs = c.before_outputs.is_null() ? Value::object() : c.before_outputs;
  rs.created_at = rs.updated_at = Now();
  return Upsert(std::move(rs));
}

// State only: the entry keeps everything but records the dependencies the
// topology now gives it (destroy orders deletes by them).
Status Runner::DoRefreshDependencies(const ResourceChange& c) {
  std::optional<state::ResourceState> prior = Prior(c.address);
  if (!prior) {
    return Status::FailedPrecondition(c.address +
                                      ": cannot update its dependencies: it is not in the state");
  }
  prior->dependencies = c.desired->AllDependencies();
  spdlog::debug("apply: {} dependencies rewritten in state ({} now)", c.address,
                prior->dependencies.size());
  return Upsert(std::move(*prior));
}

Status Runner::DoCreate(const ResourceChange& c, providers::Provider* provider) {
  Pending p;
  CROSSLINK_RETURN_IF_ERROR(PrepareCreate(c, &p));
  ApplyResponse resp;
  CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
    spdlog::debug("apply: {} Create via provider {}", c.address, provider->name());
    resp = provider->Create(p.request);
    return ResponseStatus(resp.status, resp.diagnostics);
  }));
  return RecordCreate(c, &p, &resp);
}

Status Runner::DoUpdate(const ResourceChange& c, providers::Provider* provider) {
  Pending p;
  CROSSLINK_RETURN_IF_ERROR(PrepareUpdate(c, &p));
  ApplyResponse resp;
  CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
    spdlog::debug("apply: {} Update via provider {}", c.address, provider->name());
    resp = provider->Update(p.request);
    return ResponseStatus(resp.status, resp.diagnostics);
  }));
  return RecordUpdate(c, &p, &resp);
}

Status Runner::DoDelete(const ResourceChange& c, providers::Provider* provider) {
  Pending p;
  CROSSLINK_RETURN_IF_ERROR(PrepareDelete(c, &p));
  if (p.prior->mode == ResourceMode::kManaged) {
    CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
      spdlog::debug("apply: {} Delete via provider {}{}", c.address, provider->name(),
                    p.in_state ? "" : " (orphan, not in state)");
      ApplyResponse resp = provider->Delete(p.request);
      return ResponseStatus(resp.status, resp.diagnostics);
    }));
  }
  return RecordDelete(c, p);
}

Status Runner::PrepareCreate(const ResourceChange& c, Pending* p) {
  const graph::ResourceSpec& spec = *c.desired;
  p->change = &c;
  p->request.progress = Progress(c);
  p->request.desired = &spec;
  p->request.prior = nullptr;
  return Resolve(spec, &p->request.attributes, &p->request.secret_inputs);
}

Status Runner::PrepareUpdate(const ResourceChange& c, Pending* p) {
  const graph::ResourceSpec& spec = *c.desired;
  p->change = &c;
  p->request.progress = Progress(c);
  p->prior = Prior(c.address);
  p->in_state = p->prior.has_value();
  p->request.desired = &spec;
  // Null: adopting an object state did not know.
  p->request.prior = p->prior ? &*p->prior : nullptr;
  return Resolve(spec, &p->request.attributes, &p->request.secret_inputs);
}

Status Runner::PrepareDelete(const ResourceChange& c, Pending* p) {
  p->change = &c;
  p->request.progress = Progress(c);
  p->prior = Prior(c.address);
  p->in_state = p->prior.has_value();
  if (!p->in_state) p->prior = FromChange(c);
  p->request.desired = c.desired ? &*c.desired : nullptr;
  p->request.prior = &*p->prior;
  p->request.attributes = p->prior->attributes;
  return Status::Ok();
}

Status Runner::PrepareReplace(const ResourceChange& c, Pending* p) {
  CROSSLINK_RETURN_IF_ERROR(PrepareDelete(c, p));
  const graph::ResourceSpec& spec = *c.desired;
  p->request.desired = &spec;
  return Resolve(spec, &p->request.attributes, &p->request.secret_inputs);
}

Status Runner::RecordCreate(const ResourceChange& c, Pending* p, ApplyResponse* resp) {
  state::ResourceState rs = FromSpec(*c.desired);
  rs.attributes = std::move(p->request.attributes);
  rs.outputs = std::move(resp->result.outputs);
  rs.sensitive_outputs = std::move(resp->result.sensitive_outputs);
  rs.created_at = rs.updated_at = Now();
  return Upsert(std::move(rs));
}

Status Runner::RecordUpdate(const ResourceChange& c, Pending* p, ApplyResponse* resp) {
  const std::optional<state::ResourceState>& prior = p->prior;
  state::ResourceState rs = FromSpec(*c.desired);
  rs.attributes = std::move(p->request.attributes);
  // Platforms may return only what changed: keep prior outputs (an adopted
  // object's: those the plan saw) and secrets unless the response replaces them.
  const Value& kept = prior ? prior->outputs : c.before_outputs;
  rs.outputs = kept.is_object() ? kept : Value::object();
  if (resp->result.outputs.is_object()) {
    for (auto it = resp->result.outputs.begin(); it != resp->result.outputs.end(); ++it) {
      rs.outputs[it.key()] = it.value();
    }
  }
  if (prior) rs.sensitive_outputs = prior->sensitive_outputs;
  for (auto& [name, secret] : resp->result.sensitive_outputs) rs.sensitive_outputs[name] = secret;
  rs.updated_at = Now();
  rs.created_at = prior && !prior->created_at.empty() ? prior->created_at : rs.updated_at;
  return Upsert(std::move(rs));
}

Status Runner::RecordDelete(const ResourceChange& c, const Pending& p) {
  if (!p.in_state) return Status::Ok();
  return Remove(c.address);
}

void Runner::FinishMember(size_t node, const Status& s) {
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    member_status_[node] = s;
  }
  Report(node, s);
}

Status Runner::MemberStatus(size_t node) {
  std::lock_guard<std::mutex> lock(summary_mu_);
  if (!member_status_[node].has_value()) {
    return Status::Internal(plan_.changes[node].address + ": its restart group did not run it");
  }
  return *member_status_[node];
}

Status Runner::PrepareMember(const ResourceChange& c, Pending* p) {
  if (c.action != ChangeAction::kDelete && !c.desired) {
    return Status::Internal(c.address + ": the plan has no desired resource for a " +
                            providers::ChangeActionName(c.action));
  }
  switch (c.action) {
    case ChangeAction::kCreate:
      return PrepareCreate(c, p);
    case ChangeAction::kUpdate:
      return PrepareUpdate(c, p);
    case ChangeAction::kReplace:
      return PrepareReplace(c, p);
    default:
      return PrepareDelete(c, p);  // InitGroups admits nothing else
  }
}

Status Runner::RecordMember(Pending* p, ApplyResponse* resp) {
  const ResourceChange& c = *p->change;
  if (c.action == ChangeAction::kUpdate) return RecordUpdate(c, p, resp);
  if (c.action == ChangeAction::kDelete) return RecordDelete(c, *p);
  return RecordCreate(c, p, resp);  // create, and replace: a new object
}

void Runner::RunGroup(size_t k) {
  const Group& g = groups_[k];
  std::vector<size_t> members;
  {
    std::lock_guard<std::mutex> lock(summary_mu_);
    for (size_t m : g.members) {
      if (member_owner_[m] == Owner::kSkipped) continue;
      member_owner_[m] = Owner::kGroup;
      members.push_back(m);
    }
  }
  std::vector<std::unique_ptr<Pending>> pending;
  std::string provider_name;
  providers::Provider* provider = FindProvider(plan_.changes[g.members.front()], &provider_name);
  for (size_t m : members) {
    const ResourceChange& c = plan_.changes[m];
    hooks_->OnStart(c);
    if (provider == nullptr) {
      FinishMember(m, Status::FailedPrecondition("no provider \"" + provider_name +
                                                 "\" is configured for " + c.address));
      continue;
    }
    auto p = std::make_unique<Pending>();
    p->node = m;
    Status prepared = PrepareMember(c, p.get());
    if (!prepared.ok()) {
      FinishMember(m, prepared);
      continue;
    }
    pending.push_back(std::move(p));
  }

  // Same backoff as Retrying, one generator per group.
  std::mt19937_64 rng = JitterRng(seed_, g.name);
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  const int max_attempts = std::max(opts_.max_attempts, 1);
  for (int n = 1; !pending.empty(); ++n) {
    std::vector<providers::GroupChange> changes;
    changes.reserve(pending.size());
    for (const auto& p : pending) {
      changes.push_back({p->change->action, p->change->address, p->request});
    }
    spdlog::debug("apply: {}: ApplyGroup of {} changes via provider {} (attempt {})", g.name,
                  changes.size(), provider->name(), n);
    std::vector<ApplyResponse> responses;
    std::string broken;  // why the answer cannot be used
    try {
      responses = provider->ApplyGroup(changes);
    } catch (const std::exception& e) {
      broken = std::string("threw an exception (") + e.what() + ")";
    } catch (...) {
      broken = "threw an exception";
    }
    if (broken.empty() && responses.size() != changes.size()) {
      broken = "answered " + std::to_string(responses.size()) + " results for " +
               std::to_string(changes.size()) + " changes";
    }
    if (!broken.empty()) {
      // A provider bug: which members it applied is unknown; the next plan
      // reads them again.
      for (const auto& p : pending) {
        FinishMember(p->node, Status::Internal("provider \"" + provider->name() + "\" " + broken +
                                               " in the " + g.name +
                                               "; run plan again to see what was applied"));
      }
      return;
    }
    std::vector<std::unique_ptr<Pending>> retry;
    for (size_t i = 0; i < pending.size(); ++i) {
      Pending& p = *pending[i];
      const ResourceChange& c = *p.change;
      Status s = ResponseStatus(responses[i].status, responses[i].diagnostics);
      if (s.ok()) {
        spdlog::debug("apply: {} {} succeeded in {} (attempt {})", c.address,
                      providers::ChangeActionName(c.action), g.name, n);
        FinishMember(p.node, RecordMember(&p, &responses[i]));
        continue;
      }
      spdlog::debug("apply: {} {} attempt {} failed in {}{}: {}", c.address,
                    providers::ChangeActionName(c.action), n, g.name,
                    s.retryable() ? " (retryable)" : "", s.message());
      if (s.retryable() && n < max_attempts) {
        p.last = s;
        retry.push_back(std::move(pending[i]));
      } else {
        FinishMember(p.node, s.retryable() ? GaveUp(s, n) : s);
      }
    }
    if (retry.empty()) break;
    std::chrono::milliseconds delay = BackoffDelay(opts_, n, jitter(rng));
    spdlog::debug("apply: {}: retry {} of {} for {} changes in {} ms", g.name, n + 1, max_attempts,
                  retry.size(), delay.count());
    for (const auto& p : retry) hooks_->OnRetry(*p->change, n, p->last, delay);
    clock_.Sleep(delay);
    pending = std::move(retry);
  }
}

Status Runner::DoRead(const ResourceChange& c, providers::Provider* provider) {
  const graph::ResourceSpec& spec = *c.desired;
  std::optional<state::ResourceState> prior = Prior(c.address);
  Value attributes;
  std::map<std::string, Secret> unused_secrets;
  CROSSLINK_RETURN_IF_ERROR(Resolve(spec, &attributes, &unused_secrets));
  providers::ReadRequest req;
  req.cluster = spec.cluster;
  req.environment = spec.environment;
  req.items.push_back({spec.address, spec.type, &spec, prior ? &*prior : nullptr});
  providers::ReadResponse resp;
  CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
    spdlog::debug("apply: {} Read via provider {}", c.address, provider->name());
    resp = provider->Read(req);
    return ResponseStatus(resp.status, resp.diagnostics);
  }));
  auto it = resp.objects.find(spec.address);
  if (it == resp.objects.end() || !it->second.exists) {
    std::string where = spec.cluster.empty() ? "" : " on cluster " + spec.cluster;
    return Status::NotFound(spec.address + " was not found" + where);
  }
  state::ResourceState rs = FromSpec(spec);
  rs.attributes = std::move(attributes);
  rs.outputs = std::move(it->second.outputs);
  rs.sensitive_outputs = std::move(it->second.sensitive_outputs);
  rs.updated_at = Now();
  rs.created_at = prior && !prior->created_at.empty() ? prior->created_at : rs.updated_at;
  return Upsert(std::move(rs));
}

Status Runner::Retrying(const ResourceChange& c, const std::function<Status()>& attempt) {
  std::mt19937_64 rng = JitterRng(seed_, c.address);
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  int max_attempts = std::max(opts_.max_attempts, 1);
  for (int n = 1;; ++n) {
    Status s = attempt();
    if (s.ok()) {
      spdlog::debug("apply: {} {} succeeded (attempt {})", c.address,
                    providers::ChangeActionName(c.action), n);
    } else {
      spdlog::debug("apply: {} {} attempt {} failed{}: {}", c.address,
                    providers::ChangeActionName(c.action), n, s.retryable() ? " (retryable)" : "",
                    s.message());
    }
    if (s.ok() || !s.retryable() || n >= max_attempts) {
      return !s.ok() && s.retryable() ? GaveUp(s, n) : s;
    }
    std::chrono::milliseconds delay = BackoffDelay(opts_, n, jitter(rng));
    spdlog::debug("apply: {} retry {} of {} in {} ms", c.address, n + 1, max_attempts,
                  delay.count());
    hooks_->OnRetry(c, n, s, delay);
    clock_.Sleep(delay);
  }
}

Status Runner::Resolve(const graph::ResourceSpec& spec, Value* attributes,
                       std::map<std::string, Secret>* secrets) {
  std::lock_guard<std::mutex> lock(state_mu_);
  std::vector<graph::Reference> missing;
  *attributes = graph::ResolveRefs(
      spec.attributes,
      [this](const graph::Reference& ref) -> const Value* {
        const state::ResourceState* producer = state_.Find(ref.address);
        return producer == nullptr ? nullptr : graph::FindOutput(producer->outputs, ref.output);
      },
      &missing);
  if (!missing.empty()) {
    const graph::Reference& ref = missing.front();
    return Status::FailedPrecondition(
        spec.address + ": needs output \"" + ref.output + "\" of " + ref.address +
        (state_.Find(ref.address) == nullptr ? ", which is not in the state"
                                             : ", which has no such output"));
  }
  for (const auto& [input, ref] : spec.secret_inputs) {
    const state::ResourceState* producer = state_.Find(ref.address);
    if (producer == nullptr) {
      return Status::FailedPrecondition(spec.address + ": secret input \"" + input +
                                        "\" needs output \"" + ref.output + "\" of " + ref.address +
                                        ", which is not in the state");
    }
    auto it = producer->sensitive_outputs.find(ref.output);
    if (it == producer->sensitive_outputs.end()) {
      return Status::FailedPrecondition(spec.address + ": secret input \"" + input +
                                        "\" needs output \"" + ref.output + "\" of " + ref.address +
                                        ", which has no such sensitive output");
    }
    (*secrets)[input] = it->second;
  }
  return Status::Ok();
}

std::function<void(const std::string&)> Runner::Progress(const ResourceChange& c) {
  ApplyHooks* hooks = hooks_;
  const ResourceChange* change = &c;  // outlives the run, hence every provider call
  return [hooks, change](const std::string& message) {
    spdlog::debug("apply: {}: {}", change->address, message);
    hooks->OnProgress(*change, message);
  };
}

providers::Provider* Runner::FindProvider(const ResourceChange& c, std::string* name) {
  *name = c.provider;
  if (name->empty() && c.desired) *name = c.desired->provider;
  if (name->empty()) {
    if (auto prior = Prior(c.address)) *name = prior->provider;
  }
  return providers_.Find(*name);
}

std::optional<state::ResourceState> Runner::Prior(const std::string& address) {
  std::lock_guard<std::mutex> lock(state_mu_);
  const state::ResourceState* rs = state_.Find(address);
  if (rs == nullptr) return std::nullopt;
  return *rs;
}

Status Runner::Upsert(state::ResourceState rs) {
  spdlog::debug("apply: recording {} in state ({} outputs, {} sensitive outputs, {} dependencies)",
                rs.address, rs.outputs.is_object() ? rs.outputs.size() : 0,
                rs.sensitive_outputs.size(), rs.dependencies.size());
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state_.resources[rs.address] = rs;
  }
  Status s = backend_.RecordUpsert(rs);
  if (!s.ok()) spdlog::error("apply: recording {} failed: {}", rs.address, s.message());
  return s.ok() ? s : RecordFailed(s);
}

Status Runner::Remove(const std::string& address) {
  spdlog::debug("apply: removing {} from state", address);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state_.resources.erase(address);
  }
  Status s = backend_.RecordRemove(address);
  return s.ok() ? s : RecordFailed(s);
}

Status Runner::RecordFailed(const Status& s) {
  Status failed = s.WithContext("the change was made but could not be recorded in the state");
  scheduler_.Stop("run stopped: the state could not be saved (" + s.message() + ")");
  return Status::Error(failed.code(), failed.message());  // never retried
}

}  // namespace

ApplySummary Apply(const plan::Plan& plan, state::State& state, state::Backend& backend,
                   providers::ProviderSet& providers, Clock& clock, const ApplyOptions& opts,
                   ApplyHooks* hooks) {
  Runner runner(plan, state, backend, providers, clock, opts, hooks);
  return runner.Run();
}

}  // namespace crosslink::apply
