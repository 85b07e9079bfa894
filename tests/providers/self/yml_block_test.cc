// crosslink's managed block in elasticsearch.yml: byte preservation, removal
// back to the original bytes, drift, conflicts, malformed input.

#include "providers/self/yml_block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace crosslink::providers::self {
namespace {

using ::testing::HasSubstr;

const ManagedSettings kRcs = {
    {"remote_cluster_server.enabled", true},
    {"remote_cluster.port", 9443},
    {"remote_cluster.host", "0.0.0.0"},
    {"xpack.security.remote_cluster_server.ssl.keystore.path", "crosslink/rcs.p12"},
    {"xpack.security.remote_cluster_client.ssl.certificate_authorities",
     Value::array({"crosslink/a.crt", "crosslink/b.crt"})},
};

YmlFile MustParse(const std::string& text, const std::string& file = "es.yml") {
  Result<YmlFile> y = YmlFile::Parse(file, text);
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return y.ok() ? *y : *YmlFile::Parse("empty", "");
}

std::string MustSet(const std::string& text, const ManagedSettings& s) {
  Result<std::string> out = MustParse(text).WithSettings(s);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

// Adding then removing the block gives the original bytes back, and the
// block reads back as written, for many odd inputs.
class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, AddThenRemoveIsOriginalBytes) {
  const std::string original = GetParam();
  std::string with = MustSet(original, kRcs);
  ASSERT_NE(with, original);
  EXPECT_EQ(with.substr(0, original.size()), original) << "the text before the block changed";
  YmlFile parsed = MustParse(with);
  ASSERT_TRUE(parsed.block().has_value());
  EXPECT_FALSE(parsed.block()->hand_edited());
  EXPECT_EQ(parsed.block()->settings, kRcs);
  EXPECT_EQ(parsed.WithoutBlock(), original);
  // Setting again is stable, and an empty settings map removes the block.
  EXPECT_EQ(MustSet(with, kRcs), with);
  EXPECT_EQ(MustSet(with, {}), original);
}

INSTANTIATE_TEST_SUITE_P(
    OddInputs, RoundTrip,
    ::testing::Values(
        "",                                         // empty file
        "cluster.name: logs\n",                     // LF
        "cluster.name: logs",                       // no final line break
        "cluster.name: logs\r\nnode.name: n1\r\n",  // CRLF
        "cluster.name: logs\r\nnode.name: n1",      // CRLF, no final break
        "# only a comment\n", "# comment without newline",
        "\n\n\n",  // blank lines
        "cluster.name: \"l\xC3\xB6gs \xE2\x9C\x93\" # \xF0\x9F\x98\x80 unicode\n",
        "a: 1\na: 2\n",  // duplicate keys outside
        "xpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n",
        "path:\n  data: [/a, /b]\n# trailing comment   \n   \n", "k: v\n\n# end\n",
        "# BEGIN something else\nk: v\n",  // a look-alike comment
        "key: |\n  multi\n  line\n",
        "\xEF\xBB\xBF"
        "cluster.name: bom\n",       // UTF-8 byte order mark
        "---\ncluster.name: doc\n",  // document start marker
        "a: 1\r\nb: 2\n",            // mixed line endings
        "a: 1\r\n"
        "\r\n"
        "b: 2"));  // CRLF blank line, no final break

TEST(YmlBlock, RendersSortedFlatSettingsWithChecksum) {
  std::string block = RenderBlock(kRcs);
  EXPECT_EQ(block,
            std::string(kBlockBegin) + "\n# crosslink: sha256=" +
                Sha256Hex("remote_cluster.host: \"0.0.0.0\"\n"
                          "remote_cluster.port: 9443\n"
                          "remote_cluster_server.enabled: true\n"
                          "xpack.security.remote_cluster_client.ssl.certificate_authorities: "
                          "[\"crosslink/a.crt\", \"crosslink/b.crt\"]\n"
                          "xpack.security.remote_cluster_server.ssl.keystore.path: "
                          "\"crosslink/rcs.p12\"") +
                "\n"
                "remote_cluster.host: \"0.0.0.0\"\n"
                "remote_cluster.port: 9443\n"
                "remote_cluster_server.enabled: true\n"
                "xpack.security.remote_cluster_client.ssl.certificate_authorities: "
                "[\"crosslink/a.crt\", \"crosslink/b.crt\"]\n"
                "xpack.security.remote_cluster_server.ssl.keystore.path: \"crosslink/rcs.p12\"\n" +
                std::string(kBlockEnd) + "\n");
  // What Elasticsearch's YAML reader sees.
  YAML::Node node = YAML::Load(block);
  EXPECT_EQ(node["remote_cluster.port"].as<int>(), 9443);
  EXPECT_EQ(node["remote_cluster_server.enabled"].as<bool>(), true);
  EXPECT_EQ(
      node["xpack.security.remote_cluster_client.ssl.certificate_authorities"][1].as<std::string>(),
      "crosslink/b.crt");
}

TEST(YmlBlock, ValuesNeedingQuotesSurviveTheRoundTrip) {
  ManagedSettings odd = {{"a.colon", "x: y # not a comment"},
                         {"a.quote", "say \"hi\" \\ 'there'"},
                         {"a.unicode", "gr\xC3\xBC\xC3\x9F \xE2\x9C\x93"},
                         {"a.number_string", "9443"},
                         {"a.bool_string", "true"},
                         {"a.float", 1.5},
                         {"a.newline", "two\nlines"},
                         {"a.empty_list", Value::array()},
                         {"a.mixed", Value::array({1, "x", false})}};
  YmlFile parsed = MustParse(MustSet("x: 1\n", odd));
  ASSERT_TRUE(parsed.block());
  EXPECT_EQ(parsed.block()->settings, odd);
}

TEST(YmlBlock, CrlfFileGetsCrlfBlock) {
  std::string out = MustSet("a: 1\r\n", {{"b.c", 2}});
  EXPECT_EQ(out, "a: 1\r\n" + RenderBlock({{"b.c", 2}}, "\r\n"));
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      EXPECT_EQ(out[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(YmlBlock, BlockInTheMiddleIsReplacedInPlace) {
  std::string before = "# head \xE2\x9C\x93\r\ncluster.name: x\r\n";
  std::string after = "\r\nnode.name: n   # trailing\r\n# tail";
  std::string file = before + RenderBlock({{"b.c", 1}}, "\r\n") + after;
  std::string out = MustSet(file, {{"b.c", 2}, {"b.d", "y"}});
  EXPECT_EQ(out, before + RenderBlock({{"b.c", 2}, {"b.d", "y"}}, "\r\n") + after);
  EXPECT_EQ(MustSet(out, {}), before + after);
}

TEST(YmlBlock, BlockAtEndWithoutFinalLineBreakKeepsIt) {
  std::string block = RenderBlock({{"b.c", 1}});
  block.pop_back();  // the user's editor dropped the final line break
  std::string out = MustSet("a: 1\n" + block, {{"b.c", 3}});
  std::string expected = "a: 1\n" + RenderBlock({{"b.c", 3}});
  expected.pop_back();
  EXPECT_EQ(out, expected);
}

TEST(YmlBlock, HandEditIsDriftNamingTheKeys) {
  std::string file = MustSet("a: 1\n", kRcs);
  std::string edited = file;
  size_t pos = edited.find("remote_cluster.port: 9443");
  edited.replace(pos, 25, "remote_cluster.port: 9444");
  YmlFile parsed = MustParse(edited);
  ASSERT_TRUE(parsed.block());
  EXPECT_TRUE(parsed.block()->hand_edited());
  EXPECT_EQ(parsed.block()->settings.at("remote_cluster.port"), 9444);
  EXPECT_EQ(DiffSettings(parsed.block()->settings, kRcs),
            std::vector<std::string>{"remote_cluster.port"});
  std::string drift = DescribeDrift("es.yml", *parsed.block(), kRcs);
  EXPECT_THAT(drift, HasSubstr("es.yml:2-9"));
  EXPECT_THAT(drift, HasSubstr("edited by hand"));
  EXPECT_THAT(drift, HasSubstr("keys changed: remote_cluster.port"));

  // An intact block is no drift; a comment added inside is.
  EXPECT_EQ(DescribeDrift("es.yml", *MustParse(file).block(), kRcs), "");
  std::string commented = file;
  commented.insert(commented.find("remote_cluster.port"), "# mine\n");
  YmlFile c = MustParse(commented);
  EXPECT_TRUE(c.block()->hand_edited());
  EXPECT_THAT(DescribeDrift("es.yml", *c.block(), kRcs), HasSubstr("comments or formatting only"));
  // A deleted checksum line is a hand edit too.
  std::string no_meta = file;
  size_t meta = no_meta.find("# crosslink: sha256=");
  no_meta.erase(meta, no_meta.find('\n', meta) + 1 - meta);
  EXPECT_TRUE(MustParse(no_meta).block()->hand_edited());
  // Settings other than planned (not a hand edit) are drift too.
  ManagedSettings other = kRcs;
  other["remote_cluster.port"] = 1;
  EXPECT_THAT(DescribeDrift("es.yml", *MustParse(file).block(), other),
              HasSubstr("other settings than planned (keys: remote_cluster.port)"));
}

TEST(YmlBlock, ConflictOutsideTheBlockIsAnErrorNamingTheLine) {
  std::string file = "cluster.name: x\nremote_cluster.port: 9500\n";
  Result<std::string> out = MustParse(file).WithSettings(kRcs);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("es.yml:2: `remote_cluster.port` is set outside"));
  EXPECT_THAT(out.status().message(), HasSubstr("Remove it from line 2"));
}

TEST(YmlBlock, NestedAndPrefixConflictsAreFound) {
  std::string nested =
      "xpack.security.remote_cluster_server:\n"
      "  ssl:\n"
      "    keystore.path: mine.p12\n";
  Result<std::string> out = MustParse(nested).WithSettings(kRcs);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(),
              HasSubstr("es.yml:3: `xpack.security.remote_cluster_server.ssl.keystore.path`"));
  // `remote_cluster: {port: 1}` and a setting that is a prefix of ours.
  EXPECT_FALSE(MustParse("remote_cluster:\n  port: 1\n").WithSettings(kRcs).ok());
  EXPECT_FALSE(MustParse("remote_cluster_server.enabled.x: 1\n").WithSettings(kRcs).ok());
  // Siblings are not conflicts (the auto-configured nested transport ssl).
  EXPECT_TRUE(MustParse("xpack.security.transport.ssl:\n  enabled: true\n")
                  .WithSettings({{"xpack.security.transport.ssl.certificate_authorities",
                                  Value::array({"crosslink/t.crt"})}})
                  .ok());
  EXPECT_TRUE(MustParse("remote_cluster.portx: 1\n").WithSettings(kRcs).ok());
}

TEST(YmlBlock, MalformedFileIsAnErrorNamingTheLine) {
  Result<YmlFile> y = YmlFile::Parse("es.yml", "a: 1\nb: [unclosed\nc: 2\n");
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(y.status().message(), HasSubstr("es.yml:"));
  EXPECT_THAT(y.status().message(), HasSubstr("not valid YAML"));
  Result<YmlFile> list = YmlFile::Parse("es.yml", "- a\n- b\n");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("es.yml:1:1: the file"));
  EXPECT_THAT(list.status().message(), HasSubstr("must be a mapping"));
}

TEST(YmlBlock, TwoBlocksAreAnError) {
  std::string block = RenderBlock({{"b.c", 1}});
  Result<YmlFile> y = YmlFile::Parse("es.yml", "a: 1\n" + block + "z: 2\n" + block);
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(y.status().message(), HasSubstr("es.yml:7: a second crosslink managed block"));
  EXPECT_THAT(y.status().message(), HasSubstr("first begins at line 2"));
}

TEST(YmlBlock, UnterminatedOrStrayMarkersAreErrors) {
  std::string block = RenderBlock({{"b.c", 1}});
  std::string no_end = "a: 1\n" + block.substr(0, block.find(std::string(kBlockEnd)));
  Result<YmlFile> y = YmlFile::Parse("es.yml", no_end);
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(y.status().message(), HasSubstr("es.yml:2: crosslink's managed block has no"));
  Result<YmlFile> stray = YmlFile::Parse("es.yml", "a: 1\n" + std::string(kBlockEnd) + "\n");
  ASSERT_FALSE(stray.ok());
  EXPECT_THAT(stray.status().message(), HasSubstr("es.yml:2:"));
  EXPECT_THAT(stray.status().message(), HasSubstr("without a BEGIN marker"));
  Result<YmlFile> indented = YmlFile::Parse("es.yml", "a:\n  " + block);
  ASSERT_FALSE(indented.ok());
  EXPECT_THAT(indented.status().message(), HasSubstr("indented"));
}

TEST(YmlBlock, BlockThatIsNotValidYamlIsAnErrorNamingTheLine) {
  std::string file = "a: 1\n" + std::string(kBlockBegin) + "\n# crosslink: sha256=00\nb.c: [x\n" +
                     std::string(kBlockEnd) + "\n";
  Result<YmlFile> y = YmlFile::Parse("es.yml", file);
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(y.status().message(), HasSubstr("es.yml:"));
  EXPECT_THAT(y.status().message(), HasSubstr("crosslink's managed block is not valid YAML"));

  std::string nested =
      "a: 1\n" + std::string(kBlockBegin) + "\nb:\n  c: 1\n" + std::string(kBlockEnd) + "\n";
  Result<YmlFile> n = YmlFile::Parse("es.yml", nested);
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(n.status().message(),
              HasSubstr("es.yml:3:1: crosslink's managed block holds only flat"));

  std::string twice =
      "a: 1\n" + std::string(kBlockBegin) + "\nb: 1\nb: 2\n" + std::string(kBlockEnd) + "\n";
  Result<YmlFile> t = YmlFile::Parse("es.yml", twice);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("es.yml:4:1: `b` is set twice"));
}

TEST(YmlBlock, InvalidSettingsAreRefused) {
  YmlFile y = MustParse("a: 1\n");
  EXPECT_FALSE(y.WithSettings({{"bad key", 1}}).ok());
  EXPECT_FALSE(y.WithSettings({{"a..b", 1}}).ok());
  EXPECT_FALSE(y.WithSettings({{"a.b", Value::object({{"c", 1}})}}).ok());
  EXPECT_FALSE(y.WithSettings({{"a.b", nullptr}}).ok());
  EXPECT_FALSE(y.WithSettings({{"a.b", Value::array({Value::array({1})})}}).ok());
  EXPECT_FALSE(y.WithSettings({{"a.b", std::string("\xFF\xFE")}}).ok());  // not UTF-8
}

TEST(YmlBlock, OutsideSettingsAreFlattenedWithLines) {
  YmlFile y =
      MustParse("a: 1\nb:\n  c:\n    d: 2\n  e: [1]\n" + RenderBlock({{"z", 1}}) + "f: x\n");
  ASSERT_EQ(y.outside().size(), 4u);
  EXPECT_EQ(y.outside()[0].key, "a");
  EXPECT_EQ(y.outside()[1].key, "b.c.d");
  EXPECT_EQ(y.outside()[1].line, 4);
  EXPECT_EQ(y.outside()[2].key, "b.e");
  EXPECT_EQ(y.outside()[3].key, "f");
  EXPECT_EQ(y.outside()[3].line, 10);
}

}  // namespace
}  // namespace crosslink::providers::self
