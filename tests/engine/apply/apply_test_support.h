#pragma once
// Shared by the apply tests: an in-memory Backend that keeps a journal and
// can be told to fail, hooks that log every call as one line, and the
// change the planner would make for a spec.
//
// Thread-safety: both are thread-safe (apply calls them from worker threads).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/graph/resource.h"
#include "engine/plan/plan.h"
#include "state/backend.h"
#include "state/state.h"

namespace crosslink::apply::test_support {

using plan::ResourceChange;

// The change with `action` for `spec`, waiting for its dependencies, as the
// planner makes it.
inline ResourceChange Change(providers::ChangeAction action, const graph::ResourceSpec& spec) {
  ResourceChange c;
  c.address = spec.address;
  c.type = spec.type;
  c.provider = spec.provider;
  c.cluster = spec.cluster;
  c.mode = spec.mode;
  c.action = action;
  c.desired = spec;
  c.wait_for = spec.AllDependencies();
  c.restarts_cluster = spec.restarts_cluster;
  return c;
}

// A Backend that keeps the journal in memory and can be told to fail.
class MemoryBackend : public state::Backend {
 public:
  std::string Describe() const override { return "memory"; }
  Result<std::unique_ptr<state::StateLock>> Lock(state::LockInfo) override {
    return Status::Internal("not used by apply");
  }
  Result<std::optional<state::LockInfo>> LockHolder() override {
    return std::optional<state::LockInfo>();
  }
  Status ForceUnlock(const std::string&) override { return Status::Ok(); }
  Result<state::State> Load() override { return persisted_; }
  Status RecordUpsert(const state::ResourceState& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_records_for_ == r.address) return Status::IoError("disk full");
    journal_.push_back("upsert " + r.address);
    return Status::Ok();
  }
  Status RecordRemove(const std::string& address) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_records_for_ == address) return Status::IoError("disk full");
    journal_.push_back("remove " + address);
    return Status::Ok();
  }
  Status Persist(state::State& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++persist_calls_;
    if (!persist_error_.ok()) return persist_error_;
    persisted_ = s;
    return Status::Ok();
  }

  void FailRecordsFor(const std::string& address) { fail_records_for_ = address; }
  void FailPersist(Status s) { persist_error_ = std::move(s); }
  std::vector<std::string> journal() {
    std::lock_guard<std::mutex> lock(mu_);
    return journal_;
  }
  int persist_calls() { return persist_calls_; }
  const state::State& persisted() { return persisted_; }

 private:
  std::mutex mu_;
  std::string fail_records_for_;
  Status persist_error_;
  std::vector<std::string> journal_;
  int persist_calls_ = 0;
  state::State persisted_;
};

// Thread-safe log of hook calls, one line each: "start x", "retry x 1",
// "progress x: <message>", "done x".
class RecordingHooks : public ApplyHooks {
 public:
  void OnStart(const ResourceChange& c) override { Add("start " + c.address); }
  void OnRetry(const ResourceChange& c, int attempt, const Status&,
               std::chrono::milliseconds delay) override {
    std::lock_guard<std::mutex> lock(mu_);
    delays_.push_back(delay);
    events_.push_back("retry " + c.address + " " + std::to_string(attempt));
  }
  void OnProgress(const ResourceChange& c, const std::string& message) override {
    Add("progress " + c.address + ": " + message);
  }
  void OnDone(const ResourceChange& c) override { Add("done " + c.address); }
  void OnFailed(const ResourceChange& c, const Status& s) override {
    Add("failed " + c.address + ": " + s.message());
  }
  void OnSkipped(const ResourceChange& c, const std::string& reason) override {
    Add("skipped " + c.address + ": " + reason);
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<std::chrono::milliseconds> delays() {
    std::lock_guard<std::mutex> lock(mu_);
    return delays_;
  }
  std::vector<std::string> Matching(const std::string& prefix) {
    std::vector<std::string> out;
    for (const std::string& e : events()) {
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    }
    return out;
  }

 private:
  void Add(std::string e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<std::chrono::milliseconds> delays_;
};

// What the planner produces for destroy: delete everything in state, each
// waiting for its dependents (reverse edges). `restarts` (optional) says
// which deletes restart their cluster.
inline plan::Plan DestroyPlan(
    const state::State& st,
    const std::function<bool(const state::ResourceState&)>& restarts = nullptr) {
  plan::Plan p;
  p.destroy = true;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [address, r] : st.resources) {
    for (const std::string& d : r.dependencies) dependents[d].push_back(address);
  }
  for (const auto& [address, r] : st.resources) {
    plan::ResourceChange c;
    c.address = address;
    c.type = r.type;
    c.provider = r.provider;
    c.cluster = r.cluster;
    c.mode = r.mode;
    c.action = providers::ChangeAction::kDelete;
    c.before = r.attributes;
    c.wait_for = dependents[address];
    c.restarts_cluster = restarts != nullptr && restarts(r);
    p.changes.push_back(std::move(c));
  }
  return p;
}

}  // namespace crosslink::apply::test_support
