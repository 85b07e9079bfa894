#include "state/serialize.h"

#include <gtest/gtest.h>

#include "tests/state/test_util.h"

namespace crosslink::state {
namespace {

using testing::Canon;
using testing::MakeResource;

std::shared_ptr<const Cipher> TestCipher(char fill = 'k') {
  return *Cipher::FromKey(std::string(kStateKeySize, fill));
}

State SampleState() {
  State st;
  st.tool_version = "0.1.0";
  st.lineage = "6f1c1c1e-8d5b-4a57-9a3c-0d7a4b1e2f3a";
  st.serial = 7;
  auto key = MakeResource("es_cross_cluster_api_key.logs.analytics", "c2VjcmV0LWtleS12YWx1ZQ==");
  auto setting = MakeResource("es_remote_cluster.analytics.logs", "",
                              {"es_cross_cluster_api_key.logs.analytics"});
  setting.mode = graph::ResourceMode::kCheck;
  auto ca = MakeResource("pki_ca.logs");
  ca.mode = graph::ResourceMode::kData;
  ca.attributes = Value::object();
  for (auto* r : {&key, &setting, &ca}) st.resources.emplace(r->address, *r);
  return st;
}

EncryptionInfo SampleEncryption(const Cipher& c) {
  return EncryptionInfo{std::string(kKdfKeyFile), "", 0, *c.MakeCheck()};
}

TEST(SerializeTest, RoundTripKeepsEverything) {
  auto cipher = TestCipher();
  State st = SampleState();
  EncryptionInfo info = SampleEncryption(*cipher);
  auto text = SerializeState(st, info, cipher.get());
  ASSERT_TRUE(text.ok()) << text.status().ToString();

  auto doc = ParseStateDocument(*text);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto enc = EncryptionFromDocument(*doc);
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE(enc->has_value());
  EXPECT_EQ(**enc, info);
  auto back = StateFromDocument(*doc, cipher.get());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->tool_version, "0.1.0");
  EXPECT_EQ(back->lineage, st.lineage);
  EXPECT_EQ(back->serial, 7u);
  EXPECT_EQ(Canon(*back), Canon(st));
  EXPECT_EQ(back->Find("pki_ca.logs")->mode, graph::ResourceMode::kData);
  EXPECT_EQ(back->Find("es_remote_cluster.analytics.logs")->mode, graph::ResourceMode::kCheck);

  // Serialising what was read gives the same document (ciphertexts aside).
  auto again = SerializeState(*back, **enc, cipher.get());
  ASSERT_TRUE(again.ok());
  auto doc2 = ParseStateDocument(*again);
  ASSERT_TRUE(doc2.ok());
  for (auto* d : {&*doc, &*doc2}) {
    for (auto& r : (*d)["resources"]) r.erase("sensitive_outputs");
  }
  EXPECT_EQ(*doc, *doc2);
}

TEST(SerializeTest, DocumentHasTheDocumentedShape) {
  auto cipher = TestCipher();
  auto doc = StateToJson(SampleState(), SampleEncryption(*cipher), cipher.get());
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["format_version"], 1);
  EXPECT_EQ((*doc)["serial"], 7);
  EXPECT_EQ((*doc)["encryption"]["kdf"], "keyfile");
  ASSERT_EQ((*doc)["resources"].size(), 3u);
  // Sorted by address.
  EXPECT_EQ((*doc)["resources"][0]["address"], "es_cross_cluster_api_key.logs.analytics");
  EXPECT_EQ((*doc)["resources"][1]["address"], "es_remote_cluster.analytics.logs");
  EXPECT_EQ((*doc)["resources"][2]["address"], "pki_ca.logs");
  const Value& key = (*doc)["resources"][0];
  EXPECT_EQ(key["mode"], "managed");
  EXPECT_EQ(key["outputs"]["id"], "id-of-es_cross_cluster_api_key.logs.analytics");
  EXPECT_TRUE(key["sensitive_outputs"]["encoded"].is_string());
  EXPECT_EQ((*doc)["resources"][1]["dependencies"][0], "es_cross_cluster_api_key.logs.analytics");
}

TEST(SerializeTest, SecretNeverAppearsInTheBytes) {
  auto cipher = TestCipher();
  State st = SampleState();
  auto text = SerializeState(st, SampleEncryption(*cipher), cipher.get());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("c2VjcmV0LWtleS12YWx1ZQ=="), std::string::npos);
  EXPECT_EQ(text->find("secret-key-value"), std::string::npos);
}

TEST(SerializeTest, SensitiveOutputsNeedAKey) {
  auto text = SerializeState(SampleState(), std::nullopt, nullptr);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kFailedPrecondition);
}

TEST(SerializeTest, SwappedCiphertextFailsAuthentication) {
  auto cipher = TestCipher();
  State st;
  st.lineage = "l";
  st.resources.emplace("a.one", MakeResource("a.one", "first-secret"));
  st.resources.emplace("a.two", MakeResource("a.two", "second-secret"));
  auto doc = StateToJson(st, SampleEncryption(*cipher), cipher.get());
  ASSERT_TRUE(doc.ok());
  std::swap((*doc)["resources"][0]["sensitive_outputs"]["encoded"],
            (*doc)["resources"][1]["sensitive_outputs"]["encoded"]);
  auto back = StateFromDocument(*doc, cipher.get());
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kCorruption);
  EXPECT_NE(back.status().message().find("failed authentication"), std::string::npos);
  EXPECT_NE(back.status().message().find("a.one"), std::string::npos);
}

TEST(SerializeTest, NewerFormatVersionAsksForAnUpgrade) {
  auto doc = ParseStateDocument(
      R"({"format_version": 2, "tool_version": "9.0.0", "lineage": "x", "serial": 1, "resources": []})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(doc.status().message().find("format_version 2"), std::string::npos);
  EXPECT_NE(doc.status().message().find("crosslink 9.0.0"), std::string::npos);
  EXPECT_NE(doc.status().message().find("upgrade crosslink"), std::string::npos);
}

TEST(SerializeTest, DamagedDocumentsAreCorruptionNamingTheField) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"not json", "not a state file"},
      {"[]", "top level is not an object"},
      {R"({"lineage": "x"})", "format_version"},
      {R"({"format_version": 0})", "unknown format_version 0"},
      {R"({"format_version": 1, "serial": -1})", "serial"},
      {R"({"format_version": 1, "resources": {}})", "\"resources\" must be an array"},
      {R"({"format_version": 1, "resources": [{"type": "t"}]})", "\"address\" is missing"},
      {R"({"format_version": 1, "resources": [{"address": "a.b", "type": 3}]})",
       "\"type\" must be a string"},
      {R"({"format_version": 1, "resources": [{"address": "a.b", "type": "a", "mode": "odd"}]})",
       "unknown mode \"odd\""},
      {R"({"format_version": 1, "resources": [{"address": "a.b", "type": "a", "dependencies": [1]}]})",
       "dependencies"},
      {R"({"format_version": 1, "resources": [{"address": "a.b", "type": "a"}, {"address": "a.b", "type": "a"}]})",
       "appears twice"},
      {R"({"format_version": 1, "resources": [{"address": "a.b", "type": "a", "sensitive_outputs": {"k": "AAAA"}}]})",
       "no encryption block"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto doc = ParseStateDocument(c.text);
    Status s = doc.status();
    if (doc.ok()) {
      auto st = StateFromDocument(*doc, nullptr);
      ASSERT_FALSE(st.ok());
      s = st.status();
    }
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << s.message();
  }
}

TEST(SerializeTest, EncryptionBlockRoundTripAndValidation) {
  EncryptionInfo pass{std::string(kKdfPassphrase), "c2FsdHNhbHRzYWx0c2FsdA==", 600000, "Y2hlY2s="};
  auto back = EncryptionFromJson(EncryptionToJson(pass));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, pass);
  Value missing_salt = {{"kdf", "pbkdf2-sha512"}, {"iterations", 600000}, {"check", "x"}};
  EXPECT_EQ(EncryptionFromJson(missing_salt).status().code(), StatusCode::kCorruption);
  Value bad_iterations = {
      {"kdf", "pbkdf2-sha512"}, {"salt", "x"}, {"iterations", "many"}, {"check", "x"}};
  EXPECT_EQ(EncryptionFromJson(bad_iterations).status().code(), StatusCode::kCorruption);
}

TEST(SerializeTest, ModeNames) {
  for (auto m :
       {graph::ResourceMode::kManaged, graph::ResourceMode::kData, graph::ResourceMode::kCheck}) {
    EXPECT_EQ(ParseMode(ModeName(m)), m);
  }
  EXPECT_EQ(ModeName(graph::ResourceMode::kData), "data");
  EXPECT_FALSE(ParseMode("Managed").has_value());
}

TEST(StateTest, FindAndLineage) {
  State st = SampleState();
  ASSERT_NE(st.Find("pki_ca.logs"), nullptr);
  EXPECT_EQ(st.Find("pki_ca.logs")->type, "pki_ca");
  EXPECT_EQ(st.Find("pki_ca.nope"), nullptr);

  std::string a = NewLineage(), b = NewLineage();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '4');                                          // version 4
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);  // RFC 4122 variant
}

}  // namespace
}  // namespace crosslink::state
