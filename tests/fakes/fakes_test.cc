#include <gtest/gtest.h>

#include "tests/fakes/faulty_filesystem.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::fakes {
namespace {

TEST(MemFileSystemTest, BehavesLikeADisk) {
  MemFileSystem fs;
  EXPECT_EQ(fs.WriteFileAtomic("/a/b/f", "x", 0600).code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs.MakeDirs("/a/b", 0700).ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/a/b/f", "hello", 0640).ok());
  ASSERT_TRUE(fs.AppendFile("/a/b/f", " world", 0600).ok());
  EXPECT_EQ(*fs.ReadFile("/a/b/f"), "hello world");
  EXPECT_EQ(*fs.FileMode("/a/b/f"), 0640u);  // append keeps the mode of an existing file
  ASSERT_TRUE(fs.AppendFile("/a/b/g", "new", 0600).ok());
  EXPECT_EQ(*fs.FileMode("/a/b/g"), 0600u);
  ASSERT_TRUE(fs.Rename("/a/b/g", "/a/h").ok());
  EXPECT_FALSE(fs.Exists("/a/b/g"));
  EXPECT_EQ(*fs.ReadFile("/a//h"), "new");  // paths are normalised
  auto list = fs.ListDir("/a");
  ASSERT_TRUE(list.ok());
  std::sort(list->begin(), list->end());
  EXPECT_EQ(*list, (std::vector<std::string>{"b", "h"}));
  ASSERT_TRUE(fs.Remove("/a/h").ok());
  ASSERT_TRUE(fs.Remove("/a/h").ok());  // absent is fine
  EXPECT_EQ(fs.ReadFile("/a/h").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs.Exists("/a/b"));
  ASSERT_TRUE(fs.WriteFileAtomic("relative.txt", "r", 0600).ok());  // "." always exists
  EXPECT_EQ(*fs.ReadFile("./relative.txt"), "r");
  fs.SetFile("~/x/y", "home", 0644);
  EXPECT_EQ(*fs.Get("/home/test/x/y"), "home");

  auto copy = fs.Clone();
  ASSERT_TRUE(copy->WriteFileAtomic("/a/b/f", "changed", 0600).ok());
  EXPECT_EQ(*fs.ReadFile("/a/b/f"), "hello world");
}

TEST(FaultyFileSystemTest, FailAtFailsOneMutationOnly) {
  MemFileSystem mem;
  FaultyFileSystem fs(&mem);
  fs.FailAt(2, Status::IoError("disk on fire"));
  EXPECT_TRUE(fs.WriteFileAtomic("f", "1", 0600).ok());
  EXPECT_EQ(*fs.ReadFile("f"), "1");  // reads are not counted
  Status s = fs.AppendFile("f", "2", 0600);
  EXPECT_EQ(s.message(), "disk on fire");
  EXPECT_TRUE(fs.AppendFile("f", "3", 0600).ok());
  EXPECT_EQ(*mem.Get("f"), "13");
  EXPECT_EQ(fs.mutations(), 3);
  EXPECT_FALSE(fs.crashed());
}

TEST(FaultyFileSystemTest, ShortWriteAppendsPartOfTheData) {
  MemFileSystem mem;
  FaultyFileSystem fs(&mem);
  fs.FailAt(1, Status::IoError("No space left on device"), 0.5);
  EXPECT_FALSE(fs.AppendFile("f", "abcdefgh", 0600).ok());
  EXPECT_EQ(*mem.Get("f"), "abcd");
}

TEST(FaultyFileSystemTest, CrashCutsTheOperationAndKillsEverythingAfter) {
  MemFileSystem mem;
  mem.SetFile("f", "old");
  {
    FaultyFileSystem fs(&mem);
    fs.CrashAt(1, 0.5);
    EXPECT_FALSE(fs.WriteFileAtomic("f", "new-content", 0600).ok());
    EXPECT_TRUE(fs.crashed());
    EXPECT_EQ(*mem.Get("f"), "old");              // never renamed
    EXPECT_EQ(*mem.Get("f.tmp.crash"), "new-c");  // the temp file half written
    EXPECT_FALSE(fs.ReadFile("f").ok());          // the process is gone
    EXPECT_FALSE(fs.AppendFile("g", "x", 0600).ok());
    EXPECT_FALSE(mem.Get("g").has_value());
  }
  {
    FaultyFileSystem fs(&mem);
    fs.CrashAt(2, 1.0);
    EXPECT_TRUE(fs.AppendFile("f", "+1", 0600).ok());
    EXPECT_FALSE(fs.AppendFile("f", "+22", 0600).ok());
    EXPECT_EQ(*mem.Get("f"), "old+1+2");  // a cut append never lands whole
  }
  {
    FaultyFileSystem fs(&mem);
    fs.CrashAt(1);
    EXPECT_FALSE(fs.Rename("f", "h").ok());
    EXPECT_TRUE(mem.Get("f").has_value());
    EXPECT_FALSE(mem.Get("h").has_value());
  }
}

}  // namespace
}  // namespace crosslink::fakes
