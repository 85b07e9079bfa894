#include "state/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "tests/fakes/mem_filesystem.h"
#include "tests/state/test_util.h"

namespace crosslink::state {
namespace {

using fakes::MemFileSystem;

std::shared_ptr<const Cipher> KeyOf(char fill) {
  return *Cipher::FromKey(std::string(kStateKeySize, fill));
}

TEST(CipherTest, RoundTripWithFreshNonces) {
  auto c = KeyOf('a');
  auto one = c->Encrypt("top-secret-value", "aad");
  auto two = c->Encrypt("top-secret-value", "aad");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_NE(*one, *two);  // a new nonce per value
  EXPECT_EQ(one->find("top-secret-value"), std::string::npos);
  auto back = c->Decrypt(*one, "aad");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "top-secret-value");
  auto empty = c->Encrypt("", "aad");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*c->Decrypt(*empty, "aad"), "");
}

TEST(CipherTest, KeyMustBe32Bytes) {
  EXPECT_EQ(Cipher::FromKey("short").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Cipher::FromKey(std::string(32, 'x')).ok());
}

TEST(CipherTest, TamperWrongAadAndWrongKeyAreCorruption) {
  auto c = KeyOf('a');
  std::string sealed = *c->Encrypt("top-secret-value", SensitiveOutputAad("k.a", "encoded"));
  // Flip one character of the ciphertext part (after the nonce's 16 base64 chars).
  std::string tampered = sealed;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  for (const auto& [text, aad, cipher] :
       {std::tuple{tampered, SensitiveOutputAad("k.a", "encoded"), c},
        std::tuple{sealed, SensitiveOutputAad("k.b", "encoded"), c},  // moved to another resource
        std::tuple{sealed, SensitiveOutputAad("k.a", "other"), c},    // moved to another output
        std::tuple{sealed, SensitiveOutputAad("k.a", "encoded"), KeyOf('b')},
        std::tuple{std::string("!!not base64!!"), SensitiveOutputAad("k.a", "encoded"), c},
        std::tuple{std::string("AAAA"), SensitiveOutputAad("k.a", "encoded"), c}}) {
    auto r = cipher->Decrypt(text, aad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

TEST(CipherTest, KeyCheck) {
  auto c = KeyOf('a');
  std::string check = *c->MakeCheck();
  EXPECT_TRUE(c->MatchesCheck(check));
  EXPECT_FALSE(KeyOf('b')->MatchesCheck(check));
  EXPECT_FALSE(c->MatchesCheck("garbage"));
}

TEST(KeyProviderTest, KeyFileIsCreated0600OnFirstUseAndReused) {
  MemFileSystem fs;
  KeyOptions opts;
  opts.key_file = "/home/test/.config/crosslink/state.key";
  KeyProvider keys(&fs, opts);
  auto created = keys.Create();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->info.kdf, "keyfile");
  EXPECT_TRUE(created->info.salt.empty());
  EXPECT_EQ(*fs.FileMode(opts.key_file), 0600u);
  EXPECT_EQ(*fs.FileMode("/home/test/.config/crosslink"), 0700u);
  EXPECT_EQ(fs.Get(opts.key_file)->size(), 45u);  // base64 of 32 bytes + newline

  // A second provider (another run) opens the same key.
  KeyProvider again(&fs, opts);
  auto opened = again.Open(created->info);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::string sealed = *created->cipher->Encrypt("value-123", "aad");
  EXPECT_EQ(*(*opened)->Decrypt(sealed, "aad"), "value-123");
  // Create() with an existing key file reuses it rather than replacing it.
  auto second = again.Create();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->cipher->Decrypt(sealed, "aad"), "value-123");
}

TEST(KeyProviderTest, RawThirtyTwoByteKeyFileIsAccepted) {
  MemFileSystem fs;
  fs.SetFile("/keys/raw.key", std::string(32, '\x07'), 0600);
  KeyProvider keys(&fs, KeyOptions{std::nullopt, "/keys/raw.key"});
  auto k = keys.Create();
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_TRUE(KeyOf('\x07')->MatchesCheck(k->info.check));
}

TEST(KeyProviderTest, WrongKeyFileIsAClearError) {
  MemFileSystem fs;
  KeyOptions opts{std::nullopt, "/keys/state.key"};
  auto info = KeyProvider(&fs, opts).Create()->info;
  fs.Remove("/keys/state.key");
  fs.SetFile("/keys/state.key", std::string(32, 'z'), 0600);  // someone else's key
  auto opened = KeyProvider(&fs, opts).Open(info);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find(
                "the state key does not match the one this state was encrypted with"),
            std::string::npos);
  EXPECT_NE(opened.status().message().find("CROSSLINK_STATE_KEY_FILE"), std::string::npos);
}

TEST(KeyProviderTest, MissingKeyFileForAnEncryptedStateIsNotRecreated) {
  MemFileSystem fs;
  KeyOptions opts{std::nullopt, "/keys/state.key"};
  auto info = KeyProvider(&fs, opts).Create()->info;
  fs.Remove("/keys/state.key");
  auto opened = KeyProvider(&fs, opts).Open(info);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("does not exist"), std::string::npos);
  EXPECT_FALSE(fs.Exists("/keys/state.key"));
}

TEST(KeyProviderTest, GarbageKeyFileIsRefused) {
  MemFileSystem fs;
  fs.SetFile("/keys/state.key", "hello\n", 0600);
  auto k = KeyProvider(&fs, KeyOptions{std::nullopt, "/keys/state.key"}).Create();
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kCorruption);
  EXPECT_NE(k.status().message().find("not a crosslink state key"), std::string::npos);
}

TEST(KeyProviderTest, PassphraseStateWithoutPassphraseSaysWhatToSet) {
  MemFileSystem fs;
  EncryptionInfo info{std::string(kKdfPassphrase), "c2FsdHNhbHRzYWx0c2FsdA==", kPbkdf2Iterations,
                      "x"};
  auto opened = KeyProvider(&fs, KeyOptions{std::nullopt, "/keys/state.key"}).Open(info);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("set CROSSLINK_STATE_KEY"), std::string::npos);
}

TEST(KeyProviderTest, TooFewIterationsOrUnknownKdfIsCorruption) {
  MemFileSystem fs;
  KeyProvider keys(&fs, KeyOptions{Secret("passphrase-1"), "/keys/state.key"});
  EncryptionInfo weak{std::string(kKdfPassphrase), "c2FsdHNhbHRzYWx0c2FsdA==", 1000, "x"};
  EXPECT_EQ(keys.Open(weak).status().code(), StatusCode::kCorruption);
  EncryptionInfo odd{"rot13", "", 0, "x"};
  EXPECT_EQ(keys.Open(odd).status().code(), StatusCode::kCorruption);
}

// The real passphrase path: PBKDF2-HMAC-SHA512 with 600,000 rounds.
TEST(KeyProviderTest, PassphraseDerivesTheKeyAndDetectsAWrongOne) {
  MemFileSystem fs;
  KeyOptions opts{Secret("correct horse battery staple"), "/keys/unused.key"};
  auto created = KeyProvider(&fs, opts).Create();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->info.kdf, "pbkdf2-sha512");
  EXPECT_EQ(created->info.iterations, 600000);
  EXPECT_EQ(created->info.salt.size(), 24u);  // base64 of 16 bytes
  EXPECT_FALSE(fs.Exists("/keys/unused.key"));
  std::string sealed = *created->cipher->Encrypt("api-key-value", "aad");

  // Same passphrase in another provider: same key (served from the cache).
  auto opened = KeyProvider(&fs, opts).Open(created->info);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->get(), created->cipher.get());
  EXPECT_EQ(*(*opened)->Decrypt(sealed, "aad"), "api-key-value");

  auto wrong = KeyProvider(&fs, KeyOptions{Secret("incorrect horse"), ""}).Open(created->info);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find(
                "the state key does not match the one this state was encrypted with"),
            std::string::npos);
  EXPECT_NE(wrong.status().message().find("set CROSSLINK_STATE_KEY to that passphrase"),
            std::string::npos);
  EXPECT_EQ(wrong.status().message().find("incorrect horse"), std::string::npos);
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(KeyOptionsTest, FromEnvironment) {
  EnvGuard a("CROSSLINK_STATE_KEY"), b("CROSSLINK_STATE_KEY_FILE"), c("XDG_CONFIG_HOME"), d("HOME");
  ::unsetenv("CROSSLINK_STATE_KEY");
  ::unsetenv("CROSSLINK_STATE_KEY_FILE");
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/home/alice", 1);
  auto o = KeyOptions::FromEnvironment();
  EXPECT_FALSE(o.passphrase.has_value());
  EXPECT_EQ(o.key_file, "/home/alice/.config/crosslink/state.key");
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  EXPECT_EQ(KeyOptions::FromEnvironment().key_file, "/xdg/crosslink/state.key");
  ::setenv("CROSSLINK_STATE_KEY_FILE", "/etc/crosslink.key", 1);
  ::setenv("CROSSLINK_STATE_KEY", "pass-phrase", 1);
  o = KeyOptions::FromEnvironment();
  EXPECT_EQ(o.key_file, "/etc/crosslink.key");
  ASSERT_TRUE(o.passphrase.has_value());
  EXPECT_EQ(o.passphrase->expose(), "pass-phrase");
}

// The real file system: modes as the kernel reports them.
TEST(KeyProviderRealFsTest, KeyFileCreated0600AndRefusedWhen0644) {
  testing::TempDir dir;
  auto fs = NewPosixFileSystem();
  KeyOptions opts{std::nullopt, dir / "config/crosslink/state.key"};
  auto created = KeyProvider(fs.get(), opts).Create();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(opts.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((dir / "config/crosslink").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);

  ASSERT_EQ(::chmod(opts.key_file.c_str(), 0644), 0);
  auto opened = KeyProvider(fs.get(), opts).Open(created->info);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("chmod 600 " + opts.key_file), std::string::npos);
  EXPECT_NE(opened.status().message().find("0644"), std::string::npos);

  ASSERT_EQ(::chmod(opts.key_file.c_str(), 0600), 0);
  EXPECT_TRUE(KeyProvider(fs.get(), opts).Open(created->info).ok());
}

}  // namespace
}  // namespace crosslink::state
