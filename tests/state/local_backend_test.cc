#include "state/local_backend.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/core/version.h"
#include "state/journal.h"
#include "tests/fakes/faulty_filesystem.h"
#include "tests/fakes/mem_filesystem.h"
#include "tests/state/test_util.h"

namespace crosslink::state {
namespace {

using fakes::MemFileSystem;
using testing::Canon;
using testing::MakeResource;

constexpr const char* kPath = "/proj/state/crosslink.state.json";
constexpr const char* kKeyFile = "/home/test/.config/crosslink/state.key";

class LocalBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> NewBackend(const std::string& key_file = kKeyFile) {
    LocalBackendOptions o;
    o.path = kPath;
    o.fs = &fs_;
    o.keys = KeyOptions{std::nullopt, key_file};
    o.lock_kind = LockKind::kInProcess;
    return NewLocalBackend(std::move(o));
  }

  // One run: load, apply `actions` (upserts, or removals when the resource has no type), persist.
  State Run(const std::vector<ResourceState>& actions, bool persist = true) {
    auto b = NewBackend();
    auto st = b->Load();
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return {};
    for (const auto& r : actions) {
      if (r.type.empty()) {
        st->resources.erase(r.address);
        EXPECT_TRUE(b->RecordRemove(r.address).ok());
      } else {
        st->resources.insert_or_assign(r.address, r);
        Status s = b->RecordUpsert(r);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
    if (persist) {
      Status s = b->Persist(*st);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return *st;
  }

  State LoadOk() {
    auto st = NewBackend()->Load();
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    return st.ok() ? *st : State{};
  }

  static ResourceState Removal(const std::string& address) {
    ResourceState r;
    r.address = address;
    return r;
  }

  std::string Journal() { return fs_.Get(StateJournalPath(kPath)).value_or(""); }

  MemFileSystem fs_;
};

TEST_F(LocalBackendTest, NoStateYetLoadsEmpty) {
  auto st = NewBackend()->Load();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE(st->resources.empty());
  EXPECT_EQ(st->serial, 0u);
  EXPECT_TRUE(st->lineage.empty());
  EXPECT_EQ(NewBackend()->Describe(), std::string("local file ") + kPath);
}

TEST_F(LocalBackendTest, RecordsThenPersistRoundTrip) {
  State written = Run({MakeResource("es_cross_cluster_api_key.logs.analytics", "s3cr3t-api-key"),
                       MakeResource("es_remote_cluster.analytics.logs", "",
                                    {"es_cross_cluster_api_key.logs.analytics"})});
  EXPECT_EQ(written.serial, 1u);
  EXPECT_EQ(written.lineage.size(), 36u);
  EXPECT_EQ(written.tool_version, kVersion);
  EXPECT_FALSE(fs_.Exists(StateJournalPath(kPath)));  // compacted

  State loaded = LoadOk();
  EXPECT_EQ(loaded.serial, 1u);
  EXPECT_EQ(loaded.lineage, written.lineage);
  EXPECT_EQ(Canon(loaded), Canon(written));
  EXPECT_EQ(loaded.Find("es_cross_cluster_api_key.logs.analytics")->sensitive_outputs.at("encoded"),
            Secret("s3cr3t-api-key"));

  // The next run moves the serial by one and keeps the lineage.
  State second = Run({Removal("es_remote_cluster.analytics.logs")});
  EXPECT_EQ(second.serial, 2u);
  EXPECT_EQ(second.lineage, written.lineage);
  EXPECT_EQ(LoadOk().resources.size(), 1u);
}

TEST_F(LocalBackendTest, PersistWithoutRecordsIsANoOp) {
  Run({MakeResource("a.one")});
  std::string before = *fs_.Get(kPath);
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(b->Persist(*st).ok());
  EXPECT_EQ(st->serial, 1u);
  EXPECT_EQ(*fs_.Get(kPath), before);
  EXPECT_FALSE(fs_.Exists(StateBackupPath(kPath)));
}

TEST_F(LocalBackendTest, RecordBeforeLoadIsRefused) {
  auto b = NewBackend();
  EXPECT_EQ(b->RecordUpsert(MakeResource("a.one")).code(), StatusCode::kFailedPrecondition);
  State st;
  EXPECT_EQ(b->Persist(st).code(), StatusCode::kFailedPrecondition);
}

TEST_F(LocalBackendTest, PreviousFileIsKeptAsBackup) {
  Run({MakeResource("a.one")});
  std::string first = *fs_.Get(kPath);
  Run({MakeResource("a.two")});
  EXPECT_EQ(*fs_.Get(StateBackupPath(kPath)), first);
  EXPECT_NE(*fs_.Get(kPath), first);
  EXPECT_EQ(*fs_.FileMode(kPath), 0600u);
  EXPECT_EQ(*fs_.FileMode(StateBackupPath(kPath)), 0600u);
}

TEST_F(LocalBackendTest, NoPlaintextSecretInAnyFile) {
  const std::string secret = "VnVXZ1pvOEJ-plaintext-api-key-7c1f";
  // Before Persist: only the journal holds the run.
  Run({MakeResource("a.one", secret), MakeResource("a.two", secret + "-2")}, /*persist=*/false);
  ASSERT_FALSE(Journal().empty());
  Run({MakeResource("a.three", secret + "-3")});
  Run({MakeResource("a.four", secret + "-4")});  // and a backup exists
  auto files = fs_.Files();
  EXPECT_TRUE(files.count(StateBackupPath(kPath)));
  for (const auto& [path, bytes] : files) {
    if (path == kKeyFile) continue;
    EXPECT_EQ(bytes.find("plaintext-api-key"), std::string::npos) << path;
  }
  EXPECT_EQ(LoadOk().Find("a.one")->sensitive_outputs.at("encoded").expose(), secret);
}

TEST_F(LocalBackendTest, WrongKeyIsAClearErrorNotGarbage) {
  Run({MakeResource("a.one", "the-secret-value")});
  fs_.SetFile("/other/state.key", std::string(32, 'q'), 0600);
  auto st = NewBackend("/other/state.key")->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.status().message().find("the state key does not match the one this state was "
                                       "encrypted with"),
            std::string::npos)
      << st.status().message();
  EXPECT_NE(st.status().message().find(kPath), std::string::npos);
}

TEST_F(LocalBackendTest, TamperedCiphertextIsCorruption) {
  Run({MakeResource("a.one", "the-secret-value")});
  auto doc = ParseJson(*fs_.Get(kPath));
  ASSERT_TRUE(doc.ok());
  std::string& sealed =
      (*doc)["resources"][0]["sensitive_outputs"]["encoded"].get_ref<std::string&>();
  sealed[30] = sealed[30] == 'x' ? 'y' : 'x';
  fs_.SetFile(kPath, DumpJsonPretty(*doc));
  auto st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find("a.one"), std::string::npos);
  EXPECT_NE(st.status().message().find("failed authentication"), std::string::npos);
}

TEST_F(LocalBackendTest, NoKeyIsNeededUntilASecretIsStored) {
  Run({MakeResource("a.one")});
  EXPECT_FALSE(fs_.Exists(kKeyFile));
  EXPECT_FALSE(ParseJson(*fs_.Get(kPath))->contains("encryption"));
  Run({MakeResource("a.two", "first-secret-value")}, /*persist=*/false);
  EXPECT_TRUE(fs_.Exists(kKeyFile));
  EXPECT_EQ(*fs_.FileMode(kKeyFile), 0600u);
  // The journal carries the encryption block, so a crash now still loads.
  EXPECT_EQ(LoadOk().Find("a.two")->sensitive_outputs.at("encoded").expose(), "first-secret-value");
}

TEST_F(LocalBackendTest, KeyIntroducedMidRunIsJournalled) {
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.one")).ok());
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.two", "mid-run-secret")).ok());
  EXPECT_NE(Journal().find("\"op\":\"encryption\""), std::string::npos);
  EXPECT_EQ(LoadOk().Find("a.two")->sensitive_outputs.at("encoded").expose(), "mid-run-secret");
}

TEST_F(LocalBackendTest, JournalIsReplayedAfterACrashBeforePersist) {
  Run({MakeResource("a.one", "secret-one"), MakeResource("a.two")});
  Run({MakeResource("a.three"), Removal("a.one"), MakeResource("a.two", "secret-two")},
      /*persist=*/false);
  State st = LoadOk();
  EXPECT_EQ(st.serial, 2u);
  EXPECT_EQ(st.Find("a.one"), nullptr);
  ASSERT_NE(st.Find("a.three"), nullptr);
  EXPECT_EQ(st.Find("a.two")->sensitive_outputs.at("encoded").expose(), "secret-two");

  // The next run compacts the crashed run first, then journals its own.
  State next = Run({MakeResource("a.four")});
  EXPECT_EQ(next.serial, 3u);
  State again = LoadOk();
  EXPECT_EQ(again.serial, 3u);
  EXPECT_EQ(again.resources.size(), 3u);
  // The backup is the compacted crashed run (serial 2).
  auto backup = ParseJson(*fs_.Get(StateBackupPath(kPath)));
  EXPECT_EQ((*backup)["serial"], 2);
}

TEST_F(LocalBackendTest, TornFinalRecordIsIgnored) {
  Run({MakeResource("a.one")});
  Run({MakeResource("a.two"), MakeResource("a.three")}, /*persist=*/false);
  std::string line = EncodeJournalLine({{"op", "remove"}, {"address", "a.one"}});
  fs_.AppendFile(StateJournalPath(kPath), line.substr(0, line.size() / 2), 0600);
  State st = LoadOk();
  EXPECT_EQ(st.resources.size(), 3u);
  EXPECT_NE(st.Find("a.one"), nullptr);
  // And the torn piece never ends up in the middle of a later journal.
  Run({MakeResource("a.four")}, /*persist=*/false);
  Run({MakeResource("a.five")});
  EXPECT_EQ(LoadOk().resources.size(), 5u);
}

TEST_F(LocalBackendTest, DamagedRecordInTheMiddleIsCorruption) {
  Run({MakeResource("a.one")});
  Run({MakeResource("a.two"), MakeResource("a.three"), MakeResource("a.four")}, false);
  std::string j = Journal();
  size_t second_line = j.find('\n') + 1;
  size_t pos = j.find("a.two", second_line);
  ASSERT_NE(pos, std::string::npos);
  j[pos + 2] = 'X';
  fs_.SetFile(StateJournalPath(kPath), j);
  auto st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find("line 2 is damaged (checksum mismatch)"), std::string::npos)
      << st.status().message();
  EXPECT_NE(st.status().message().find("move the journal aside"), std::string::npos);
}

TEST_F(LocalBackendTest, JournalOfAnotherStateFileIsCorruption) {
  Run({MakeResource("a.one")});                       // serial 1
  Run({MakeResource("a.two")});                       // serial 2
  Run({MakeResource("a.three")}, /*persist=*/false);  // journal based on serial 2
  // The user puts back the previous file (serial 1) while the journal exists.
  fs_.SetFile(kPath, *fs_.Get(StateBackupPath(kPath)));
  auto st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find("from serial 2"), std::string::npos)
      << st.status().message();
  EXPECT_NE(st.status().message().find("serial 1"), std::string::npos);

  // A journal of another lineage altogether.
  MemFileSystem other;
  LocalBackendOptions o;
  o.path = kPath;
  o.fs = &other;
  o.keys = KeyOptions{std::nullopt, kKeyFile};
  auto b = NewLocalBackend(std::move(o));
  ASSERT_TRUE(b->Load().ok());
  ASSERT_TRUE(b->RecordUpsert(MakeResource("b.one")).ok());
  fs_.SetFile(StateJournalPath(kPath), *other.Get(StateJournalPath(kPath)));
  st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find("continues lineage"), std::string::npos);
}

TEST_F(LocalBackendTest, JournalAlreadyInTheStateFileIsIgnored) {
  // A crash after Persist renamed the new file but before it removed the journal.
  Run({MakeResource("a.one")});
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  st->resources.emplace("a.two", MakeResource("a.two"));
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.two")).ok());
  std::string journal = Journal();
  ASSERT_TRUE(b->Persist(*st).ok());
  fs_.SetFile(StateJournalPath(kPath), journal);
  State loaded = LoadOk();
  EXPECT_EQ(loaded.serial, 2u);
  EXPECT_EQ(loaded.resources.size(), 2u);
  // The next run replaces the stale journal instead of appending to it.
  Run({MakeResource("a.three")}, /*persist=*/false);
  State after = LoadOk();
  EXPECT_EQ(after.serial, 3u);
  EXPECT_EQ(after.resources.size(), 3u);
}

TEST_F(LocalBackendTest, NewerFormatVersionIsRefused) {
  fs_.SetFile(kPath,
              R"({"format_version": 3, "tool_version": "2.0.0", "lineage": "x", "serial": 4})");
  auto st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.status().message().find("upgrade crosslink"), std::string::npos);
}

TEST_F(LocalBackendTest, DamagedStateFilePointsAtTheBackup) {
  Run({MakeResource("a.one")});
  fs_.SetFile(kPath, "{\"format_version\": 1, \"resources\": [");
  auto st = NewBackend()->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find(StateBackupPath(kPath)), std::string::npos);
}

TEST_F(LocalBackendTest, ShortWriteDoesNotPoisonLaterRecords) {
  Run({MakeResource("a.one")});
  fakes::FaultyFileSystem faulty(&fs_);
  LocalBackendOptions o;
  o.path = kPath;
  o.fs = &faulty;
  o.keys = KeyOptions{std::nullopt, kKeyFile};
  o.lock_kind = LockKind::kInProcess;
  auto b = NewLocalBackend(std::move(o));
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.two")).ok());
  // The next append fails after writing part of its line (e.g. disk full).
  faulty.FailAt(faulty.mutations() + 1, Status::IoError("No space left on device"), 0.5);
  Status failed = b->RecordUpsert(MakeResource("a.three"));
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("No space left on device"), std::string::npos);
  ASSERT_NE(Journal().back(), '\n');  // the torn piece is there
  // A later record first cuts the torn piece off, so the journal stays valid.
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.four")).ok());
  State loaded = LoadOk();
  EXPECT_NE(loaded.Find("a.two"), nullptr);
  EXPECT_EQ(loaded.Find("a.three"), nullptr);
  EXPECT_NE(loaded.Find("a.four"), nullptr);
}

TEST_F(LocalBackendTest, RecordCostIsProportionalToTheChange) {
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  size_t first_record_bytes = 0;
  size_t last_record_bytes = 0;
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    auto r = MakeResource("es_remote_cluster.c" + std::to_string(10000 + i) + ".logs");
    st->resources.emplace(r.address, r);
    bool measure = i == 1 || i == kCount - 1;
    size_t before = measure ? Journal().size() : 0;
    ASSERT_TRUE(b->RecordUpsert(r).ok());
    if (i == 1) first_record_bytes = Journal().size() - before;
    if (i == kCount - 1) last_record_bytes = Journal().size() - before;
  }
  // Appends do not grow with the state: the 1000th costs what the 2nd did.
  EXPECT_EQ(last_record_bytes, first_record_bytes);
  EXPECT_LT(last_record_bytes, 1000u);
  State loaded = LoadOk();
  EXPECT_EQ(loaded.resources.size(), static_cast<size_t>(kCount));
  ASSERT_TRUE(b->Persist(*st).ok());
  EXPECT_EQ(Canon(LoadOk()), Canon(*st));
}

TEST_F(LocalBackendTest, RecordsFromManyThreadsAreSerialised) {
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&b, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string address = "a.t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(b->RecordUpsert(MakeResource(address, i % 2 ? "secret-" + address : "")).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  State loaded = LoadOk();
  EXPECT_EQ(loaded.resources.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(loaded.Find("a.t3-7")->sensitive_outputs.at("encoded").expose(), "secret-a.t3-7");
}

TEST_F(LocalBackendTest, PersistRefusesAStateOfAnotherLineage) {
  Run({MakeResource("a.one")});
  auto b = NewBackend();
  auto st = b->Load();
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(b->RecordUpsert(MakeResource("a.two")).ok());
  st->lineage = "someone-else";
  EXPECT_EQ(b->Persist(*st).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace crosslink::state
