// Crash safety of the local backend: a simulated power loss at EVERY write
// point of a run (records, then Persist) must leave files from which Load
// returns exactly the state after the last action whose Record returned OK,
// and from which the next run converges.

#include <gtest/gtest.h>

#include "state/local_backend.h"
#include "tests/fakes/faulty_filesystem.h"
#include "tests/fakes/mem_filesystem.h"
#include "tests/state/test_util.h"

namespace crosslink::state {
namespace {

using fakes::FaultyFileSystem;
using fakes::MemFileSystem;
using testing::Canon;
using testing::MakeResource;

constexpr const char* kPath = "/proj/crosslink.state.json";
constexpr const char* kKeyFile = "/home/test/.config/crosslink/state.key";

struct Action {
  bool remove = false;
  ResourceState resource;
};

Action Upsert(ResourceState r) { return Action{false, std::move(r)}; }
Action Remove(const std::string& address) {
  Action a;
  a.remove = true;
  a.resource.address = address;
  return a;
}

std::unique_ptr<Backend> Open(FileSystem* fs) {
  LocalBackendOptions o;
  o.path = kPath;
  o.fs = fs;
  o.keys = KeyOptions{std::nullopt, kKeyFile};
  o.lock_kind = LockKind::kInProcess;
  return NewLocalBackend(std::move(o));
}

void Apply(const Action& a, State* st) {
  if (a.remove) {
    st->resources.erase(a.resource.address);
  } else {
    st->resources.insert_or_assign(a.resource.address, a.resource);
  }
}

// One run; returns how many Record calls returned OK before the first failure.
int RunActions(FileSystem* fs, const std::vector<Action>& actions) {
  auto b = Open(fs);
  auto st = b->Load();
  if (!st.ok()) return 0;
  int ok = 0;
  for (const auto& a : actions) {
    Apply(a, &*st);
    Status s = a.remove ? b->RecordRemove(a.resource.address) : b->RecordUpsert(a.resource);
    if (!s.ok()) return ok;
    ++ok;
  }
  (void)b->Persist(*st);
  return ok;
}

// Crashes the run at every mutation, with cuts of several sizes, and checks
// recovery. `serial_none` / `serial_some`: the serial Load must report when
// no / some action of the run was recorded.
void CheckEveryCrashPoint(const MemFileSystem& base, const std::vector<Action>& actions,
                          uint64_t serial_none, uint64_t serial_some) {
  std::vector<State> expected;
  {
    auto fs = base.Clone();
    auto st = Open(fs.get())->Load();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    expected.push_back(*st);
    for (const auto& a : actions) {
      expected.push_back(expected.back());
      Apply(a, &expected.back());
    }
  }
  int total = 0;
  {
    auto fs = base.Clone();
    FaultyFileSystem counting(fs.get());
    ASSERT_EQ(RunActions(&counting, actions), static_cast<int>(actions.size()));
    total = counting.mutations();
    auto st = Open(fs.get())->Load();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(Canon(*st), Canon(expected.back()));
  }
  ASSERT_GT(total, static_cast<int>(actions.size()));

  for (int n = 1; n <= total; ++n) {
    for (double cut : {0.0, 0.5, 0.999}) {
      SCOPED_TRACE("crash at mutation " + std::to_string(n) + " of " + std::to_string(total) +
                   ", cut " + std::to_string(cut));
      auto fs = base.Clone();
      FaultyFileSystem faulty(fs.get());
      faulty.CrashAt(n, cut);
      int ok = RunActions(&faulty, actions);
      ASSERT_TRUE(faulty.crashed());

      auto st = Open(fs.get())->Load();
      ASSERT_TRUE(st.ok()) << st.status().ToString();
      // Exactly the actions whose Record returned OK: durable, and nothing more.
      EXPECT_EQ(Canon(*st), Canon(expected[static_cast<size_t>(ok)])) << "recorded: " << ok;
      EXPECT_EQ(st->serial, ok == 0 ? serial_none : serial_some);
      if (st->serial > 0) {
        EXPECT_FALSE(st->lineage.empty());
      }

      // The next run converges from there.
      auto b = Open(fs.get());
      auto next = b->Load();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      auto extra = MakeResource("es_remote_cluster.after.crash", "after-crash-secret");
      next->resources.insert_or_assign(extra.address, extra);
      ASSERT_TRUE(b->RecordUpsert(extra).ok());
      ASSERT_TRUE(b->Persist(*next).ok());
      EXPECT_EQ(next->serial, st->serial + 1);
      auto final_state = Open(fs.get())->Load();
      ASSERT_TRUE(final_state.ok()) << final_state.status().ToString();
      State want = expected[static_cast<size_t>(ok)];
      want.resources.insert_or_assign(extra.address, extra);
      EXPECT_EQ(Canon(*final_state), Canon(want));
      EXPECT_EQ(final_state->serial, st->serial + 1);
      EXPECT_FALSE(fs->Exists(StateJournalPath(kPath)));
    }
  }
}

std::vector<Action> SampleRun() {
  return {Upsert(MakeResource("es_cross_cluster_api_key.logs.analytics", "api-key-secret-1")),
          Upsert(MakeResource("es_keystore_entry.analytics.logs", "",
                              {"es_cross_cluster_api_key.logs.analytics"})),
          Remove("es_remote_cluster.old.gone"),
          Upsert(MakeResource("es_cross_cluster_api_key.logs.analytics", "api-key-secret-rotated")),
          Upsert(MakeResource("es_remote_cluster.analytics.logs"))};
}

// A persisted state with one secret, serial 1.
std::unique_ptr<MemFileSystem> PersistedBase() {
  auto fs = std::make_unique<MemFileSystem>();
  auto b = Open(fs.get());
  auto st = b->Load();
  EXPECT_TRUE(st.ok());
  for (const auto& r : {MakeResource("es_remote_cluster.old.gone"),
                        MakeResource("pki_ca.logs", "ca-private-key-secret")}) {
    st->resources.emplace(r.address, r);
    EXPECT_TRUE(b->RecordUpsert(r).ok());
  }
  EXPECT_TRUE(b->Persist(*st).ok());
  EXPECT_EQ(st->serial, 1u);
  return fs;
}

TEST(CrashTest, EveryWritePointOfARunOverAPersistedState) {
  auto base = PersistedBase();
  CheckEveryCrashPoint(*base, SampleRun(), /*serial_none=*/1, /*serial_some=*/2);
}

TEST(CrashTest, EveryWritePointOfTheFirstRunEver) {
  // No state, no key file, no directories yet: creating them is crashed too.
  MemFileSystem empty;
  CheckEveryCrashPoint(empty, SampleRun(), /*serial_none=*/0, /*serial_some=*/1);
}

TEST(CrashTest, EveryWritePointOfARunRecoveringFromACrashedRun) {
  // The previous run crashed after two actions, in the middle of a third.
  auto base = PersistedBase();
  {
    FaultyFileSystem faulty(base.get());
    // Mutations of that run: journal begin+1st action, 2nd append, then the 3rd append is cut.
    faulty.CrashAt(3, 0.5);
    EXPECT_EQ(RunActions(&faulty, SampleRun()), 2);
  }
  // Recovery loads serial 2 (the crashed run); this run's first record makes it 3.
  CheckEveryCrashPoint(
      *base,
      {Upsert(MakeResource("es_remote_cluster.analytics.logs")), Remove("pki_ca.logs"),
       Upsert(MakeResource("es_cross_cluster_api_key.onprem.logs", "third-secret"))},
      /*serial_none=*/2, /*serial_some=*/3);
}

}  // namespace
}  // namespace crosslink::state
