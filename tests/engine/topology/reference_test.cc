// docs/topology.md is generated from the schema; this test fails when they
// diverge. CROSSLINK_UPDATE_GOLDEN=1 rewrites the document.
#include "engine/topology/reference.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/topology/schema.h"

namespace crosslink::topology {
namespace {

constexpr const char* kDocPath = CROSSLINK_SOURCE_DIR "/docs/topology.md";

TEST(TopologyReferenceTest, DocsMatchTheSchema) {
  std::string generated = RenderTopologyReference();
  const char* update = std::getenv("CROSSLINK_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(kDocPath) << generated;
  }
  std::ifstream in(kDocPath);
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(committed.str(), generated)
      << "docs/topology.md is out of date: run CROSSLINK_UPDATE_GOLDEN=1 ctest -R TopologyReference";
}

TEST(TopologyReferenceTest, EveryFieldOfEveryDefinitionIsDocumented) {
  std::string doc = RenderTopologyReference();
  const Value& defs = TopologySchema()["definitions"];
  int fields = 0;
  for (auto def = defs.begin(); def != defs.end(); ++def) {
    EXPECT_NE(doc.find("<a id=\"" + def.key() + "\"></a>"), std::string::npos) << def.key();
    if (!def.value().contains("properties")) continue;
    for (auto f = def.value()["properties"].begin(); f != def.value()["properties"].end(); ++f) {
      ++fields;
      EXPECT_NE(doc.find("| `" + f.key() + "` |"), std::string::npos) << def.key() << "." << f.key();
    }
  }
  EXPECT_GT(fields, 30);
}

}  // namespace
}  // namespace crosslink::topology
