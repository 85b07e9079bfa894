// ApplyProgress's "Still creating... [40s elapsed] <provider message>" lines:
// their words per action, and the throttle (at most one line per change every
// ApplyProgress::kProgressInterval of the run's Clock). The clock is a
// FakeClock moved by hand: nothing here sleeps or depends on timing.
#include "engine/cli/ui.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/secret.h"

namespace crosslink::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

plan::ResourceChange Change(const std::string& address, plan::ChangeAction action,
                            graph::ResourceMode mode = graph::ResourceMode::kManaged) {
  plan::ResourceChange c;
  c.address = address;
  c.type = address.substr(0, address.find('.'));
  c.action = action;
  c.mode = mode;
  return c;
}

class ApplyProgressTest : public ::testing::Test {
 protected:
  // The lines written to stdout since the last call.
  std::vector<std::string> Lines() {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    out_.str("");
    return out;
  }

  FakeClock clock_;
  std::ostringstream out_;
  std::ostringstream err_;
  Ui ui_{out_, err_, /*color=*/false, clock_};
  ApplyProgress progress_{ui_, clock_};
};

TEST_F(ApplyProgressTest, FirstMessagePrintsAtOnceWithTheElapsedTime) {
  plan::ResourceChange c = Change("eck_remote_credential.logs.apps", plan::ChangeAction::kUpdate);
  progress_.OnStart(c);
  Lines();
  clock_.Advance(40s);
  progress_.OnProgress(c, "waiting for apps/search to be Ready (phase ApplyingChanges)");
  EXPECT_THAT(Lines(), ElementsAre("eck_remote_credential.logs.apps: Still modifying... [40s "
                                   "elapsed] waiting for apps/search to be Ready (phase "
                                   "ApplyingChanges)"));
}

TEST_F(ApplyProgressTest, AtMostOneLinePerChangeEveryTenSeconds) {
  plan::ResourceChange a = Change("eck_remote_cluster_server.logs", plan::ChangeAction::kCreate);
  plan::ResourceChange b = Change("eck_remote_client_tls.logs", plan::ChangeAction::kCreate);
  progress_.OnStart(a);
  progress_.OnStart(b);
  Lines();
  progress_.OnProgress(a, "poll 1");
  progress_.OnProgress(b, "poll 1");  // another change: its own throttle
  clock_.Advance(5s);
  progress_.OnProgress(a, "poll 2");
  clock_.Advance(4999ms);
  progress_.OnProgress(a, "poll 3");
  clock_.Advance(1ms);
  progress_.OnProgress(a, "poll 4");
  clock_.Advance(65s);
  progress_.OnProgress(a, "poll 5");
  EXPECT_THAT(Lines(),
              ElementsAre("eck_remote_cluster_server.logs: Still creating... [0s elapsed] poll 1",
                          "eck_remote_client_tls.logs: Still creating... [0s elapsed] poll 1",
                          "eck_remote_cluster_server.logs: Still creating... [10s elapsed] poll 4",
                          "eck_remote_cluster_server.logs: Still creating... [1m15s elapsed] "
                          "poll 5"));
}

TEST_F(ApplyProgressTest, VerbFollowsTheAction) {
  struct Case {
    plan::ResourceChange change;
    std::string verb;
  };
  std::vector<Case> cases = {
      {Change("a.x", plan::ChangeAction::kCreate), "Still creating..."},
      {Change("b.x", plan::ChangeAction::kUpdate), "Still modifying..."},
      {Change("c.x", plan::ChangeAction::kDelete), "Still destroying..."},
      {Change("d.x", plan::ChangeAction::kReplace), "Still replacing..."},
      {Change("e.x", plan::ChangeAction::kCreate, graph::ResourceMode::kCheck),
       "Still verifying..."},
      {Change("f.x", plan::ChangeAction::kUpdate, graph::ResourceMode::kCheck),
       "Still verifying..."},
      {Change("g.x", plan::ChangeAction::kDelete, graph::ResourceMode::kCheck),
       "Still destroying..."},
  };
  for (const Case& c : cases) {
    progress_.OnStart(c.change);
    Lines();
    progress_.OnProgress(c.change, "waiting");
    EXPECT_THAT(Lines(), ElementsAre(c.change.address + ": " + c.verb + " [0s elapsed] waiting"));
  }
}

TEST_F(ApplyProgressTest, ARunAgainOfTheSameAddressPrintsAtOnce) {
  plan::ResourceChange c = Change("es_remote_cluster.logs.apps", plan::ChangeAction::kCreate);
  progress_.OnStart(c);
  progress_.OnProgress(c, "one");
  progress_.OnFailed(c, Status::Unavailable("down"));
  progress_.OnStart(c);
  Lines();
  progress_.OnProgress(c, "two");  // same clock instant: a new change, a new throttle
  EXPECT_THAT(Lines(),
              ElementsAre("es_remote_cluster.logs.apps: Still creating... [0s elapsed] two"));
}

TEST_F(ApplyProgressTest, MessageIsOneRedactedLineAndColourFollowsTheUi) {
  Redactor::Register("s3cr3t-token-value");
  std::ostringstream out, err;
  Ui colored(out, err, /*color=*/true, clock_);
  ApplyProgress progress(colored, clock_);
  plan::ResourceChange c = Change("es_remote_cluster.logs.apps", plan::ChangeAction::kCreate);
  progress.OnStart(c);
  out.str("");
  progress.OnProgress(c, "waiting\nfor s3cr3t-token-value");
  EXPECT_EQ(out.str(), "\x1b[1mes_remote_cluster.logs.apps\x1b[0m: Still creating... [0s elapsed] "
                       "waiting for (sensitive)\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(err.str(), IsEmpty());
}

}  // namespace
}  // namespace crosslink::cli
