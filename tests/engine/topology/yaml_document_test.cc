// YAML -> Value conversion: core-schema typing, locations, duplicate keys.
#include "engine/topology/yaml_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace crosslink::topology {
namespace {

using ::testing::HasSubstr;

YamlDocument Parse(const std::string& text, Diagnostics* diags) {
  std::optional<YamlDocument> doc = ParseYamlDocument(text, "t.yaml", diags);
  EXPECT_TRUE(doc.has_value()) << diags->ToString();
  return doc ? std::move(*doc) : YamlDocument();
}

TEST(YamlDocumentTest, PlainScalarsFollowTheYaml12CoreSchema) {
  Diagnostics diags;
  YamlDocument doc = Parse(R"(
t1: true
t2: True
f1: FALSE
yes_word: yes
off_word: off
n1: null
n2: ~
n3:
i1: 42
i2: -7
i3: 0o17
i4: 0x1F
big: 123456789012345678901234567890
f1x: 3.5
f2: 1e3
f3: .inf
f4: -.Inf
nan: .NaN
version: 8.15.0
id: 0123
)",
                           &diags);
  EXPECT_TRUE(diags.empty()) << diags.ToString();
  const Value& r = doc.root();
  EXPECT_EQ(r["t1"], true);
  EXPECT_EQ(r["t2"], true);
  EXPECT_EQ(r["f1"], false);
  EXPECT_EQ(r["yes_word"], "yes") << "YAML 1.1 booleans are strings in 1.2";
  EXPECT_EQ(r["off_word"], "off");
  EXPECT_TRUE(r["n1"].is_null());
  EXPECT_TRUE(r["n2"].is_null());
  EXPECT_TRUE(r["n3"].is_null());
  EXPECT_EQ(r["i1"], 42);
  EXPECT_TRUE(r["i1"].is_number_integer());
  EXPECT_EQ(r["i2"], -7);
  EXPECT_EQ(r["i3"], 15);
  EXPECT_EQ(r["i4"], 31);
  EXPECT_TRUE(r["big"].is_number_float());
  EXPECT_EQ(r["f1x"], 3.5);
  EXPECT_EQ(r["f2"], 1000.0);
  EXPECT_TRUE(std::isinf(r["f3"].get<double>()));
  EXPECT_LT(r["f4"].get<double>(), 0);
  EXPECT_TRUE(std::isnan(r["nan"].get<double>()));
  EXPECT_EQ(r["version"], "8.15.0");
  EXPECT_EQ(r["id"], 123);
  EXPECT_TRUE(doc.IsImplicitlyTyped("/i1"));
  EXPECT_TRUE(doc.IsImplicitlyTyped("/n3"));
  EXPECT_FALSE(doc.IsImplicitlyTyped("/version"));
}

TEST(YamlDocumentTest, QuotedBlockAndTaggedScalarsAreStrings) {
  Diagnostics diags;
  YamlDocument doc =
      Parse("a: \"true\"\nb: '42'\nc: |\n  7\nd: !!str 1.5\ne: \"\"\nf: !!int \"12\"\n", &diags);
  EXPECT_TRUE(diags.empty()) << diags.ToString();
  const Value& r = doc.root();
  EXPECT_EQ(r["a"], "true");
  EXPECT_EQ(r["b"], "42");
  EXPECT_EQ(r["c"], "7\n");
  EXPECT_EQ(r["d"], "1.5");
  EXPECT_EQ(r["e"], "");
  EXPECT_EQ(r["f"], 12) << "an explicit core tag is honoured";
}

TEST(YamlDocumentTest, BadTagsAreReported) {
  Diagnostics diags;
  Parse("a: !!int twelve\nb: !custom x\n", &diags);
  ASSERT_EQ(diags.items().size(), 2u) << diags.ToString();
  EXPECT_EQ(diags.items()[0].summary, "the value does not match its tag !!int");
  EXPECT_EQ(diags.items()[0].location.ToString(), "t.yaml:1:4");
  EXPECT_EQ(diags.items()[1].summary, "unsupported YAML tag \"!custom\"");
}

TEST(YamlDocumentTest, LocationsAreOneBasedForKeysAndValues) {
  Diagnostics diags;
  YamlDocument doc =
      Parse("version: 1\nconnections:\n  - local: a\n    alias:   x\n  - b\n", &diags);
  EXPECT_EQ(doc.KeyLocation("/connections/0/alias").ToString(), "t.yaml:4:5");
  EXPECT_EQ(doc.ValueLocation("/connections/0/alias").ToString(), "t.yaml:4:14");
  EXPECT_EQ(doc.ValueLocation("/connections/1").ToString(), "t.yaml:5:5");
  EXPECT_EQ(doc.KeyLocation("/connections/1").ToString(), "t.yaml:5:5") << "list items have no key";
  EXPECT_EQ(doc.ValueLocation("/connections/0/remote").ToString(), "t.yaml:3:5")
      << "a missing field is located at its parent";
  EXPECT_EQ(doc.ValueLocation("").ToString(), "t.yaml:1:1");
}

TEST(YamlDocumentTest, EmptyValuesPointAtTheirKey) {
  Diagnostics diags;
  YamlDocument doc = Parse("a:\n  b:\nc: 1\n", &diags);
  EXPECT_EQ(doc.ValueLocation("/a/b").ToString(), "t.yaml:2:3");
}

TEST(YamlDocumentTest, FieldPathsUseDotsAndIndexes) {
  Diagnostics diags;
  YamlDocument doc =
      Parse("clusters:\n  logs:\n    nodes: [ { name: a } ]\nconnections: [ {} ]\n", &diags);
  EXPECT_EQ(doc.FieldPath("/clusters/logs/nodes/0/name"), "clusters.logs.nodes[0].name");
  EXPECT_EQ(doc.FieldPath("/connections/0/alias"), "connections[0].alias");
  EXPECT_EQ(doc.FieldPath(""), "");
}

TEST(YamlDocumentTest, DuplicateKeysAreReportedWithBothLocations) {
  Diagnostics diags;
  YamlDocument doc = Parse("a: 1\nb:\n  c: x\n  c: y\na: 2\n", &diags);
  ASSERT_EQ(diags.items().size(), 2u);
  EXPECT_EQ(diags.items()[0].ToString(),
            "t.yaml:4:3: error: b.c: duplicate key \"c\"\n"
            "  hint: \"c\" is already set at t.yaml:3:3; keep only one of them\n");
  EXPECT_EQ(diags.items()[1].location.ToString(), "t.yaml:5:1");
  EXPECT_EQ(doc.root()["a"], 1) << "the first value is kept";
  EXPECT_EQ(doc.root()["b"]["c"], "x");
}

TEST(YamlDocumentTest, SyntaxErrorIsOneDiagnosticAtTheMark) {
  Diagnostics diags;
  std::optional<YamlDocument> doc = ParseYamlDocument("a: [1, 2\nb: 3\n", "t.yaml", &diags);
  EXPECT_FALSE(doc.has_value());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].location.ToString(), "t.yaml:2:2");
  EXPECT_EQ(diags.items()[0].summary, "invalid YAML: end of sequence flow not found");
  EXPECT_THAT(diags.items()[0].hint, HasSubstr("add the missing ']'"));
}

TEST(YamlDocumentTest, NonScalarKeysAreRejected) {
  Diagnostics diags;
  Parse("? [a, b]\n: 1\n", &diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_THAT(diags.items()[0].summary, HasSubstr("mapping key must be a plain name"));
}

TEST(YamlDocumentTest, EmptyTextIsANullRoot) {
  Diagnostics diags;
  YamlDocument doc = Parse("# nothing\n", &diags);
  EXPECT_TRUE(diags.empty());
  EXPECT_TRUE(doc.root().is_null());
}

TEST(YamlDocumentTest, AliasBombsAreCutShort) {
  // Each level doubles the values: 2^30 once expanded. A small limit keeps
  // the test quick; the default is in the millions.
  std::string yaml = "l0: [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "l" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    std::string prev = i == 1 ? "[x, x]" : "*a" + std::to_string(i - 1);
    yaml += prev + ", " + prev + "]\n";
  }
  Diagnostics diags;
  std::optional<YamlDocument> doc = ParseYamlDocument(yaml, "t.yaml", &diags, 10'000);
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(diags.items().size(), 1u) << diags.ToString();
  EXPECT_EQ(diags.items()[0].summary, "the file expands to too many values");
}

TEST(JsonPointerTest, TokensAreEscapedAndSplitBack) {
  std::string p = AppendPointer(AppendPointer("", "a/b"), "c~d");
  EXPECT_EQ(p, "/a~1b/c~0d");
  EXPECT_EQ(SplitPointer(p), (std::vector<std::string>{"a/b", "c~d"}));
  EXPECT_EQ(AppendPointer("/x", size_t{3}), "/x/3");
  EXPECT_EQ(ParentPointer("/x/3"), "/x");
  EXPECT_EQ(ParentPointer("/x"), "");
  EXPECT_TRUE(SplitPointer("").empty());
  EXPECT_EQ(SplitPointer("/"), std::vector<std::string>{""});
}

}  // namespace
}  // namespace crosslink::topology
