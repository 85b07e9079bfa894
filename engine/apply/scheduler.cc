#include "engine/apply/scheduler.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <thread>
#include <unordered_map>
#include <utility>

namespace crosslink::apply {

const char* NodeOutcomeName(NodeOutcome o) {
  switch (o) {
    case NodeOutcome::kPending:
      return "pending";
    case NodeOutcome::kSucceeded:
      return "succeeded";
    case NodeOutcome::kFailed:
      return "failed";
    case NodeOutcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

Status Scheduler::Init(std::vector<SchedulerNode> nodes) {
  nodes_.clear();
  initialized_ = false;
  std::unordered_map<std::string, size_t> index;
  index.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!index.emplace(nodes[i].name, i).second) {
      return Status::InvalidArgument("duplicate node " + nodes[i].name);
    }
  }
  nodes_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node& node = nodes_[i];
    node.name = std::move(nodes[i].name);
    for (const std::string& dep : nodes[i].wait_for) {
      auto it = index.find(dep);
      if (it == index.end()) {
        return Status::InvalidArgument(node.name + " waits for " + dep +
                                       ", which is not part of the run");
      }
      node.waits_for.push_back(it->second);
    }
    std::sort(node.waits_for.begin(), node.waits_for.end());
    node.waits_for.erase(std::unique(node.waits_for.begin(), node.waits_for.end()),
                         node.waits_for.end());
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (size_t dep : nodes_[i].waits_for) nodes_[dep].waiters.push_back(i);
  }

  // Kahn's algorithm: whatever cannot be ordered sits on or behind a cycle.
  std::vector<size_t> remaining(nodes_.size());
  std::vector<size_t> queue;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    remaining[i] = nodes_[i].waits_for.size();
    if (remaining[i] == 0) queue.push_back(i);
  }
  size_t ordered = 0;
  while (!queue.empty()) {
    size_t n = queue.back();
    queue.pop_back();
    ++ordered;
    for (size_t w : nodes_[n].waiters) {
      if (--remaining[w] == 0) queue.push_back(w);
    }
  }
  if (ordered != nodes_.size()) {
    std::vector<size_t> unresolved;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (remaining[i] > 0) unresolved.push_back(i);
    }
    return Status::InvalidArgument(FindCycle(unresolved));
  }
  initialized_ = true;
  return Status::Ok();
}

std::string Scheduler::FindCycle(const std::vector<size_t>& unresolved) const {
  // Every unresolved node waits for at least one other unresolved node, so
  // following such edges from any of them must come back to a visited node.
  std::vector<bool> is_unresolved(nodes_.size(), false);
  for (size_t i : unresolved) is_unresolved[i] = true;
  std::unordered_map<size_t, size_t> position;
  std::vector<size_t> path;
  size_t n = unresolved.front();
  while (position.find(n) == position.end()) {
    position[n] = path.size();
    path.push_back(n);
    for (size_t dep : nodes_[n].waits_for) {
      if (is_unresolved[dep]) {
        n = dep;
        break;
      }
    }
  }
  std::string msg = "dependency cycle: ";
  for (size_t i = position[n]; i < path.size(); ++i) msg += nodes_[path[i]].name + " -> ";
  return msg + nodes_[n].name;
}

void Scheduler::Run(int parallelism, const Work& work, const SkipCallback& on_skipped) {
  if (!initialized_) return;
  initialized_ = false;  // runs at most once
  {
    std::lock_guard<std::mutex> lock(mu_);
    results_.assign(nodes_.size(), NodeResult{});
    remaining_.resize(nodes_.size());
    started_.assign(nodes_.size(), false);
    ready_.clear();
    for (size_t i = 0; i < nodes_.size(); ++i) {
      remaining_[i] = nodes_[i].waits_for.size();
      if (remaining_[i] == 0) ready_.push_back(i);
    }
    std::make_heap(ready_.begin(), ready_.end(), std::greater<size_t>());
    if (stopped_) SkipAllPendingLocked();
  }
  size_t threads = std::min<size_t>(static_cast<size_t>(std::max(parallelism, 1)), nodes_.size());
  if (threads == 0) return;
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    workers.emplace_back([this, &work, &on_skipped] { WorkerLoop(work, on_skipped); });
  }
  for (std::thread& t : workers) t.join();
}

void Scheduler::WorkerLoop(const Work& work, const SkipCallback& on_skipped) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (!skip_queue_.empty()) {
      std::vector<size_t> skipped = std::move(skip_queue_);
      skip_queue_.clear();
      if (on_skipped) {
        std::vector<std::string> reasons;
        reasons.reserve(skipped.size());
        for (size_t n : skipped) reasons.push_back(results_[n].skip_reason);
        lock.unlock();
        for (size_t i = 0; i < skipped.size(); ++i) on_skipped(skipped[i], reasons[i]);
        lock.lock();
      }
      continue;
    }
    if (finished_ == nodes_.size()) break;
    if (ready_.empty()) {
      cv_.wait(lock);
      continue;
    }
    std::pop_heap(ready_.begin(), ready_.end(), std::greater<size_t>());
    size_t node = ready_.back();
    ready_.pop_back();
    started_[node] = true;
    lock.unlock();

    Status status;
    try {
      status = work(node);
    } catch (const std::exception& e) {
      status = Status::Internal(std::string("unexpected exception: ") + e.what());
    } catch (...) {
      status = Status::Internal("unexpected exception");
    }

    lock.lock();
    ++finished_;
    if (status.ok()) {
      results_[node].outcome = NodeOutcome::kSucceeded;
      for (size_t w : nodes_[node].waiters) {
        if (--remaining_[w] == 0 && results_[w].outcome == NodeOutcome::kPending && !stopped_) {
          ready_.push_back(w);
          std::push_heap(ready_.begin(), ready_.end(), std::greater<size_t>());
        }
      }
    } else {
      results_[node].outcome = NodeOutcome::kFailed;
      results_[node].status = std::move(status);
      SkipWaitersLocked(node, "dependency failed: " + nodes_[node].name);
    }
    if (stopped_) SkipAllPendingLocked();
    cv_.notify_all();
  }
  cv_.notify_all();
}

void Scheduler::Stop(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  stop_reason_ = reason;
  if (!results_.empty()) SkipAllPendingLocked();
  cv_.notify_all();
}

void Scheduler::MarkSkippedLocked(size_t node, const std::string& reason) {
  results_[node].outcome = NodeOutcome::kSkipped;
  results_[node].skip_reason = reason;
  skip_queue_.push_back(node);
  ++finished_;
}

void Scheduler::SkipWaitersLocked(size_t failed, const std::string& reason) {
  std::vector<size_t> stack(nodes_[failed].waiters.begin(), nodes_[failed].waiters.end());
  while (!stack.empty()) {
    size_t n = stack.back();
    stack.pop_back();
    // A waiter of an unfinished node cannot have started; one already
    // skipped has had its own waiters skipped too.
    if (results_[n].outcome != NodeOutcome::kPending || started_[n]) continue;
    MarkSkippedLocked(n, reason);
    stack.insert(stack.end(), nodes_[n].waiters.begin(), nodes_[n].waiters.end());
  }
}

void Scheduler::SkipAllPendingLocked() {
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (results_[n].outcome == NodeOutcome::kPending && !started_[n]) {
      MarkSkippedLocked(n, stop_reason_);
    }
  }
  ready_.clear();
}

}  // namespace crosslink::apply
