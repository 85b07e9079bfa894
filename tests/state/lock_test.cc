// Locking of the local backend on the real file system (OFD fcntl locks),
// plus file modes as the kernel reports them. Everything happens under a
// per-test temporary directory.

#include "state/lock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/clock.h"
#include "engine/core/version.h"
#include "state/local_backend.h"
#include "tests/fakes/mem_filesystem.h"
#include "tests/state/test_util.h"

namespace crosslink::state {
namespace {

using testing::MakeResource;
using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint32_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class LockTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> NewBackend() {
    LocalBackendOptions o;
    o.path = state_path_;
    o.keys = KeyOptions{std::nullopt, dir_ / "keys/state.key"};
    o.clock = &clock_;
    return NewLocalBackend(std::move(o));
  }

  static LockInfo Info(const std::string& id, const std::string& operation) {
    LockInfo info;
    info.id = id;
    info.operation = operation;
    info.who = "alice@ws1";
    return info;
  }

  TempDir dir_;
  std::string state_path_ = dir_ / "crosslink.state.json";
  FakeClock clock_;
};

TEST_F(LockTest, SecondLockInTheSameProcessFailsWithTheHoldersInfo) {
  auto first = NewBackend();
  auto second = NewBackend();
  auto held = first->Lock(Info("11111111-aaaa-4bbb-8ccc-000000000001", "apply"));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ((*held)->info().pid, static_cast<int>(::getpid()));
  EXPECT_EQ((*held)->info().created, "2026-01-01T00:00:00Z");  // from the clock
  EXPECT_EQ((*held)->info().path, state_path_);

  auto denied = second->Lock(Info("22222222-aaaa-4bbb-8ccc-000000000002", "destroy"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kLocked);
  const std::string& msg = denied.status().message();
  EXPECT_NE(msg.find((*held)->info().Describe()), std::string::npos) << msg;
  EXPECT_NE(msg.find("alice@ws1"), std::string::npos);
  EXPECT_NE(msg.find("for apply"), std::string::npos);
  EXPECT_NE(msg.find("crosslink force-unlock 11111111-aaaa-4bbb-8ccc-000000000001"),
            std::string::npos);
  // The same backend cannot take it twice either.
  EXPECT_EQ(first->Lock(Info("x", "plan")).status().code(), StatusCode::kLocked);

  auto holder = second->LockHolder();
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ((*holder)->id, "11111111-aaaa-4bbb-8ccc-000000000001");

  held->reset();  // released
  EXPECT_EQ(ReadAll(StateLockPath(state_path_)), "");
  auto retaken = second->Lock(Info("22222222-aaaa-4bbb-8ccc-000000000002", "destroy"));
  ASSERT_TRUE(retaken.ok()) << retaken.status().ToString();
  EXPECT_NE(ReadAll(StateLockPath(state_path_)).find("22222222"), std::string::npos);
}

TEST_F(LockTest, DefaultsAreFilledIn) {
  auto held = NewBackend()->Lock(LockInfo{});
  ASSERT_TRUE(held.ok());
  const LockInfo& info = (*held)->info();
  EXPECT_EQ(info.id.size(), 36u);
  EXPECT_FALSE(info.who.empty());
  EXPECT_EQ(info.version, kVersion);
  auto parsed = LockInfoFromJson(ReadAll(StateLockPath(state_path_)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->id, info.id);
  EXPECT_EQ(parsed->pid, info.pid);
}

TEST_F(LockTest, StaleInfoOfADeadProcessIsTakenOver) {
  // A child process takes the lock and dies without releasing it.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = NewBackend()->Lock(Info("dead-0000", "apply"));
    ::_exit(held.ok() ? 0 : 1);  // no destructors: the info stays behind
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_NE(ReadAll(StateLockPath(state_path_)).find("dead-0000"), std::string::npos);

  auto b = NewBackend();
  auto holder = b->LockHolder();
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->pid, static_cast<int>(child));

  auto held = b->Lock(Info("live-1111", "apply"));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ((*held)->info().id, "live-1111");
  EXPECT_NE(ReadAll(StateLockPath(state_path_)).find("live-1111"), std::string::npos);
}

TEST_F(LockTest, ForceUnlockChecksTheIdAndRefusesALiveHolder) {
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = NewBackend()->Lock(Info("held-by-child", "apply"));
    char c = held.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(release[0], &c, 1);  // hold until the parent says so
    ::_exit(0);                        // dies holding: the info stays
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');

  auto b = NewBackend();
  Status wrong = b->ForceUnlock("not-the-id");
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("held-by-child"), std::string::npos) << wrong.message();

  Status live = b->ForceUnlock("held-by-child");
  EXPECT_EQ(live.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(live.message().find("live process"), std::string::npos) << live.message();
  EXPECT_NE(live.message().find("pid " + std::to_string(child)), std::string::npos);

  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);

  EXPECT_EQ(b->ForceUnlock("not-the-id").code(), StatusCode::kInvalidArgument);
  Status ok = b->ForceUnlock("held-by-child");
  ASSERT_TRUE(ok.ok()) << ok.ToString();
  auto holder = b->LockHolder();
  ASSERT_TRUE(holder.ok());
  EXPECT_FALSE(holder->has_value());
  EXPECT_EQ(b->ForceUnlock("held-by-child").code(), StatusCode::kNotFound);
}

TEST_F(LockTest, ForceUnlockRefusesALockHeldInThisProcess) {
  auto holder = NewBackend();
  auto held = holder->Lock(Info("mine", "apply"));
  ASSERT_TRUE(held.ok());
  Status s = NewBackend()->ForceUnlock("mine");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("pid " + std::to_string(::getpid())), std::string::npos);
}

TEST_F(LockTest, FilesAre0600OnDisk) {
  mode_t old = ::umask(0);  // the modes must not depend on the caller's umask
  {
    auto b = NewBackend();
    auto held = b->Lock(Info("modes", "apply"));
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    auto st = b->Load();
    ASSERT_TRUE(st.ok());
    for (const auto& r : {MakeResource("a.one", "secret-value-1"), MakeResource("a.two")}) {
      st->resources.emplace(r.address, r);
      ASSERT_TRUE(b->RecordUpsert(r).ok());
    }
    EXPECT_EQ(ModeOf(StateJournalPath(state_path_)), 0600u);
    ASSERT_TRUE(b->Persist(*st).ok());
    auto again = b->Load();
    ASSERT_TRUE(again.ok());
    auto r3 = MakeResource("a.three");
    again->resources.emplace(r3.address, r3);
    ASSERT_TRUE(b->RecordUpsert(r3).ok());
    ASSERT_TRUE(b->Persist(*again).ok());
  }
  ::umask(old);
  EXPECT_EQ(ModeOf(state_path_), 0600u);
  EXPECT_EQ(ModeOf(StateBackupPath(state_path_)), 0600u);
  EXPECT_EQ(ModeOf(StateLockPath(state_path_)), 0600u);
  EXPECT_EQ(ModeOf(dir_ / "keys/state.key"), 0600u);
  EXPECT_EQ(ReadAll(state_path_).find("secret-value-1"), std::string::npos);
  // Nothing but the state's own files is left behind (no temporary files).
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"crosslink.state.json", "crosslink.state.json.backup",
                                             "crosslink.state.json.lock", "keys"}));
}

TEST(InProcessLockTest, ConflictStaleTakeoverAndForceUnlockOverMemFileSystem) {
  fakes::MemFileSystem fs;
  auto make = [&] {
    LocalBackendOptions o;
    o.path = "/p/crosslink.state.json";
    o.fs = &fs;
    o.keys = KeyOptions{std::nullopt, "/k/state.key"};
    o.lock_kind = LockKind::kInProcess;
    return NewLocalBackend(std::move(o));
  };
  auto a = make(), b = make();
  LockInfo info;
  info.id = "first";
  auto held = a->Lock(info);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  auto denied = b->Lock(LockInfo{});
  EXPECT_EQ(denied.status().code(), StatusCode::kLocked);
  EXPECT_NE(denied.status().message().find("crosslink force-unlock first"), std::string::npos);
  EXPECT_EQ(b->ForceUnlock("first").code(), StatusCode::kFailedPrecondition);
  held->reset();
  EXPECT_TRUE(b->Lock(LockInfo{}).ok());

  // Info left without a holder: stale, taken over; or removed by force-unlock.
  LockInfo stale;
  stale.id = "stale";
  fs.SetFile(StateLockPath("/p/crosslink.state.json"), DumpJson(LockInfoToJson(stale)));
  EXPECT_EQ(b->ForceUnlock("other").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(b->ForceUnlock("stale").ok());
  fs.SetFile(StateLockPath("/p/crosslink.state.json"), DumpJson(LockInfoToJson(stale)));
  auto taken = b->Lock(LockInfo{});
  ASSERT_TRUE(taken.ok());
  EXPECT_NE(fs.Get(StateLockPath("/p/crosslink.state.json"))->find((*taken)->info().id),
            std::string::npos);
}

TEST(LockInfoTest, Describe) {
  LockInfo info;
  info.id = "3f2a";
  info.who = "alice@ws1";
  info.pid = 4242;
  info.created = "2026-11-25T22:24:43Z";
  info.operation = "apply";
  EXPECT_EQ(info.Describe(),
            "ID 3f2a, held by alice@ws1 (pid 4242) since 2026-11-25T22:24:43Z for apply");
  info.version = "0.1.0";
  EXPECT_EQ(info.Describe(),
            "ID 3f2a, held by alice@ws1 (pid 4242) since 2026-11-25T22:24:43Z for apply (crosslink "
            "0.1.0)");
  auto back = LockInfoFromJson(DumpJson(LockInfoToJson(info)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Describe(), info.Describe());
  EXPECT_EQ(LockInfoFromJson("garbage").status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace crosslink::state
