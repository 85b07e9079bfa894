// Secret references: parsing ${env:...}/${file:...} and resolving them,
// without ever putting a value into a message.
#include "engine/topology/secret_ref.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "tests/fakes/mem_filesystem.h"

namespace crosslink::topology {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseSecretRefTest, RecognisesTheTwoReferenceForms) {
  Result<SecretRef> env = ParseSecretRef("${env:EC_API_KEY}");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(env->name, "EC_API_KEY");
  EXPECT_EQ(env->Describe(), "${env:EC_API_KEY}");

  Result<SecretRef> file = ParseSecretRef("${file:./secrets/pw}");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->kind, SecretRef::Kind::kFile);
  EXPECT_EQ(file->name, "./secrets/pw");
  EXPECT_EQ(file->Describe(), "${file:./secrets/pw}");
}

TEST(ParseSecretRefTest, AnythingElseIsInline) {
  Result<SecretRef> ref = ParseSecretRef("hunter2-$not-a-ref");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->kind, SecretRef::Kind::kInline);
  EXPECT_EQ(ref->inline_value, "hunter2-$not-a-ref");
  EXPECT_EQ(ref->Describe(), "(inline)");
  EXPECT_FALSE(SecretRef().present());
}

TEST(ParseSecretRefTest, MalformedReferencesAreErrorsWithoutTheText) {
  for (const char* text : {"${env:}", "${env:1ABC}", "${env:MY VAR}", "${file:}", "${vault:x}",
                           "${env:X", "${}", "${s3cr3tvalue-that-is-long}"}) {
    Result<SecretRef> ref = ParseSecretRef(text);
    ASSERT_FALSE(ref.ok()) << text;
    EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(ref.status().message(), HasSubstr("${")) << "says which form is expected";
    EXPECT_THAT(ref.status().message(), Not(HasSubstr("s3cr3tvalue"))) << text;
  }
  EXPECT_EQ(ParseSecretRef("${vault:x}").status().message(),
            "unknown secret reference kind \"vault\"; use ${env:NAME} or ${file:path}");
}

class ResolveSecretTest : public ::testing::Test {
 protected:
  SecretRef Ref(SecretRef::Kind kind, const std::string& name) {
    SecretRef ref;
    ref.kind = kind;
    ref.name = name;
    ref.field = "clusters.a.credentials.password";
    return ref;
  }
  std::function<const char*(const char*)> Env() {
    return [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
  }
  fakes::MemFileSystem fs_;
  std::map<std::string, std::string> env_;
};

TEST_F(ResolveSecretTest, EnvironmentVariable) {
  env_["ES_PW"] = "pa55word-from-env";
  Result<Secret> s = ResolveSecret(Ref(SecretRef::Kind::kEnv, "ES_PW"), ".", fs_, Env());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expose(), "pa55word-from-env");
}

TEST_F(ResolveSecretTest, UnsetVariableNamesTheVariableAndTheField) {
  Result<Secret> s = ResolveSecret(Ref(SecretRef::Kind::kEnv, "ES_PW"), ".", fs_, Env());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(),
            "environment variable ES_PW is not set (needed by clusters.a.credentials.password)");
}

TEST_F(ResolveSecretTest, EmptyVariableIsAnError) {
  env_["ES_PW"] = "";
  Result<Secret> s = ResolveSecret(Ref(SecretRef::Kind::kEnv, "ES_PW"), ".", fs_, Env());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("ES_PW is empty"));
}

TEST_F(ResolveSecretTest, FileIsRelativeToTheTopologyDirectoryWithoutItsTrailingNewline) {
  fs_.SetFile("/etc/crosslink/secrets/pw", "file-secret-value\n");
  Result<Secret> s =
      ResolveSecret(Ref(SecretRef::Kind::kFile, "./secrets/pw"), "/etc/crosslink", fs_, Env());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->expose(), "file-secret-value");

  fs_.SetFile("/etc/crosslink/crlf", "windows-value\r\n");
  s = ResolveSecret(Ref(SecretRef::Kind::kFile, "crlf"), "/etc/crosslink", fs_, Env());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expose(), "windows-value");

  fs_.SetFile("/etc/crosslink/two-lines", "line1\nline2\n\n");
  s = ResolveSecret(Ref(SecretRef::Kind::kFile, "two-lines"), "/etc/crosslink", fs_, Env());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expose(), "line1\nline2\n") << "only one trailing newline is removed";
}

TEST_F(ResolveSecretTest, AbsoluteAndHomePathsAreKept) {
  fs_.SetFile("/run/secrets/pw", "abs-value");
  fs_.SetFile("~/pw", "home-value");
  EXPECT_EQ(
      ResolveSecret(Ref(SecretRef::Kind::kFile, "/run/secrets/pw"), "conf", fs_, Env())->expose(),
      "abs-value");
  EXPECT_EQ(ResolveSecret(Ref(SecretRef::Kind::kFile, "~/pw"), "conf", fs_, Env())->expose(),
            "home-value");
}

TEST_F(ResolveSecretTest, MissingOrEmptyFileIsAnErrorWithoutTheValue) {
  Result<Secret> s = ResolveSecret(Ref(SecretRef::Kind::kFile, "pw"), "conf", fs_, Env());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("cannot read secret file conf/pw"));
  EXPECT_THAT(s.status().message(), HasSubstr("clusters.a.credentials.password"));

  fs_.SetFile("conf/empty", "\n");
  s = ResolveSecret(Ref(SecretRef::Kind::kFile, "empty"), "conf", fs_, Env());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("secret file conf/empty is empty"));
}

TEST_F(ResolveSecretTest, InlineAndNone) {
  SecretRef inline_ref;
  inline_ref.kind = SecretRef::Kind::kInline;
  inline_ref.inline_value = "inline-value";
  EXPECT_EQ(ResolveSecret(inline_ref, ".", fs_, Env())->expose(), "inline-value");
  Result<Secret> none = ResolveSecret(SecretRef(), ".", fs_, Env());
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no secret configured"));
}

TEST(TopologyPathTest, DirectoriesAndRelativePaths) {
  EXPECT_EQ(TopologyDirectory("topo.yaml"), ".");
  EXPECT_EQ(TopologyDirectory("conf/topo.yaml"), "conf");
  EXPECT_EQ(TopologyDirectory("/topo.yaml"), "/");
  EXPECT_EQ(ResolveTopologyPath(".", "./ca.pem"), "ca.pem");
  EXPECT_EQ(ResolveTopologyPath("conf", "./ca.pem"), "conf/ca.pem");
  EXPECT_EQ(ResolveTopologyPath("/", "ca.pem"), "/ca.pem");
  EXPECT_EQ(ResolveTopologyPath("conf", "/abs/ca.pem"), "/abs/ca.pem");
  EXPECT_EQ(ResolveTopologyPath("conf", "~/.kube/config"), "~/.kube/config");
  EXPECT_EQ(ResolveTopologyPath("conf", ""), "");
}

}  // namespace
}  // namespace crosslink::topology
