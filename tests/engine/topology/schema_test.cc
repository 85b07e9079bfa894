// The embedded JSON Schema: it is the file, it is complete (descriptions,
// closed objects), its defaults are the model's, and the lookups the loader
// makes into it work. Also the did-you-mean helpers.
#include "engine/topology/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "engine/core/filesystem.h"
#include "engine/topology/schema_validator.h"
#include "engine/topology/suggest.h"
#include "engine/topology/topology.h"

namespace crosslink::topology {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;

// Calls `visit(schema, where)` for every schema object reachable in `node`.
void ForEachSchema(const Value& node, const std::string& where,
                   const std::function<void(const Value&, const std::string&)>& visit) {
  if (!node.is_object()) return;
  visit(node, where);
  for (const char* key : {"properties", "definitions"}) {
    if (node.contains(key)) {
      for (auto it = node[key].begin(); it != node[key].end(); ++it) {
        ForEachSchema(it.value(), where + "/" + key + "/" + it.key(), visit);
      }
    }
  }
  // Not "if": a condition is a test, not a definition.
  for (const char* key : {"items", "additionalProperties", "then", "else", "propertyNames"}) {
    if (node.contains(key)) ForEachSchema(node[key], where + "/" + key, visit);
  }
  if (node.contains("allOf")) {
    for (size_t i = 0; i < node["allOf"].size(); ++i) {
      ForEachSchema(node["allOf"][i], where + "/allOf/" + std::to_string(i), visit);
    }
  }
}

TEST(TopologySchemaTest, EmbeddedSchemaIsTheSchemaFileByteForByte) {
  auto fs = NewPosixFileSystem();
  Result<std::string> file =
      fs->ReadFile(std::string(CROSSLINK_SOURCE_DIR) + "/schema/topology.schema.json");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(std::string(kTopologySchemaJson), *file);
}

TEST(TopologySchemaTest, IsDraft07) {
  EXPECT_EQ(TopologySchema().value("$schema", ""), "http://json-schema.org/draft-07/schema#");
}

TEST(TopologySchemaTest, EveryPropertyHasADescription) {
  const Value& root = TopologySchema();
  ForEachSchema(root, "#", [&](const Value& schema, const std::string& where) {
    if (!schema.contains("properties")) return;
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      const Value& p = it.value();
      if (p.contains("$ref")) {
        // The description lives on the referenced definition.
        std::string ref = p["$ref"].get<std::string>();
        const Value& target = root.at(nlohmann::json::json_pointer(ref.substr(1)));
        EXPECT_TRUE(target.contains("description")) << where << "/" << it.key() << " -> " << ref;
      } else {
        EXPECT_TRUE(p.contains("description")) << where << "/properties/" << it.key();
      }
    }
  });
}

TEST(TopologySchemaTest, EveryObjectRejectsUnknownFields) {
  ForEachSchema(TopologySchema(), "#", [](const Value& schema, const std::string& where) {
    if (!schema.contains("properties")) return;
    ASSERT_TRUE(schema.contains("additionalProperties")) << where;
    EXPECT_EQ(schema["additionalProperties"], false) << where;
  });
}

TEST(TopologySchemaTest, PlatformAnnotationsNameRealPlatforms) {
  int annotated = 0;
  ForEachSchema(TopologySchema(), "#", [&](const Value& schema, const std::string& where) {
    if (!schema.contains("x-platforms")) return;
    ++annotated;
    for (const Value& p : schema["x-platforms"]) {
      EXPECT_THAT((std::vector<std::string>{"eck", "ech", "ece", "self"}),
                  Contains(p.get<std::string>()))
          << where;
    }
  });
  EXPECT_GT(annotated, 10);
  EXPECT_EQ(DefinitionPlatforms("cluster", "namespace"), std::vector<std::string>{"eck"});
  EXPECT_TRUE(DefinitionPlatforms("cluster", "url").empty()) << "url applies everywhere";
}

TEST(TopologySchemaTest, DefaultsAreTheModelsDefaults) {
  EXPECT_EQ(DefinitionDefault("connection", "security"), SecurityModelName(Connection().security));
  EXPECT_EQ(DefinitionDefault("connection", "mode"), ConnectionModeName(Connection().mode));
  EXPECT_EQ(DefinitionDefault("cluster", "namespace"), "default");
  EXPECT_EQ(DefinitionDefault("environment", "endpoint"), "https://api.elastic-cloud.com");
  EXPECT_EQ(DefinitionDefault("environment", "api_key"), "${env:EC_API_KEY}");
  EXPECT_EQ(DefinitionDefault("node", "delivery"), "local");
  EXPECT_TRUE(DefinitionDefault("connection", "alias").is_null());
  EXPECT_EQ(DefinitionField("connection", "nope"), nullptr);
}

TEST(TopologySchemaTest, AllowedFieldsFollowTheDocumentShape) {
  AllowedFields connection = AllowedFieldsAt("/connections/3");
  EXPECT_FALSE(connection.open);
  EXPECT_THAT(connection.names, IsSupersetOf({"local", "remote", "alias", "security", "access"}));
  EXPECT_TRUE(AllowedFieldsAt("/clusters").open) << "cluster names are free";
  EXPECT_THAT(AllowedFieldsAt("/clusters/x/credentials").names,
              (std::vector<std::string>{"api_key", "password", "username"}));
  EXPECT_THAT(AllowedFieldsAt("/connections/0/access/replication/0").names,
              (std::vector<std::string>{"allow_restricted_indices", "names"}));
  EXPECT_TRUE(SchemasAt("/nowhere/at/all").empty());
}

TEST(TopologySchemaTest, ShortDescriptionIsTheFirstSentence) {
  EXPECT_EQ(ShortDescription(*DefinitionField("cluster", "url")),
            "HTTPS URL of the cluster's REST API, e.g. https://es1.example.com:9200");
  EXPECT_EQ(ShortDescription(Value::object()), "");
}

TEST(SchemaValidatorTest, ReportsEachProblemOnceAndRemembersWhere) {
  Diagnostics diags;
  std::optional<YamlDocument> doc = ParseYamlDocument(
      "version: 1\nconnections:\n  - { local: a, aliass: b, colour: c }\n", "t.yaml", &diags);
  ASSERT_TRUE(doc.has_value());
  ReportedPlaces reported;
  EXPECT_FALSE(ValidateAgainstSchema(*doc, &diags, &reported));
  // Two unknown fields (valijson itself names only the first) and the
  // missing remote.
  ASSERT_EQ(diags.items().size(), 3u) << diags.ToString();
  EXPECT_TRUE(reported.Covers("/connections/0/aliass"));
  EXPECT_TRUE(reported.Covers("/connections/0/remote"));
  EXPECT_FALSE(reported.Covers("/connections/0/local"));
  EXPECT_TRUE(reported.HasUnknownFieldIn("/connections/0"));
}

TEST(SuggestTest, ClosestMatchFindsTyposOnly) {
  std::vector<std::string> fields = {"local", "remote", "alias", "access", "security"};
  EXPECT_EQ(ClosestMatch("aliass", fields), "alias");
  EXPECT_EQ(ClosestMatch("acess", fields), "access");
  EXPECT_EQ(ClosestMatch("secuirty", fields), "security") << "adjacent swap is one edit";
  EXPECT_EQ(ClosestMatch("Remote", fields), "remote");
  EXPECT_EQ(ClosestMatch("colour", fields), std::nullopt);
  EXPECT_EQ(ClosestMatch("ab", {"a"}), std::nullopt) << "no rewrite of a whole short word";
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(SuggestName("zzz", {"b", "a"}, "known clusters"), "known clusters: b, a");
  EXPECT_EQ(JoinNames({}), "(none)");
}

}  // namespace
}  // namespace crosslink::topology
