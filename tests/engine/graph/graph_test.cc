#include "engine/graph/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/graph/resource.h"

namespace crosslink::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ResourceSpec Spec(const std::string& address, const std::string& cluster,
                  std::vector<std::string> deps = {}, ResourceMode mode = ResourceMode::kManaged) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = "fake";
  s.cluster = cluster;
  s.mode = mode;
  s.depends_on = std::move(deps);
  s.origin = {"topology.yaml", 7, 3};
  return s;
}

// ------------------------------------------------------------ resource.h

TEST(ResourceTest, ReferencesRoundTrip) {
  Value ref = MakeRef("es_cross_cluster_api_key.a.b", "id");
  EXPECT_EQ(DumpJson(ref), R"({"$ref":"es_cross_cluster_api_key.a.b","output":"id"})");
  Reference r;
  ASSERT_TRUE(IsRef(ref, &r));
  EXPECT_EQ(r.address, "es_cross_cluster_api_key.a.b");
  EXPECT_EQ(r.output, "id");
  EXPECT_FALSE(IsRef(Value{{"$ref", "x"}}, nullptr));
  EXPECT_FALSE(IsRef(Value{{"$ref", "x"}, {"output", 3}}, nullptr));
  EXPECT_FALSE(IsRef(Value{{"$ref", "x"}, {"output", "y"}, {"extra", 1}}, nullptr));
  EXPECT_FALSE(IsRef(Value("x"), nullptr));
}

TEST(ResourceTest, CollectRefsIsDepthFirst) {
  Value v{{"a", MakeRef("one.x", "o")},
          {"b", Value::array({MakeRef("two.x", "o"), Value{{"c", MakeRef("three.x", "p")}}})},
          {"d", "literal"}};
  std::vector<Reference> refs = CollectRefs(v);
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0], (Reference{"one.x", "o"}));
  EXPECT_EQ(refs[1], (Reference{"two.x", "o"}));
  EXPECT_EQ(refs[2], (Reference{"three.x", "p"}));
  EXPECT_THAT(CollectRefs(Value::object()), IsEmpty());
}

TEST(ResourceTest, AllDependenciesMergesDependsOnReferencesAndSecretInputs) {
  ResourceSpec s = Spec("ec_keystore_credential.l.a", "l", {"z.one", "b.two"});
  s.attributes["key_id"] = MakeRef("es_cross_cluster_api_key.l.a", "id");
  s.attributes["again"] = MakeRef("b.two", "x");
  s.secret_inputs["credentials"] = {"es_cross_cluster_api_key.l.a", "encoded"};
  EXPECT_THAT(s.AllDependencies(), ElementsAre("b.two", "es_cross_cluster_api_key.l.a", "z.one"));
}

TEST(ResourceTest, ModeNames) {
  EXPECT_STREQ(ResourceModeName(ResourceMode::kManaged), "managed");
  EXPECT_STREQ(ResourceModeName(ResourceMode::kData), "data");
  EXPECT_STREQ(ResourceModeName(ResourceMode::kCheck), "check");
}

// ------------------------------------------------------------ ResourceGraph

TEST(ResourceGraphTest, ResourcesComeInDependencyOrder) {
  std::vector<ResourceSpec> specs = {
      Spec("es_remote_cluster.l.a", "l", {"ec_keystore_credential.l.a"}),
      Spec("es_cross_cluster_api_key.l.a", "r"),
      Spec("es_remote_connection_check.l.a", "l", {"es_remote_cluster.l.a"}, ResourceMode::kCheck),
      Spec("ec_keystore_credential.l.a", "l"),
  };
  specs[3].secret_inputs["credentials"] = {"es_cross_cluster_api_key.l.a", "encoded"};
  Diagnostics diags;
  auto g = ResourceGraph::Build(specs, &diags);
  ASSERT_TRUE(g.has_value()) << diags.ToString();
  std::vector<std::string> order;
  for (const auto& r : g->resources()) order.push_back(r.address);
  EXPECT_THAT(order, ElementsAre("es_cross_cluster_api_key.l.a", "ec_keystore_credential.l.a",
                                 "es_remote_cluster.l.a", "es_remote_connection_check.l.a"));
  EXPECT_THAT(g->DestroyOrder(),
              ElementsAre("es_remote_connection_check.l.a", "es_remote_cluster.l.a",
                          "ec_keystore_credential.l.a", "es_cross_cluster_api_key.l.a"));
  ASSERT_NE(g->Find("es_remote_cluster.l.a"), nullptr);
  EXPECT_EQ(g->Find("es_remote_cluster.l.a")->cluster, "l");
  EXPECT_EQ(g->Find("nope.x"), nullptr);
  EXPECT_THAT(g->Dependents("es_cross_cluster_api_key.l.a"),
              ElementsAre("ec_keystore_credential.l.a"));
  EXPECT_THAT(g->Dependencies("es_remote_connection_check.l.a"),
              ElementsAre("es_remote_cluster.l.a"));
  EXPECT_EQ(g->size(), 4u);
}

TEST(ResourceGraphTest, DuplicateAddressIsAnError) {
  Diagnostics diags;
  auto g = ResourceGraph::Build({Spec("x.a", "l"), Spec("x.a", "l")}, &diags);
  EXPECT_FALSE(g.has_value());
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.items()[0].summary, "duplicate resource address \"x.a\"");
  EXPECT_EQ(diags.items()[0].location.line, 7);
}

TEST(ResourceGraphTest, UnknownDependencyIsAnError) {
  ResourceSpec s = Spec("x.a", "l", {"y.missing"});
  s.attributes["v"] = MakeRef("z.missing", "out");
  Diagnostics diags;
  EXPECT_FALSE(ResourceGraph::Build({s}, &diags).has_value());
  ASSERT_EQ(diags.error_count(), 2u);
  EXPECT_EQ(diags.items()[0].summary, "resource \"x.a\" depends on unknown resource \"y.missing\"");
  EXPECT_EQ(diags.items()[1].summary, "resource \"x.a\" depends on unknown resource \"z.missing\"");
}

TEST(ResourceGraphTest, CycleIsReportedExactly) {
  ResourceSpec key = Spec("es_cross_cluster_api_key.l.a", "r");
  key.attributes["x"] = MakeRef("es_remote_cluster.l.a", "alias");
  Diagnostics diags;
  auto g =
      ResourceGraph::Build({Spec("es_remote_cluster.l.a", "l", {"es_cross_cluster_api_key.l.a"}),
                            key, Spec("free.x", "l")},
                           &diags);
  EXPECT_FALSE(g.has_value());
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.items()[0].summary,
            "dependency cycle: es_cross_cluster_api_key.l.a -> es_remote_cluster.l.a -> "
            "es_cross_cluster_api_key.l.a");
  EXPECT_EQ(diags.items()[0].location.ToString(), "topology.yaml:7:3");
}

TEST(ResourceGraphTest, DotGroupsByClusterAndStylesModes) {
  std::vector<ResourceSpec> specs = {
      Spec("eck_transport_ca.rem", "rem", {}, ResourceMode::kData),
      Spec("eck_remote_cluster_server.rem", "rem"),
      Spec("es_remote_cluster.loc.a", "loc",
           {"eck_transport_ca.rem", "eck_remote_cluster_server.rem"}),
      Spec("es_remote_connection_check.loc.a", "loc", {"es_remote_cluster.loc.a"},
           ResourceMode::kCheck),
      Spec("ece_proxy_ca.dc1", "", {}, ResourceMode::kData),
  };
  specs[1].restarts_cluster = true;
  specs[4].environment = "dc1";
  Diagnostics diags;
  auto g = ResourceGraph::Build(specs, &diags);
  ASSERT_TRUE(g.has_value()) << diags.ToString();
  EXPECT_EQ(g->ToDot(),
            "// crosslink resource graph. An edge a -> b reads \"a must happen after b\".\n"
            "// Boxes are clusters; dashed ellipses are data sources (read only), diamonds are\n"
            "// post-apply checks, thick red outlines restart their cluster.\n"
            "digraph crosslink {\n"
            "  rankdir=RL;\n"
            "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
            "  edge [color=gray40];\n"
            "  subgraph \"cluster_env_dc1\" {\n"
            "    label=\"environment dc1\";\n"
            "    style=rounded;\n"
            "    \"ece_proxy_ca.dc1\" [label=\"ece_proxy_ca.dc1\", shape=ellipse, style=dashed];\n"
            "  }\n"
            "  subgraph \"cluster_loc\" {\n"
            "    label=\"cluster loc\";\n"
            "    style=rounded;\n"
            "    \"es_remote_cluster.loc.a\" [label=\"es_remote_cluster.loc.a\"];\n"
            "    \"es_remote_connection_check.loc.a\" [label=\"es_remote_connection_check.loc.a\", "
            "shape=diamond, style=bold];\n"
            "  }\n"
            "  subgraph \"cluster_rem\" {\n"
            "    label=\"cluster rem\";\n"
            "    style=rounded;\n"
            "    \"eck_remote_cluster_server.rem\" "
            "[label=\"eck_remote_cluster_server.rem\\n(restarts rem)\", "
            "penwidth=2, color=firebrick];\n"
            "    \"eck_transport_ca.rem\" [label=\"eck_transport_ca.rem\", shape=ellipse, "
            "style=dashed];\n"
            "  }\n"
            "  \"es_remote_cluster.loc.a\" -> \"eck_remote_cluster_server.rem\";\n"
            "  \"es_remote_cluster.loc.a\" -> \"eck_transport_ca.rem\";\n"
            "  \"es_remote_connection_check.loc.a\" -> \"es_remote_cluster.loc.a\";\n"
            "}\n");

  // Deterministic whatever the input order.
  std::reverse(specs.begin(), specs.end());
  auto again = ResourceGraph::Build(specs, &diags);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->ToDot(), g->ToDot());
}

TEST(ResourceGraphTest, EmptyGraphIsValid) {
  Diagnostics diags;
  auto g = ResourceGraph::Build({}, &diags);
  ASSERT_TRUE(g.has_value());
  EXPECT_THAT(g->resources(), IsEmpty());
  EXPECT_THAT(g->ToDot(), HasSubstr("digraph crosslink {"));
}

}  // namespace
}  // namespace crosslink::graph
