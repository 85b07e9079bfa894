// Scheduler scenarios. Also run under ThreadSanitizer (CROSSLINK_TSAN), so
// every shared variable below is atomic or mutex-guarded.
#include "engine/apply/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace crosslink::apply {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// Records, per node, when it started and finished on one global sequence.
class Recorder {
 public:
  void Start(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    start_[n] = seq_++;
    order_.push_back(n);
  }
  void Finish(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    finish_[n] = seq_++;
  }
  int start(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    return start_.count(n) ? start_[n] : -1;
  }
  int finish(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    return finish_.count(n) ? finish_[n] : -1;
  }
  std::vector<size_t> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  int seq_ = 0;
  std::map<size_t, int> start_, finish_;
  std::vector<size_t> order_;
};

std::vector<NodeOutcome> Outcomes(const Scheduler& s) {
  std::vector<NodeOutcome> out;
  for (const NodeResult& r : s.results()) out.push_back(r.outcome);
  return out;
}

TEST(SchedulerTest, EveryNodeStartsAfterAllItWaitsForFinished) {
  //   a   b
  //   |\ /|
  //   | c |     c waits for a and b; d waits for c; e waits for a and d
  //   |/  |
  //   d   f     f waits for b
  //   e
  std::vector<SchedulerNode> nodes = {
      {"e", {"a", "d"}}, {"d", {"c"}}, {"c", {"a", "b"}}, {"f", {"b"}}, {"a", {}}, {"b", {}},
  };
  std::vector<SchedulerNode> copy = nodes;
  Scheduler s;
  ASSERT_TRUE(s.Init(std::move(copy)).ok());
  Recorder rec;
  s.Run(4, [&](size_t n) {
    rec.Start(n);
    std::this_thread::yield();
    rec.Finish(n);
    return Status::Ok();
  });
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i].name] = i;
  for (size_t i = 0; i < nodes.size(); ++i) {
    ASSERT_GE(rec.start(i), 0) << nodes[i].name << " never ran";
    for (const std::string& dep : nodes[i].wait_for) {
      EXPECT_GT(rec.start(i), rec.finish(index[dep])) << nodes[i].name << " started before " << dep;
    }
  }
  EXPECT_EQ(rec.order().size(), nodes.size());  // each node ran exactly once
  for (NodeOutcome o : Outcomes(s)) EXPECT_EQ(o, NodeOutcome::kSucceeded);
}

TEST(SchedulerTest, ParallelismOneRunsReadyNodesInIndexOrder) {
  Scheduler s;
  ASSERT_TRUE(s.Init({{"x", {"z"}}, {"y", {}}, {"z", {}}, {"w", {}}}).ok());
  Recorder rec;
  s.Run(1, [&](size_t n) {
    rec.Start(n);
    return Status::Ok();
  });
  // y(1) and z(2) and w(3) are ready at once; x(0) only after z.
  EXPECT_THAT(rec.order(), ElementsAre(1u, 2u, 0u, 3u));
}

TEST(SchedulerTest, NeverRunsMoreThanParallelismNodesAtOnce) {
  constexpr int kParallelism = 3;
  constexpr int kNodes = 40;
  std::vector<SchedulerNode> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back({"n" + std::to_string(i), {}});
  Scheduler s;
  ASSERT_TRUE(s.Init(std::move(nodes)).ok());

  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  int max_seen = 0;
  bool rendezvous = false;
  s.Run(kParallelism, [&](size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    max_seen = std::max(max_seen, ++in_flight);
    if (n < static_cast<size_t>(kParallelism)) {
      // The first nodes wait for each other: proves they really overlap.
      if (in_flight == kParallelism) rendezvous = true;
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return rendezvous; });
    }
    --in_flight;
    return Status::Ok();
  });
  EXPECT_TRUE(rendezvous) << "the scheduler never ran " << kParallelism << " nodes at once";
  EXPECT_EQ(max_seen, kParallelism);
}

TEST(SchedulerTest, FailureSkipsTransitiveWaitersOnlyAndIndependentBranchFinishes) {
  // a <- b <- c   (b waits for a, c for b); d <- e independent; f waits for a and d.
  Scheduler s;
  ASSERT_TRUE(
      s.Init({{"a", {}}, {"b", {"a"}}, {"c", {"b"}}, {"d", {}}, {"e", {"d"}}, {"f", {"a", "d"}}})
          .ok());
  std::mutex mu;
  std::vector<std::string> ran;
  std::vector<std::pair<std::string, std::string>> skipped;
  s.Run(
      2,
      [&](size_t n) {
        std::lock_guard<std::mutex> lock(mu);
        ran.push_back(s.name(n));
        return s.name(n) == "a" ? Status::PermissionDenied("no manage_security") : Status::Ok();
      },
      [&](size_t n, const std::string& reason) {
        std::lock_guard<std::mutex> lock(mu);
        skipped.emplace_back(s.name(n), reason);
      });
  EXPECT_THAT(ran, UnorderedElementsAre("a", "d", "e"));
  EXPECT_THAT(skipped, UnorderedElementsAre(
                           std::pair<std::string, std::string>{"b", "dependency failed: a"},
                           std::pair<std::string, std::string>{"c", "dependency failed: a"},
                           std::pair<std::string, std::string>{"f", "dependency failed: a"}));
  EXPECT_THAT(Outcomes(s),
              ElementsAre(NodeOutcome::kFailed, NodeOutcome::kSkipped, NodeOutcome::kSkipped,
                          NodeOutcome::kSucceeded, NodeOutcome::kSucceeded, NodeOutcome::kSkipped));
  EXPECT_EQ(s.results()[0].status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.results()[2].skip_reason, "dependency failed: a");
}

TEST(SchedulerTest, DiamondRunsJoinOnceAfterBothBranches) {
  Scheduler s;
  ASSERT_TRUE(
      s.Init({{"top", {}}, {"l", {"top"}}, {"r", {"top"}}, {"join", {"l", "r", "l"}}}).ok());
  std::atomic<int> join_runs{0};
  Recorder rec;
  s.Run(3, [&](size_t n) {
    rec.Start(n);
    if (n == 3) ++join_runs;
    rec.Finish(n);
    return Status::Ok();
  });
  EXPECT_EQ(join_runs.load(), 1);
  EXPECT_GT(rec.start(3), rec.finish(1));
  EXPECT_GT(rec.start(3), rec.finish(2));
}

TEST(SchedulerTest, CycleIsReportedExactlyAndNothingRuns) {
  Scheduler s;
  Status st = s.Init({{"ok", {}}, {"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {"a"}}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "dependency cycle: a -> b -> c -> a");
  std::atomic<int> runs{0};
  s.Run(2, [&](size_t) {
    ++runs;
    return Status::Ok();
  });
  EXPECT_EQ(runs.load(), 0);
}

TEST(SchedulerTest, SelfWaitIsACycle) {
  Scheduler s;
  Status st = s.Init({{"a", {"a"}}});
  EXPECT_EQ(st.message(), "dependency cycle: a -> a");
}

TEST(SchedulerTest, UnknownDependencyAndDuplicateNameAreErrors) {
  Scheduler s;
  EXPECT_EQ(s.Init({{"a", {"ghost"}}}).message(),
            "a waits for ghost, which is not part of the run");
  EXPECT_EQ(s.Init({{"a", {}}, {"a", {}}}).message(), "duplicate node a");
}

TEST(SchedulerTest, StopLetsRunningNodesFinishAndSkipsTheRest) {
  Scheduler s;
  ASSERT_TRUE(s.Init({{"a", {}}, {"b", {"a"}}, {"c", {}}, {"d", {"c"}}}).ok());
  std::mutex mu;
  std::vector<std::string> ran;
  std::vector<std::string> reasons;
  s.Run(
      1,
      [&](size_t n) {
        {
          std::lock_guard<std::mutex> lock(mu);
          ran.push_back(s.name(n));
        }
        if (s.name(n) == "a") s.Stop("run stopped: disk full");
        return Status::Ok();
      },
      [&](size_t, const std::string& reason) {
        std::lock_guard<std::mutex> lock(mu);
        reasons.push_back(reason);
      });
  EXPECT_THAT(ran, ElementsAre("a"));
  EXPECT_THAT(Outcomes(s), ElementsAre(NodeOutcome::kSucceeded, NodeOutcome::kSkipped,
                                       NodeOutcome::kSkipped, NodeOutcome::kSkipped));
  EXPECT_THAT(reasons, ElementsAre("run stopped: disk full", "run stopped: disk full",
                                   "run stopped: disk full"));
}

TEST(SchedulerTest, ThrowingWorkCountsAsFailed) {
  Scheduler s;
  ASSERT_TRUE(s.Init({{"a", {}}, {"b", {"a"}}}).ok());
  s.Run(2, [&](size_t n) -> Status {
    if (n == 0) throw std::runtime_error("boom");
    return Status::Ok();
  });
  EXPECT_EQ(s.results()[0].outcome, NodeOutcome::kFailed);
  EXPECT_EQ(s.results()[0].status.code(), StatusCode::kInternal);
  EXPECT_EQ(s.results()[1].outcome, NodeOutcome::kSkipped);
}

TEST(SchedulerTest, EmptyGraphAndZeroParallelism) {
  Scheduler empty;
  ASSERT_TRUE(empty.Init({}).ok());
  empty.Run(4, [](size_t) { return Status::Ok(); });
  EXPECT_TRUE(empty.results().empty());

  Scheduler s;
  ASSERT_TRUE(s.Init({{"a", {}}, {"b", {"a"}}}).ok());
  s.Run(0, [](size_t) { return Status::Ok(); });  // treated as 1
  EXPECT_THAT(Outcomes(s), ElementsAre(NodeOutcome::kSucceeded, NodeOutcome::kSucceeded));
}

TEST(SchedulerTest, WideGraphUnderContention) {
  // 200 nodes in layers of 20, each waiting for two nodes of the previous
  // layer; every 7th node fails. Checks the bookkeeping stays consistent.
  constexpr int kLayers = 10, kWidth = 20;
  std::vector<SchedulerNode> nodes;
  for (int l = 0; l < kLayers; ++l) {
    for (int w = 0; w < kWidth; ++w) {
      SchedulerNode n{"n" + std::to_string(l * kWidth + w), {}};
      if (l > 0) {
        n.wait_for.push_back("n" + std::to_string((l - 1) * kWidth + w));
        n.wait_for.push_back("n" + std::to_string((l - 1) * kWidth + (w + 1) % kWidth));
      }
      nodes.push_back(std::move(n));
    }
  }
  std::vector<SchedulerNode> copy = nodes;
  Scheduler s;
  ASSERT_TRUE(s.Init(std::move(copy)).ok());
  std::atomic<int> skipped_callbacks{0};
  s.Run(
      8, [](size_t n) { return n % 7 == 3 ? Status::Unavailable("flaky") : Status::Ok(); },
      [&](size_t, const std::string&) { ++skipped_callbacks; });
  int skipped = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeResult& r = s.results()[i];
    ASSERT_NE(r.outcome, NodeOutcome::kPending);
    bool dep_bad = false;
    for (const std::string& dep : nodes[i].wait_for) {
      size_t d = std::stoul(dep.substr(1));
      if (s.results()[d].outcome != NodeOutcome::kSucceeded) dep_bad = true;
    }
    EXPECT_EQ(r.outcome == NodeOutcome::kSkipped, dep_bad) << nodes[i].name;
    if (r.outcome == NodeOutcome::kSkipped) ++skipped;
  }
  EXPECT_EQ(skipped_callbacks.load(), skipped);
}

}  // namespace
}  // namespace crosslink::apply
