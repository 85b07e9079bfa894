// The keystore file format and the elasticsearch-keystore CLI stand-in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/value.h"
#include "sandbox/self/keystore.h"
#include "tests/sandbox/self/test_util.h"

namespace crosslink::sandbox::self {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using test_util::RunCli;
using test_util::ReadText;
using test_util::ScopedKeystorePassword;
using test_util::TempDir;
using test_util::WriteText;

class KeystoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("KEYSTORE_PASSWORD");
    home_ = dir_.path() + "/es";
    std::filesystem::create_directories(home_ + "/config");
  }
  TempDir dir_;
  std::string home_;
};

TEST_F(KeystoreCliTest, CreateThenListShowsTheSeed) {
  auto created = RunCli(home_, {"create"});
  EXPECT_EQ(created.code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("Created elasticsearch keystore in " + home_ + "/config"));
  auto listed = RunCli(home_, {"list"});
  EXPECT_EQ(listed.code, 0);
  EXPECT_EQ(listed.out, "keystore.seed\n");
}

TEST_F(KeystoreCliTest, CreateOverExistingAsksFirst) {
  ASSERT_EQ(RunCli(home_, {"add", "-f", "-x", "a.b"}, "v").code, 0);
  auto refused = RunCli(home_, {"create"}, "n\n");
  EXPECT_EQ(refused.code, 0);
  EXPECT_THAT(refused.out, HasSubstr("An elasticsearch keystore already exists. Overwrite? [y/N]"));
  EXPECT_THAT(refused.out, HasSubstr("Exiting without creating keystore."));
  EXPECT_THAT(RunCli(home_, {"list"}).out, HasSubstr("a.b"));
  EXPECT_EQ(RunCli(home_, {"create"}, "y\n").code, 0);
  EXPECT_EQ(RunCli(home_, {"list"}).out, "keystore.seed\n");
}

TEST_F(KeystoreCliTest, ListWithoutKeystoreIsDataError) {
  auto r = RunCli(home_, {"list"});
  EXPECT_EQ(r.code, 65);
  EXPECT_EQ(r.err, "ERROR: Elasticsearch keystore not found at [" + home_ +
                       "/config/elasticsearch.keystore]. Use 'create' command to create one.\n");
}

TEST_F(KeystoreCliTest, AddPromptsForTheValue) {
  ASSERT_EQ(RunCli(home_, {"create"}).code, 0);
  auto r = RunCli(home_, {"add", "cluster.remote.prod.credentials"}, "s3cr3t-value\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Enter value for cluster.remote.prod.credentials: ");
  EXPECT_EQ(RunCli(home_, {"show", "cluster.remote.prod.credentials"}).out, "s3cr3t-value\n");
  EXPECT_EQ(RunCli(home_, {"list"}).out, "cluster.remote.prod.credentials\nkeystore.seed\n");
}

TEST_F(KeystoreCliTest, AddStdinReadsAllInputWithoutTrailingNewline) {
  auto r = RunCli(home_, {"add", "-x", "-f", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"},
                    "p@ss word\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // no prompt with --stdin
  EXPECT_EQ(RunCli(home_, {"show", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"}).out,
            "p@ss word\n");
  // Several settings with --stdin take one line each.
  ASSERT_EQ(RunCli(home_, {"add", "--stdin", "a.one", "a.two"}, "1\r\n2\n").code, 0);
  EXPECT_EQ(RunCli(home_, {"show", "a.one"}).out, "1\n");
  EXPECT_EQ(RunCli(home_, {"show", "a.two"}).out, "2\n");
}

TEST_F(KeystoreCliTest, AddToMissingKeystoreAsksToCreateUnlessForced) {
  auto refused = RunCli(home_, {"add", "-x", "a.b"}, "");
  EXPECT_EQ(refused.code, 0);
  EXPECT_THAT(refused.out, HasSubstr("The elasticsearch keystore does not exist. Do you want to create it? [y/N]"));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/config/elasticsearch.keystore"));
  EXPECT_EQ(RunCli(home_, {"add", "-f", "-x", "a.b"}, "v").code, 0);
  EXPECT_EQ(RunCli(home_, {"list"}).out, "a.b\nkeystore.seed\n");
}

TEST_F(KeystoreCliTest, AddExistingSettingAsksToOverwriteUnlessForced) {
  ASSERT_EQ(RunCli(home_, {"add", "-f", "-x", "a.b"}, "first").code, 0);
  auto refused = RunCli(home_, {"add", "a.b"}, "N\n");
  EXPECT_EQ(refused.code, 0);
  EXPECT_THAT(refused.out, HasSubstr("Setting a.b already exists. Overwrite? [y/N]"));
  EXPECT_THAT(refused.out, HasSubstr("Exiting without modifying keystore."));
  EXPECT_EQ(RunCli(home_, {"show", "a.b"}).out, "first\n");

  auto accepted = RunCli(home_, {"add", "a.b"}, "y\nsecond\n");
  EXPECT_EQ(accepted.code, 0);
  EXPECT_EQ(RunCli(home_, {"show", "a.b"}).out, "second\n");

  auto forced = RunCli(home_, {"add", "-x", "--force", "a.b"}, "third");
  EXPECT_EQ(forced.code, 0);
  EXPECT_THAT(forced.out, Not(HasSubstr("Overwrite")));
  EXPECT_EQ(RunCli(home_, {"show", "a.b"}).out, "third\n");
}

TEST_F(KeystoreCliTest, AddValidatesNamesAndValues) {
  auto none = RunCli(home_, {"add", "-f"});
  EXPECT_EQ(none.code, 64);
  EXPECT_EQ(none.err, "ERROR: the setting names can not be null\n");
  auto bad = RunCli(home_, {"add", "-f", "-x", "bad name!"}, "v");
  EXPECT_EQ(bad.code, 65);
  EXPECT_THAT(bad.err, HasSubstr("does not match the allowed setting name pattern"));
  auto non_ascii = RunCli(home_, {"add", "-f", "-x", "a.b"}, "caf\xc3\xa9");
  EXPECT_EQ(non_ascii.code, 65);
  EXPECT_EQ(non_ascii.err, "ERROR: String value must contain only ASCII\n");
}

TEST_F(KeystoreCliTest, RemoveDeletesAndRejectsUnknownSettings) {
  ASSERT_EQ(RunCli(home_, {"add", "-f", "-x", "a.b"}, "v").code, 0);
  auto missing = RunCli(home_, {"remove", "a.b", "x"});
  EXPECT_EQ(missing.code, 78);
  EXPECT_EQ(missing.err, "ERROR: Setting [x] does not exist in the keystore.\n");
  EXPECT_THAT(RunCli(home_, {"list"}).out, HasSubstr("a.b"));  // nothing removed on error
  EXPECT_EQ(RunCli(home_, {"remove", "a.b"}).code, 0);
  EXPECT_EQ(RunCli(home_, {"list"}).out, "keystore.seed\n");
  auto none = RunCli(home_, {"remove"});
  EXPECT_EQ(none.code, 64);
  EXPECT_EQ(none.err, "ERROR: Must supply at least one setting to remove\n");
}

TEST_F(KeystoreCliTest, ShowUnknownSettingIsConfigError) {
  ASSERT_EQ(RunCli(home_, {"create"}).code, 0);
  auto r = RunCli(home_, {"show", "nope"});
  EXPECT_EQ(r.code, 78);
  EXPECT_EQ(r.err, "ERROR: Setting [nope] does not exist in the keystore.\n");
}

TEST_F(KeystoreCliTest, PasswordProtectedKeystore) {
  {
    ScopedKeystorePassword pw("keystore-pass");
    ASSERT_EQ(RunCli(home_, {"create", "-p"}).code, 0);
    ASSERT_EQ(RunCli(home_, {"add", "-x", "a.b"}, "v").code, 0);
    auto has = RunCli(home_, {"has-passwd"});
    EXPECT_EQ(has.code, 0);
    EXPECT_EQ(has.out, "Keystore is password-protected\n");
  }
  auto without = RunCli(home_, {"list"});
  EXPECT_EQ(without.code, 65);
  EXPECT_EQ(without.err, "ERROR: Provided keystore password was incorrect\n");
  {
    ScopedKeystorePassword pw("wrong-pass");
    EXPECT_EQ(RunCli(home_, {"show", "a.b"}).code, 65);
  }
  // The file holds no clear text value or password.
  std::string file = ReadText(home_ + "/config/elasticsearch.keystore");
  EXPECT_THAT(file, Not(HasSubstr("keystore-pass")));
  EXPECT_THAT(file, HasSubstr("\"password_protected\": true"));
}

TEST_F(KeystoreCliTest, HasPasswdFailsForUnprotectedOrMissingKeystore) {
  auto missing = RunCli(home_, {"has-passwd"});
  EXPECT_EQ(missing.code, 1);
  ASSERT_EQ(RunCli(home_, {"create"}).code, 0);
  auto plain = RunCli(home_, {"has-passwd"});
  EXPECT_EQ(plain.code, 1);
  EXPECT_EQ(plain.err, "ERROR: Keystore is not password-protected\n");
}

TEST_F(KeystoreCliTest, UsageErrors) {
  EXPECT_EQ(RunCli(home_, {"frobnicate"}).code, 64);
  EXPECT_THAT(RunCli(home_, {"frobnicate"}).err, HasSubstr("Unknown command [frobnicate]"));
  EXPECT_EQ(RunCli(home_, {"list", "--bogus"}).code, 64);
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(RunKeystoreCli({"list"}, in, out, err), 64);  // no --home
}

TEST(KeystoreFileTest, ValuesAreEncryptedAndBoundToTheirNames) {
  TempDir dir;
  std::string path = dir.path() + "/ks";
  auto ks = self::Keystore::Create(Secret());
  ks.Set("a.b", Secret("value-one-secret"));
  ks.Set("c.d", Secret("value-two-secret"));
  ASSERT_TRUE(ks.Save(path).ok());
  std::string text = ReadText(path);
  EXPECT_THAT(text, Not(HasSubstr("value-one-secret")));
  auto loaded = self::Keystore::Load(path, Secret());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_THAT(loaded->Names(), ElementsAre("a.b", "c.d", "keystore.seed"));
  EXPECT_EQ(loaded->entries().at("c.d").expose(), "value-two-secret");

  // Swapping two ciphertexts is detected (the name is authenticated).
  Result<Value> json = ParseJson(text);
  ASSERT_TRUE(json.ok());
  std::swap((*json)["entries"]["a.b"], (*json)["entries"]["c.d"]);
  WriteText(path, DumpJson(*json));
  EXPECT_EQ(self::Keystore::Load(path, Secret()).status().code(), StatusCode::kPermissionDenied);
  WriteText(path, "not json");
  EXPECT_EQ(self::Keystore::Load(path, Secret()).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(self::Keystore::Load(dir.path() + "/none", Secret()).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace crosslink::sandbox::self
