#pragma once
// FakeProvider: an in-memory platform for tests. It serves ANY resource type
// and any provider name, so that a fully expanded topology can be planned and
// applied without a network (register one instance under every provider name
// with ProviderSet::AddAs). It is a test library: never link it into the
// shipped `crosslink` binary.
//
// Behaviour (the "platform"):
//   - Live objects are kept by address, with their type and cluster.
//   - Read answers EVERY item of the batch (exists or not). Managed objects
//     are returned without sensitive outputs (platforms do not return them
//     after creation). Data resources (mode kData) always exist: they are
//     created, with their outputs, on first read. A check resource (kCheck)
//     exists only while its "connected" flag is true. Orphans added with
//     AddOrphan are reported by a Read of their cluster that does not name
//     them.
//   - Create stores the resolved attributes and produces outputs: "id" (a
//     fresh "<type>-<n>" per creation), every attribute echoed, and the
//     output names learned with LearnOutputs — sensitive ones (referenced via
//     secret_inputs) as a random 40-character Secret, the others as a
//     deterministic string "<address>/<output>". Creating an address that is
//     already live fails with kAlreadyExists (like a platform would).
//     Created and updated objects carry crosslink's marks
//     (LiveObject::managed_by_crosslink = true), and so do orphans.
//   - Update replaces the attributes (keeps "id" and the sensitive outputs);
//     updating a missing managed object fails with kNotFound.
//   - Delete erases; deleting a missing object succeeds (idempotent).
//   - ApplyGroup (restart groups) is recorded as one "group" call and then
//     applies its changes one by one, as the default does.
//   - Progress: Create/Update/Delete of an address given to SetProgress
//     report each of its messages through ApplyRequest::progress (when set)
//     before answering, as a provider that waits would.
//   - Check resources: Create/Update succeed while the address's "connected"
//     flag is true (default), else fail with a non-retryable
//     kFailedPrecondition explaining why.
//
// Test controls: SetLive/EraseLive/GetLive (changes made outside crosslink),
// AddOrphan, FailNext, FailRead, SetConnected, SetRestarts, SetLatency,
// SetProgress, and the recorded calls() / read_calls() / max_concurrency_seen().
//
// Thread-safety: every method is thread-safe. Latency is a real sleep taken
// outside the internal lock, so concurrent calls really overlap.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/graph/resource.h"
#include "providers/provider.h"

namespace crosslink::providers::fake {

// One recorded provider call. For "read" and "group", `address` is empty
// (one call per batch / restart group) and `addresses` lists the items; for
// the others it is the resource.
struct Call {
  std::string op;  // "read", "group", "create", "update", "delete"
  std::string address;
  std::string cluster;
  std::vector<std::string> addresses;  // read and group only
};

class FakeProvider : public Provider {
 public:
  explicit FakeProvider(std::string name = "fake");
  FakeProvider(const FakeProvider&) = delete;
  FakeProvider& operator=(const FakeProvider&) = delete;

  // ---- Provider ----
  std::string name() const override { return name_; }
  ReadResponse Read(const ReadRequest& req) override;
  ApplyResponse Create(const ApplyRequest& req) override;
  ApplyResponse Update(const ApplyRequest& req) override;
  ApplyResponse Delete(const ApplyRequest& req) override;
  // DefaultPlan; a create/update/replace/delete of a type given to
  // SetRestarts also restarts its cluster (as real providers say for their
  // restarting types, deletes included).
  PlanResponse Plan(const PlanRequest& req) override;
  // Records one "group" call (cluster of the first change, every address),
  // then applies the changes one by one like Provider::ApplyGroup: each
  // member is also recorded as its own create/update/delete call, and
  // FailNext applies per member.
  std::vector<ApplyResponse> ApplyGroup(const std::vector<GroupChange>& changes) override;

  // ---- set-up ----
  // Learns which outputs the specs reference (attributes and secret_inputs),
  // so that Create produces them. Outputs referenced through secret_inputs
  // become sensitive outputs. May be called several times (union).
  void LearnOutputs(const std::vector<graph::ResourceSpec>& specs);

  // ---- the platform, seen from outside crosslink ----
  // Makes `address` live as `object` (its type is the address's first part).
  // An existing object's cluster is kept when `cluster` is empty. The
  // object's managed_by_crosslink flag is kept as given: false makes an
  // object someone else created (crosslink must not adopt or delete it).
  void SetLive(const std::string& address, LiveObject object, const std::string& cluster = "");
  // Replaces only the attributes of a live object (drift). False when absent.
  bool SetLiveAttributes(const std::string& address, Value attributes);
  bool EraseLive(const std::string& address);  // false when it was not live
  std::optional<LiveObject> GetLive(const std::string& address) const;
  std::vector<std::string> live_addresses() const;  // sorted
  // An object marked as crosslink's that state does not know; it is live (a
  // Delete of orphan.address removes it) and reported by Read of `cluster`.
  void AddOrphan(const std::string& cluster, Orphan orphan);

  // ---- fault injection ----
  // The next `times` Create/Update/Delete calls for `address` fail with
  // `status` (Reads are not affected: see FailRead). An OK status clears.
  void FailNext(const std::string& address, Status status, int times = 1);
  // Reads of `cluster` fail with `status`: the next `times` ones, or every
  // one when times < 0, until called with an OK status.
  void FailRead(const std::string& cluster, Status status, int times = -1);
  // The "connected" flag of a check resource (default true).
  void SetConnected(const std::string& address, bool connected);
  // Changes of these resource types restart their cluster (Plan).
  void SetRestarts(std::set<std::string> types);
  // A real sleep in every call (for concurrency tests only).
  void SetLatency(std::chrono::milliseconds latency);
  // Every Create/Update/Delete of `address` reports these progress messages,
  // in order, before it answers. Empty clears.
  void SetProgress(const std::string& address, std::vector<std::string> messages);

  // ---- observation ----
  std::vector<Call> calls() const;
  // Calls with this op ("create" ...), in order.
  std::vector<Call> calls(const std::string& op) const;
  size_t read_calls() const;
  // The largest number of calls that were in progress at the same time.
  int max_concurrency_seen() const { return max_in_flight_.load(); }
  void ClearCalls();

 private:
  struct Entry {
    std::string type;
    std::string cluster;
    LiveObject object;
    std::string orphan_description;
  };
  struct Failure {
    Status status;
    int remaining = 0;
  };
  class InFlight;  // RAII concurrency counter

  // Requires mu_. Returns the injected failure for `address`, if any, and
  // consumes one use of it.
  std::optional<Status> TakeFailureLocked(const std::string& address);
  // Requires mu_. Outputs for a new object: learned outputs + attributes + id.
  void FillOutputsLocked(const std::string& address, const std::string& type,
                         const Value& attributes, LiveObject* object, bool new_id);
  std::string RandomSecretLocked();
  bool ConnectedLocked(const std::string& address) const;
  void Sleep() const;
  // Reports the SetProgress messages of `address` through `req.progress`
  // (outside the lock: the callback may take its own).
  void ReportProgress(const std::string& address, const ApplyRequest& req) const;

  const std::string name_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> live_;
  std::set<std::string> orphans_;  // live addresses added with AddOrphan
  std::map<std::string, std::set<std::string>> outputs_by_address_;
  std::map<std::string, std::set<std::string>> sensitive_by_address_;
  std::map<std::string, Failure> failures_;
  std::map<std::string, Failure> read_failures_;  // remaining < 0: until cleared
  std::map<std::string, bool> connected_;
  std::set<std::string> restarting_types_;
  std::map<std::string, std::vector<std::string>> progress_;
  std::vector<Call> calls_;
  uint64_t next_id_ = 1;
  std::mt19937_64 rng_;
  std::atomic<int64_t> latency_ms_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

}  // namespace crosslink::providers::fake
