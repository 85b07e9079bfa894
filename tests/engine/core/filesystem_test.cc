// The real file system, exercised inside a per-test temporary directory.
#include "engine/core/filesystem.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace crosslink {
namespace {

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crosslink-fs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs_ = NewPosixFileSystem();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::unique_ptr<FileSystem> fs_;
};

TEST_F(PosixFileSystemTest, AtomicWriteReplacesContentWithRequestedMode) {
  std::string p = dir_ + "/state.json";
  ASSERT_TRUE(fs_->WriteFileAtomic(p, "one", 0600).ok());
  ASSERT_TRUE(fs_->WriteFileAtomic(p, "two", 0600).ok());
  EXPECT_EQ(*fs_->ReadFile(p), "two");
  EXPECT_EQ(*fs_->FileMode(p), 0600u);
  auto names = fs_->ListDir(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"state.json"}) << "no temp file may be left behind";
}

TEST_F(PosixFileSystemTest, AppendCreatesWithModeAndAppends) {
  std::string p = dir_ + "/journal";
  ASSERT_TRUE(fs_->AppendFile(p, "a\n", 0600).ok());
  ASSERT_TRUE(fs_->AppendFile(p, "b\n", 0644).ok());
  EXPECT_EQ(*fs_->ReadFile(p), "a\nb\n");
  EXPECT_EQ(*fs_->FileMode(p), 0600u);
}

TEST_F(PosixFileSystemTest, MissingFileIsNotFoundAndRemoveIsIdempotent) {
  auto r = fs_->ReadFile(dir_ + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs_->Remove(dir_ + "/nope").ok());
  EXPECT_FALSE(fs_->Exists(dir_ + "/nope"));
}

TEST_F(PosixFileSystemTest, RemoveTakesAnEmptyDirectoryButNotAFullOne) {
  ASSERT_TRUE(fs_->MakeDirs(dir_ + "/d/e", 0700).ok());
  EXPECT_FALSE(fs_->Remove(dir_ + "/d").ok());  // holds e
  EXPECT_TRUE(fs_->Exists(dir_ + "/d/e"));
  EXPECT_TRUE(fs_->Remove(dir_ + "/d/e").ok());
  EXPECT_TRUE(fs_->Remove(dir_ + "/d").ok());
  EXPECT_FALSE(fs_->Exists(dir_ + "/d"));
}

TEST_F(PosixFileSystemTest, MakeDirsCreatesNestedDirectoriesAndRenameMoves) {
  ASSERT_TRUE(fs_->MakeDirs(dir_ + "/a/b/c", 0700).ok());
  ASSERT_TRUE(fs_->WriteFileAtomic(dir_ + "/a/b/c/x", "x", 0600).ok());
  ASSERT_TRUE(fs_->Rename(dir_ + "/a/b/c/x", dir_ + "/a/y").ok());
  EXPECT_TRUE(fs_->Exists(dir_ + "/a/y"));
  EXPECT_FALSE(fs_->Exists(dir_ + "/a/b/c/x"));
}

TEST(ExpandHomeTest, ExpandsLeadingTildeOnly) {
  setenv("HOME", "/home/alice", 1);
  EXPECT_EQ(ExpandHome("~/.kube/config"), "/home/alice/.kube/config");
  EXPECT_EQ(ExpandHome("/etc/~/x"), "/etc/~/x");
  EXPECT_EQ(ExpandHome("~alice"), "~alice");
}

}  // namespace
}  // namespace crosslink
