#pragma once
// Scheduler: runs the nodes of a dependency graph in parallel, ninja-style.
// Each node names the nodes it waits for; a node starts as soon as every node
// it waits for finished OK, with at most `parallelism` nodes running at once
// (one worker thread each). When a node fails, every node that waits for it,
// directly or transitively, is skipped with the reason
// "dependency failed: <name of the failed node>", while independent branches
// run to completion. Nodes become ready in their index order, so a run with
// parallelism 1 is deterministic.
//
// The scheduler knows nothing of resources: the work is a
// std::function<Status(size_t node)>. Apply (apply.h) builds one node per
// plan change.
//
// Usage:
//   Scheduler s;
//   Status st = s.Init(nodes);   // unknown dependency or cycle -> error, nothing runs
//   s.Run(parallelism, work, on_skipped);
//   s.results()[i].outcome ...
//
// Thread-safety: Init and Run are called from one thread; `work` and
// `on_skipped` are called from worker threads (never with an internal lock
// held), concurrently for different nodes. Stop may be called from `work`.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace crosslink::apply {

struct SchedulerNode {
  std::string name;                   // unique; used in messages
  std::vector<std::string> wait_for;  // names of nodes that must finish OK first
};

enum class NodeOutcome { kPending, kSucceeded, kFailed, kSkipped };
const char* NodeOutcomeName(NodeOutcome o);  // "pending", "succeeded", "failed", "skipped"

struct NodeResult {
  NodeOutcome outcome = NodeOutcome::kPending;
  Status status;            // the work's status when kFailed
  std::string skip_reason;  // when kSkipped: "dependency failed: <name>" or the Stop reason
};

class Scheduler {
 public:
  using Work = std::function<Status(size_t node)>;
  using SkipCallback = std::function<void(size_t node, const std::string& reason)>;

  Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loads the graph. Fails, and nothing may run, when a name is duplicated
  // ("duplicate node x"), a node waits for an unknown name ("x waits for y,
  // which is not part of the run") or the graph has a cycle
  // ("dependency cycle: a -> b -> a", in wait-for direction). O(V + E log V).
  Status Init(std::vector<SchedulerNode> nodes);

  // Runs every node once and returns when each one succeeded, failed or was
  // skipped. `on_skipped` (optional) is called once per skipped node. A work
  // function that throws counts as failed (kInternal). parallelism < 1 is 1.
  // Must follow a successful Init; runs at most once.
  void Run(int parallelism, const Work& work, const SkipCallback& on_skipped = {});

  // Stops the run gracefully: nodes already running finish, no new node
  // starts, every node not yet started is skipped with `reason`. The first
  // reason wins. Callable from `work`.
  void Stop(const std::string& reason);

  size_t size() const { return nodes_.size(); }
  const std::string& name(size_t node) const { return nodes_[node].name; }
  // Valid after Run returned.
  const std::vector<NodeResult>& results() const { return results_; }

 private:
  struct Node {
    std::string name;
    std::vector<size_t> waits_for;
    std::vector<size_t> waiters;  // nodes that wait for this one
  };

  void WorkerLoop(const Work& work, const SkipCallback& on_skipped);
  // Require mu_. Mark nodes skipped and queue them for on_skipped: every
  // not-started transitive waiter of `failed`; every node not started.
  void SkipWaitersLocked(size_t failed, const std::string& reason);
  void SkipAllPendingLocked();
  void MarkSkippedLocked(size_t node, const std::string& reason);
  std::string FindCycle(const std::vector<size_t>& unresolved) const;

  std::vector<Node> nodes_;
  bool initialized_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<NodeResult> results_;
  std::vector<size_t> remaining_;  // per node: waited-for nodes not finished yet
  std::vector<bool> started_;
  std::vector<size_t> ready_;       // min-heap of node indices
  std::vector<size_t> skip_queue_;  // skipped, on_skipped not called yet
  size_t finished_ = 0;             // succeeded + failed + skipped
  bool stopped_ = false;
  std::string stop_reason_;
};

}  // namespace crosslink::apply
