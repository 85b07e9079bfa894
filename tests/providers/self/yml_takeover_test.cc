// Take-over of settings outside crosslink's managed block: disabling the
// user's own lines (kDisabledPrefix) and re-enabling them byte for byte.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "providers/self/yml_block.h"

namespace crosslink::providers::self {
namespace {

using ::testing::HasSubstr;

constexpr const char* kCas = "xpack.security.transport.ssl.certificate_authorities";
constexpr const char* kTruststore = "xpack.security.transport.ssl.truststore.path";

// The sandbox's auto-configured ES 8 file (sandbox/self/install.cc WriteInstall).
const std::string kAutoConfigured =
    "# ======================== Elasticsearch Configuration =========================\n"
    "cluster.name: onprem\n"
    "node.name: node-0\n"
    "network.host: 127.0.0.1\n"
    "http.port: 9200\n"
    "transport.port: 9300\n"
    "\n"
    "#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n"
    "# Enable security features\n"
    "xpack.security.enabled: true\n"
    "xpack.security.enrollment.enabled: true\n"
    "\n"
    "# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents\n"
    "xpack.security.http.ssl:\n"
    "  enabled: true\n"
    "  keystore.path: certs/http.p12\n"
    "\n"
    "# Enable encryption and mutual authentication between cluster nodes\n"
    "xpack.security.transport.ssl:\n"
    "  enabled: true\n"
    "  verification_mode: certificate\n"
    "  keystore.path: certs/transport.p12\n"
    "  truststore.path: certs/transport.p12\n"
    "cluster.initial_master_nodes: [\"node-0\"]\n"
    "#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n";

const ManagedSettings kTrust = {{kCas, Value::array({"crosslink/transport-ca.crt"})}};

YmlFile MustParse(const std::string& text) {
  Result<YmlFile> y = YmlFile::Parse("es.yml", text);
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return y.ok() ? *y : *YmlFile::Parse("empty", "");
}

std::string MustSet(const std::string& text, const ManagedSettings& s,
                    const std::vector<std::string>& take_over) {
  Result<std::string> out = MustParse(text).WithSettings(s, take_over);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

// Flat key -> number of times YAML (as Elasticsearch reads it) sets it.
std::map<std::string, int> KeysAsRead(const std::string& text) {
  std::map<std::string, int> out;
  YAML::Node root = YAML::Load(text);  // throws (fails the test) when invalid
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n,
                                                                        const std::string& p) {
    for (const auto& kv : n) {
      std::string key = p.empty() ? kv.first.Scalar() : p + "." + kv.first.Scalar();
      if (kv.second.IsMap()) {
        walk(kv.second, key);
      } else {
        ++out[key];
      }
    }
  };
  if (root.IsMap()) walk(root, "");
  return out;
}

const OutsideSetting* Find(const YmlFile& y, const std::string& key) {
  for (const OutsideSetting& o : y.outside()) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

TEST(YmlTakeOver, AutoConfiguredTruststoreIsDisabledAndComesBackByteForByte) {
  ASSERT_FALSE(MustParse(kAutoConfigured).Conflicts(kTrust).empty());
  std::string with = MustSet(kAutoConfigured, kTrust, {kTruststore});
  EXPECT_THAT(with, HasSubstr("\n#crosslink-disabled#   truststore.path: certs/transport.p12\n"
                              "cluster.initial_master_nodes"));
  // Only that line: the parent and its other children stay.
  EXPECT_THAT(with, HasSubstr("xpack.security.transport.ssl:\n  enabled: true\n"));
  EXPECT_THAT(with, HasSubstr("  keystore.path: certs/transport.p12\n#crosslink-disabled# "));
  std::map<std::string, int> keys = KeysAsRead(with);
  EXPECT_EQ(keys.count(kTruststore), 0u);
  EXPECT_EQ(keys[kCas], 1);
  EXPECT_EQ(keys["xpack.security.transport.ssl.keystore.path"], 1);
  EXPECT_EQ(keys["cluster.initial_master_nodes"], 1);

  YmlFile parsed = MustParse(with);
  const OutsideSetting* t = Find(parsed, kTruststore);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->disabled);
  EXPECT_EQ(t->value, "certs/transport.p12");
  EXPECT_EQ(t->line, 23);
  const OutsideSetting* ks = Find(parsed, "xpack.security.transport.ssl.keystore.path");
  ASSERT_NE(ks, nullptr);
  EXPECT_FALSE(ks->disabled);
  EXPECT_TRUE(parsed.Conflicts(kTrust).empty());

  // Stable, and removal re-enables: the original bytes.
  EXPECT_EQ(MustSet(with, kTrust, {kTruststore}), with);
  EXPECT_EQ(MustSet(with, {}, {}), kAutoConfigured);
  EXPECT_EQ(parsed.WithoutBlock(), kAutoConfigured);
}

TEST(YmlTakeOver, ValuesAreParsedWithYaml) {
  YmlFile y = MustParse(
      "a.s: hello\n"
      "a.q: \"9300\"\n"
      "a.b: true\n"
      "a.n: 9300\n"
      "a.l: [\"x\", y]\n"
      "a.seq:\n"
      "  - one\n"
      "  - 2\n"
      "a.null:\n");
  EXPECT_EQ(Find(y, "a.s")->value, "hello");
  EXPECT_EQ(Find(y, "a.q")->value, "9300");
  EXPECT_EQ(Find(y, "a.b")->value, true);
  EXPECT_EQ(Find(y, "a.n")->value, 9300);
  EXPECT_EQ(Find(y, "a.l")->value, Value::array({"x", "y"}));
  EXPECT_EQ(Find(y, "a.seq")->value, Value::array({"one", 2}));
  EXPECT_TRUE(Find(y, "a.null")->value.is_null());
}

TEST(YmlTakeOver, FlatKeysBlockSequencesAndMultiLineFlowLists) {
  const std::string original =
      "cluster.name: x\n"
      "xpack.security.transport.ssl.certificate_authorities:\n"
      "- certs/a.crt\n"
      "  # a comment inside\n"
      "- certs/b.crt\n"
      "\n"
      "# a comment after: not part of the setting\n"
      "xpack.security.transport.ssl.truststore.type: [\"PKCS12\",\n"
      "   \"x\"]\n"
      "xpack.security.transport.ssl.truststore.path: \"certs/with # hash\n"
      "  and more\"\n"
      "node.name: n\n";
  const std::vector<std::string> take = {kCas, kTruststore,
                                         "xpack.security.transport.ssl.truststore.type"};
  std::string with = MustSet(original, kTrust, take);
  EXPECT_EQ(with.substr(0, with.find("# BEGIN")),
            "cluster.name: x\n"
            "#crosslink-disabled# xpack.security.transport.ssl.certificate_authorities:\n"
            "#crosslink-disabled# - certs/a.crt\n"
            "#crosslink-disabled#   # a comment inside\n"
            "#crosslink-disabled# - certs/b.crt\n"
            "\n"
            "# a comment after: not part of the setting\n"
            "#crosslink-disabled# xpack.security.transport.ssl.truststore.type: [\"PKCS12\",\n"
            "#crosslink-disabled#    \"x\"]\n"
            "#crosslink-disabled# xpack.security.transport.ssl.truststore.path: \"certs/with "
            "# hash\n"
            "#crosslink-disabled#   and more\"\n"
            "node.name: n\n");
  std::map<std::string, int> keys = KeysAsRead(with);
  EXPECT_EQ(keys[kCas], 1);  // only the block's
  EXPECT_EQ(keys.count(kTruststore), 0u);
  EXPECT_EQ(keys["node.name"], 1);
  YmlFile parsed = MustParse(with);
  EXPECT_EQ(Find(parsed, kCas)->value, Value::array({"certs/a.crt", "certs/b.crt"}));
  EXPECT_TRUE(Find(parsed, kCas)->disabled);
  EXPECT_EQ(Find(parsed, kTruststore)->value, "certs/with # hash and more");
  EXPECT_EQ(MustSet(with, {}, {}), original);
}

TEST(YmlTakeOver, ReEnablesWhatIsNoLongerTakenOverAndKeepsTheRest) {
  const std::string original =
      "xpack.security.transport.ssl:\n"
      "  truststore.path: certs/t.p12\n"
      "  truststore.type: PKCS12\n";
  std::string both =
      MustSet(original, kTrust, {kTruststore, "xpack.security.transport.ssl.truststore.type"});
  // Both children disabled: the parent is an empty mapping, which YAML reads
  // as null and which is no clash with the block's nested key.
  EXPECT_EQ(KeysAsRead(both).count(kTruststore), 0u);
  std::string one = MustSet(both, kTrust, {kTruststore});
  EXPECT_THAT(one, HasSubstr("#crosslink-disabled#   truststore.path: certs/t.p12\n"
                             "  truststore.type: PKCS12\n"));
  // Block removed but the take-over kept when asked.
  std::string kept = MustSet(one, {}, {kTruststore});
  EXPECT_EQ(kept.find("# BEGIN"), std::string::npos);
  EXPECT_THAT(kept, HasSubstr("#crosslink-disabled#   truststore.path"));
  EXPECT_EQ(MustSet(kept, {}, {}), original);
}

TEST(YmlTakeOver, CrlfFileKeepsItsLineEndings) {
  const std::string original =
      "cluster.name: x\r\n"
      "xpack.security.transport.ssl:\r\n"
      "  enabled: true\r\n"
      "  truststore.path: certs/t.p12\r\n"
      "node.name: n\r\n";
  std::string with = MustSet(original, kTrust, {kTruststore});
  EXPECT_THAT(with, HasSubstr("\r\n#crosslink-disabled#   truststore.path: certs/t.p12\r\nnode"));
  EXPECT_THAT(with, HasSubstr("# END crosslink managed block\r\n"));
  EXPECT_EQ(MustSet(with, {}, {}), original);
  EXPECT_EQ(MustParse(with).WithoutBlock(), original);
}

TEST(YmlTakeOver, HandReEnabledLineIsAConflictAgain) {
  std::string with = MustSet(kAutoConfigured, kTrust, {kTruststore});
  std::string edited = with;
  size_t at = edited.find("#crosslink-disabled# ");
  edited.erase(at, std::string("#crosslink-disabled# ").size());
  YmlFile y = MustParse(edited);
  EXPECT_FALSE(Find(y, kTruststore)->disabled);
  std::vector<std::string> conflicts = y.Conflicts(kTrust);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_THAT(conflicts[0], HasSubstr("es.yml:23: `" + std::string(kTruststore)));
  Result<std::string> refused = y.WithSettings(kTrust);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  // Taking it over again disables it again: the same bytes as before.
  EXPECT_EQ(MustSet(edited, kTrust, {kTruststore}), with);
}

TEST(YmlTakeOver, SettingInsideAFlowMappingCannotBeTakenOver) {
  Result<std::string> out = MustParse(
                                "xpack.security.transport.ssl: {truststore.path: t.p12, "
                                "enabled: true}\n")
                                .WithSettings(kTrust, {kTruststore});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(out.status().message(),
              HasSubstr("es.yml:1: crosslink must disable `" + std::string(kTruststore) + "`"));
  EXPECT_THAT(out.status().message(), HasSubstr("flow mapping"));
}

TEST(YmlTakeOver, AbsentKeysAreIgnoredAndOthersAreUntouched) {
  const std::string original = "cluster.name: x\n# truststore.path: a comment\n";
  std::string with = MustSet(original, kTrust, {kTruststore});
  EXPECT_EQ(with.substr(0, original.size()), original);
  EXPECT_EQ(MustSet(with, {}, {}), original);
}

TEST(YmlTakeOver, BrokenDisabledLinesAreAnErrorNamingThePrefix) {
  Result<YmlFile> y = YmlFile::Parse("es.yml",
                                     "a: 1\n"
                                     "#crosslink-disabled# b: [1,\n"
                                     "c: 2\n");
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(y.status().message(), HasSubstr("#crosslink-disabled#"));
}

// More shapes of the user's setting: each disabled alone, kept by later
// edits of the block, and given back byte for byte.
TEST(YmlTakeOver, OtherShapesRoundTripByteForByte) {
  const std::vector<std::string> files = {
      // deep nesting
      "xpack:\n  security:\n    transport:\n      ssl:\n        truststore.path: certs/t.p12\n"
      "        keystore.path: certs/t.p12\n",
      // value on its own line
      "xpack.security.transport.ssl.truststore.path:\n  certs/t.p12\nother: 1\n",
      // last line without newline
      "xpack.security.transport.ssl:\n  keystore.path: k.p12\n  truststore.path: certs/t.p12",
      // block scalar
      "xpack.security.transport.ssl.truststore.path: >-\n  certs/\n  t.p12\nnext: 2\n",
      // comment between and trailing comments
      "xpack.security.transport.ssl:\n  # the truststore\n  truststore.path: certs/t.p12 # x\n"
      "  # end\n  keystore.path: k.p12\n",
  };
  for (const std::string& f : files) {
    std::string with = MustSet(f, kTrust, {kTruststore});
    EXPECT_EQ(KeysAsRead(with).count(kTruststore), 0u) << with;
    EXPECT_EQ(KeysAsRead(with)[kCas], 1) << with;
    EXPECT_EQ(MustSet(with, kTrust, {kTruststore}), with) << with;
    EXPECT_EQ(MustSet(with, {}, {}), f) << with;
    EXPECT_EQ(MustParse(with).WithoutBlock(), f) << with;
    // other managed settings added later keep the take-over
    ManagedSettings more = kTrust;
    more["remote_cluster_server.enabled"] = true;
    std::string later = MustSet(with, more, {kTruststore});
    EXPECT_EQ(MustSet(later, {}, {}), f) << later;
  }
}

}  // namespace
}  // namespace crosslink::providers::self
