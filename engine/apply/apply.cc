#include "engine/apply/apply.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/apply/scheduler.h"

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
  Status Work(size_t node);
  Status Execute(const ResourceChange& c);
  Status DoAdopt(const ResourceChange& c);
  Status DoRefreshDependencies(const ResourceChange& c);
  Status DoCreate(const ResourceChange& c, providers::Provider* provider);
  Status DoUpdate(const ResourceChange& c, providers::Provider* provider);
  Status DoDelete(const ResourceChange& c, providers::Provider* provider);
  Status DoRead(const ResourceChange& c, providers::Provider* provider);

  // Calls `attempt` until it succeeds, fails for good, or max_attempts ran out.
  Status Retrying(const ResourceChange& c, const std::function<Status()>& attempt);
  Status Resolve(const graph::ResourceSpec& spec, Value* attributes,
                 std::map<std::string, Secret>* secrets);
  std::optional<state::ResourceState> Prior(const std::string& address);
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

  std::mutex state_mu_;    // guards state_
  std::mutex summary_mu_;  // guards summary_ and failures_
  ApplySummary summary_;
  std::vector<std::pair<size_t, ApplyFailure>> failures_;  // by node, sorted at the end
};

ApplySummary Runner::Run() {
  std::unordered_set<std::string> in_plan;
  for (const ResourceChange& c : plan_.changes) in_plan.insert(c.address);
  std::vector<SchedulerNode> nodes;
  nodes.reserve(plan_.changes.size());
  for (const ResourceChange& c : plan_.changes) {
    SchedulerNode node{c.address, {}};
    for (const std::string& dep : c.wait_for) {
      // Not changed by this plan but already there: nothing to wait for.
      if (!in_plan.count(dep) && state_.Find(dep) != nullptr) continue;
      node.wait_for.push_back(dep);
    }
    nodes.push_back(std::move(node));
  }
  Status init = scheduler_.Init(std::move(nodes));
  if (!init.ok()) {
    summary_.failures.push_back({"", "the plan cannot be applied: " + init.message()});
  } else {
    scheduler_.Run(
        opts_.parallelism, [this](size_t node) { return Work(node); },
        [this](size_t node, const std::string& reason) {
          const ResourceChange& c = plan_.changes[node];
          if (IsIdle(c)) return;
          {
            std::lock_guard<std::mutex> lock(summary_mu_);
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
  const ResourceChange& c = plan_.changes[node];
  if (IsIdle(c)) return Status::Ok();
  hooks_->OnStart(c);
  Status s = Execute(c);
  if (!s.ok()) {
    {
      std::lock_guard<std::mutex> lock(summary_mu_);
      ++summary_.failed;
      failures_.push_back({node, ApplyFailure{c.address, s.message()}});
    }
    hooks_->OnFailed(c, s);
    return s;
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
  return s;
}

Status Runner::Execute(const ResourceChange& c) {
  bool needs_desired = c.action != ChangeAction::kDelete;
  if (needs_desired && !c.desired) {
    return Status::Internal(c.address + ": the plan has no desired resource for a " +
                            providers::ChangeActionName(c.action));
  }
  if (IsAdoption(c)) return DoAdopt(c);  // no provider call
  if (IsDependencyRefresh(c)) return DoRefreshDependencies(c);  // state only
  std::string provider_name = c.provider;
  if (provider_name.empty() && c.desired) provider_name = c.desired->provider;
  if (provider_name.empty()) {
    if (auto prior = Prior(c.address)) provider_name = prior->provider;
  }
  providers::Provider* provider = providers_.Find(provider_name);
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
  const graph::ResourceSpec& spec = *c.desired;
  ApplyRequest req;
  req.desired = &spec;
  CROSSLINK_RETURN_IF_ERROR(Resolve(spec, &req.attributes, &req.secret_inputs));
  ApplyResponse resp;
  CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
    spdlog::debug("apply: {} Create via provider {}", c.address, provider->name());
    resp = provider->Create(req);
    return ResponseStatus(resp.status, resp.diagnostics);
  }));
  state::ResourceState rs = FromSpec(spec);
  rs.attributes = std::move(req.attributes);
  rs.outputs = std::move(resp.result.outputs);
  rs.sensitive_outputs = std::move(resp.result.sensitive_outputs);
  rs.created_at = rs.updated_at = Now();
  return Upsert(std::move(rs));
}

Status Runner::DoUpdate(const ResourceChange& c, providers::Provider* provider) {
  const graph::ResourceSpec& spec = *c.desired;
  std::optional<state::ResourceState> prior = Prior(c.address);
  ApplyRequest req;
  req.desired = &spec;
  req.prior = prior ? &*prior : nullptr;  // null: adopting an object state did not know
  CROSSLINK_RETURN_IF_ERROR(Resolve(spec, &req.attributes, &req.secret_inputs));
  ApplyResponse resp;
  CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
    spdlog::debug("apply: {} Update via provider {}", c.address, provider->name());
    resp = provider->Update(req);
    return ResponseStatus(resp.status, resp.diagnostics);
  }));
  state::ResourceState rs = FromSpec(spec);
  rs.attributes = std::move(req.attributes);
  // Platforms may return only what changed: keep prior outputs (an adopted
  // object's: those the plan saw) and secrets unless the response replaces them.
  const Value& kept = prior ? prior->outputs : c.before_outputs;
  rs.outputs = kept.is_object() ? kept : Value::object();
  if (resp.result.outputs.is_object()) {
    for (auto it = resp.result.outputs.begin(); it != resp.result.outputs.end(); ++it) {
      rs.outputs[it.key()] = it.value();
    }
  }
  if (prior) rs.sensitive_outputs = prior->sensitive_outputs;
  for (auto& [name, secret] : resp.result.sensitive_outputs) rs.sensitive_outputs[name] = secret;
  rs.updated_at = Now();
  rs.created_at = prior && !prior->created_at.empty() ? prior->created_at : rs.updated_at;
  return Upsert(std::move(rs));
}

Status Runner::DoDelete(const ResourceChange& c, providers::Provider* provider) {
  std::optional<state::ResourceState> prior = Prior(c.address);
  bool in_state = prior.has_value();
  if (!in_state) prior = FromChange(c);
  if (prior->mode == ResourceMode::kManaged) {
    ApplyRequest req;
    req.desired = c.desired ? &*c.desired : nullptr;
    req.prior = &*prior;
    req.attributes = prior->attributes;
    CROSSLINK_RETURN_IF_ERROR(Retrying(c, [&] {
      spdlog::debug("apply: {} Delete via provider {}{}", c.address, provider->name(),
                    in_state ? "" : " (orphan, not in state)");
      ApplyResponse resp = provider->Delete(req);
      return ResponseStatus(resp.status, resp.diagnostics);
    }));
  }
  if (!in_state) return Status::Ok();
  return Remove(c.address);
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
  // One generator per change, derived from the seed and the address, so a
  // fixed seed gives the same delays whatever the thread interleaving.
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32),
                    static_cast<uint32_t>(std::hash<std::string>{}(c.address))};
  std::mt19937_64 rng(seq);
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
      if (!s.ok() && s.retryable()) {
        return Status::Error(s.code(), s.message() + " (gave up after " + std::to_string(n) +
                                           (n == 1 ? " attempt)" : " attempts)"));
      }
      return s;
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
