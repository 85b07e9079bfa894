#pragma once
// Apply: executes a plan::Plan. "A plan is data; apply only executes it"
// (STYLE.md 6): nothing here decides WHAT to do, only how and when.
//
// Every change of the plan is a node of a Scheduler (scheduler.h) waiting for
// the changes named in its `wait_for`; kNoOp changes are nodes with no work
// that keep the ordering transitive, except an ADOPTION: a kNoOp with
// orphan=true (an object of crosslink's that discovery found at a desired
// address, missing from state) is recorded in state as the plan saw it
// (desired + before + before_outputs; no sensitive outputs), without a
// provider call. For each other change:
//   1. references in desired.attributes and desired.secret_inputs are
//      resolved from the CURRENT state (outputs / sensitive_outputs written
//      by completed actions); a missing one fails the change, naming both
//      addresses;
//   2. the provider is called: kCreate -> Create, kUpdate -> Update,
//      kReplace -> Delete then Create, kDelete -> Delete, kRead -> a
//      one-item Read whose outputs are stored. Deleting an object state does
//      not know (an orphan) passes the plan's before/before_outputs as the
//      request's prior, so the provider can find it by id. Deleting a data
//      or check resource only forgets it (no provider call). Retryable
//      failures are retried with exponential backoff and jitter, sleeping on
//      the Clock, up to max_attempts attempts in all;
//   3. the in-memory state is updated and the backend records the change
//      (RecordUpsert / RecordRemove) before any dependent starts. A record
//      failure fails that change and stops the run gracefully (running
//      changes finish, nothing new starts).
// Restart groups (plan::Plan::restart_groups): the members of a group run as
// ONE Provider::ApplyGroup call, so that their cluster restarts once. The
// group is a scheduler node of its own ("restart group <provider>/<cluster>")
// that waits for everything its members wait for (other than each other);
// each member's node waits for the group node, so whatever waits for a
// member waits for the whole group. Every member's references are resolved
// (step 1) before the call; every member that succeeded is recorded in state
// (step 3) right after it; members whose result failed retryably are retried
// alone, with the next ApplyGroup call holding only them (same backoff as
// above); the others fail, and only their own dependents are skipped. Hooks
// and the summary see every member as a change of its own (OnStart when the
// group starts, OnRetry per retried member, OnProgress per member the
// provider reports for).
// Every provider call gets an ApplyRequest::progress that forwards to
// ApplyHooks::OnProgress for its change. A plan whose groups are not
// made of its own create/update/replace/delete changes, or whose members
// wait for each other, runs nothing (run-level failure).
// A failure skips every change waiting for it; independent branches finish.
// At the end the backend persists the state, also after failures.
//
// Thread-safety: Apply itself is called from one thread; it mutates `state`
// under an internal mutex from worker threads and returns only when they
// are done. `state`, `backend`, `providers` and `clock` must not be used by
// anyone else during the call.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/status.h"
#include "engine/plan/plan.h"
#include "providers/provider.h"
#include "state/backend.h"
#include "state/state.h"

namespace crosslink::apply {

struct ApplyOptions {
  int parallelism = 10;  // changes running at once (-parallelism)
  int max_attempts = 6;  // per provider call, first attempt included
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  uint64_t jitter_seed = 0;  // 0 = random; fixed seeds give reproducible delays
};

// The UI's view of a run (Terraform-style hooks: the engine never prints).
// Every method is called from scheduler WORKER THREADS, possibly several at
// once for different changes; implementations must be thread-safe. The
// change outlives the call. Messages never contain secret values. Defaults do
// nothing.
class ApplyHooks {
 public:
  virtual ~ApplyHooks() = default;
  // The change starts (not called for a kNoOp that is not an adoption).
  virtual void OnStart(const plan::ResourceChange& change) { (void)change; }
  // Attempt `attempt` (1-based) failed with a retryable `status`; the next
  // attempt follows after `delay`.
  virtual void OnRetry(const plan::ResourceChange& change, int attempt, const Status& status,
                       std::chrono::milliseconds delay) {
    (void)change, (void)attempt, (void)status, (void)delay;
  }
  // The provider's progress while it works on the change
  // (providers::ApplyRequest::progress), as often as the provider reports
  // it: throttling is the UI's job. Called between OnStart and
  // OnDone/OnFailed, from the thread running the provider call. In a
  // restart group each member reports for itself; a provider waiting for
  // the group's restart reports to every member it holds up.
  virtual void OnProgress(const plan::ResourceChange& change, const std::string& message) {
    (void)change, (void)message;
  }
  // The change completed and is recorded in state.
  virtual void OnDone(const plan::ResourceChange& change) { (void)change; }
  virtual void OnFailed(const plan::ResourceChange& change, const Status& status) {
    (void)change, (void)status;
  }
  // The change did not run: "dependency failed: <address>" or why the run
  // stopped. Not called for skipped kNoOp changes other than adoptions.
  virtual void OnSkipped(const plan::ResourceChange& change, const std::string& reason) {
    (void)change, (void)reason;
  }
};

struct ApplyFailure {
  std::string address;  // empty for a failure of the run itself (plan graph, saving state)
  std::string message;  // the user-facing error, no secret values
};

struct ApplySummary {
  size_t created = 0;                  // managed resources created
  size_t updated = 0;                  // managed resources updated in place
  size_t replaced = 0;                 // deleted then created
  size_t deleted = 0;                  // removed (data/check resources: forgotten)
  size_t read = 0;                     // data sources read
  size_t checked = 0;                  // checks that passed
  size_t adopted = 0;                  // orphans recorded in state as they are (kNoOp, orphan)
  size_t failed = 0;                   // changes that failed
  size_t skipped = 0;                  // changes not run (dependency failed, run stopped)
  std::vector<ApplyFailure> failures;  // every failed change, then run-level failures

  bool ok() const { return failed == 0 && skipped == 0 && failures.empty(); }
};

// Executes `plan` against `providers`, keeping `state` and `backend` up to
// date after every completed action. `hooks` may be null. A plan whose
// wait_for graph is broken (unknown address not in state, cycle) runs
// nothing and reports it as a run-level failure. wait_for addresses that are
// not changes of the plan but already exist in `state` count as satisfied.
ApplySummary Apply(const plan::Plan& plan, state::State& state, state::Backend& backend,
                   providers::ProviderSet& providers, Clock& clock, const ApplyOptions& opts,
                   ApplyHooks* hooks);

// The delay before retry number `attempt` (1 = after the first failure):
// min(max_backoff, initial_backoff * 2^(attempt-1)), then "equal jitter":
// half of it fixed, the other half scaled by `jitter` in [0, 1).
std::chrono::milliseconds BackoffDelay(const ApplyOptions& opts, int attempt, double jitter);

}  // namespace crosslink::apply
