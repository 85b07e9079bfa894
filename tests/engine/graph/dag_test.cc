#include "engine/graph/dag.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crosslink::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Dag Make(const std::vector<std::string>& nodes,
         const std::vector<std::pair<std::string, std::string>>& edges) {
  Dag d;
  for (const auto& n : nodes) EXPECT_TRUE(d.AddNode(n)) << n;
  for (const auto& [from, to] : edges) EXPECT_TRUE(d.AddEdge(from, to)) << from << " -> " << to;
  return d;
}

TEST(DagTest, OrderPutsDependenciesFirstAndBreaksTiesById) {
  // apply needs key and settings; settings needs key; zeta and alpha are free.
  Dag d = Make({"zeta", "settings", "key", "apply", "alpha"},
               {{"apply", "key"}, {"apply", "settings"}, {"settings", "key"}});
  auto order = d.TopologicalOrder();
  ASSERT_TRUE(order.has_value());
  EXPECT_THAT(*order, ElementsAre("alpha", "key", "settings", "apply", "zeta"));
}

TEST(DagTest, ReverseOrderPutsDependentsFirst) {
  Dag d = Make({"zeta", "settings", "key", "apply", "alpha"},
               {{"apply", "key"}, {"apply", "settings"}, {"settings", "key"}});
  auto order = d.ReverseOrder();
  ASSERT_TRUE(order.has_value());
  EXPECT_THAT(*order, ElementsAre("alpha", "apply", "settings", "key", "zeta"));
}

TEST(DagTest, OrderDoesNotDependOnInsertionOrder) {
  Dag a = Make({"c", "b", "a", "d"}, {{"d", "a"}, {"c", "a"}, {"b", "d"}});
  Dag b = Make({"a", "d", "b", "c"}, {{"b", "d"}, {"c", "a"}, {"d", "a"}});
  EXPECT_EQ(a.TopologicalOrder(), b.TopologicalOrder());
  EXPECT_EQ(a.ReverseOrder(), b.ReverseOrder());
  EXPECT_EQ(a.ToDot(), b.ToDot());
}

TEST(DagTest, TwoNodeCycleIsReportedExactly) {
  Dag d = Make({"b", "a", "c"}, {{"a", "b"}, {"b", "a"}, {"c", "a"}});
  std::string cycle;
  EXPECT_FALSE(d.TopologicalOrder(&cycle).has_value());
  EXPECT_EQ(cycle, "dependency cycle: a -> b -> a");
  std::string reverse_cycle;
  EXPECT_FALSE(d.ReverseOrder(&reverse_cycle).has_value());
  EXPECT_EQ(reverse_cycle, "dependency cycle: a -> b -> a");
}

TEST(DagTest, SelfEdgeIsACycle) {
  Dag d = Make({"x", "y"}, {{"y", "x"}, {"x", "x"}});
  std::string cycle;
  EXPECT_FALSE(d.TopologicalOrder(&cycle).has_value());
  EXPECT_EQ(cycle, "dependency cycle: x -> x");
}

TEST(DagTest, ShortestCycleThroughTheSmallestIdIsReported) {
  // a -> b -> c -> d -> a is long; a -> e -> a is the short way back to a.
  Dag d =
      Make({"a", "b", "c", "d", "e", "f"},
           {{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "a"}, {"a", "e"}, {"e", "a"}, {"f", "c"}});
  EXPECT_EQ(d.FindCycle(), "dependency cycle: a -> e -> a");
}

TEST(DagTest, CycleListsNodesInDependencyOrder) {
  Dag d = Make({"key", "secret", "settings", "free"},
               {{"secret", "key"}, {"settings", "secret"}, {"key", "settings"}, {"free", "key"}});
  EXPECT_EQ(d.FindCycle(), "dependency cycle: key -> settings -> secret -> key");
}

TEST(DagTest, AcyclicGraphHasNoCycle) {
  Dag d = Make({"a", "b"}, {{"a", "b"}});
  EXPECT_EQ(d.FindCycle(), "");
  EXPECT_EQ(Dag().FindCycle(), "");
  EXPECT_THAT(*Dag().TopologicalOrder(), IsEmpty());
}

TEST(DagTest, NodesAndEdgesAreDeduplicatedAndMustExist) {
  Dag d;
  EXPECT_TRUE(d.AddNode("a"));
  EXPECT_FALSE(d.AddNode("a"));
  EXPECT_TRUE(d.AddNode("b"));
  EXPECT_TRUE(d.AddEdge("a", "b"));
  EXPECT_TRUE(d.AddEdge("a", "b"));
  EXPECT_FALSE(d.AddEdge("a", "missing"));
  EXPECT_FALSE(d.AddEdge("missing", "a"));
  EXPECT_EQ(d.node_count(), 2u);
  EXPECT_EQ(d.edge_count(), 1u);
  EXPECT_TRUE(d.HasNode("b"));
  EXPECT_FALSE(d.HasNode("c"));
}

TEST(DagTest, DependenciesAndDependentsAreDirectAndSorted) {
  Dag d =
      Make({"key", "cred", "tls", "put", "check"},
           {{"cred", "key"}, {"put", "tls"}, {"put", "cred"}, {"check", "put"}, {"tls", "key"}});
  EXPECT_THAT(d.Dependencies("put"), ElementsAre("cred", "tls"));
  EXPECT_THAT(d.Dependents("key"), ElementsAre("cred", "tls"));
  EXPECT_THAT(d.Dependents("check"), IsEmpty());
  EXPECT_THAT(d.Dependencies("unknown"), IsEmpty());
}

TEST(DagTest, DotListsSortedNodesAndEdges) {
  Dag d = Make({"b", "a \"q\""}, {{"b", "a \"q\""}});
  EXPECT_EQ(d.ToDot(),
            "digraph {\n"
            "  \"a \\\"q\\\"\";\n"
            "  \"b\";\n"
            "  \"b\" -> \"a \\\"q\\\"\";\n"
            "}\n");
}

TEST(DagTest, CopiesAreIndependent) {
  Dag a = Make({"x"}, {});
  Dag b = a;
  b.AddNode("y");
  EXPECT_EQ(a.node_count(), 1u);
  EXPECT_EQ(b.node_count(), 2u);
  Dag c = std::move(b);
  EXPECT_EQ(c.node_count(), 2u);
}

TEST(DagTest, LongChainAndWideFanOrderInLinearishTime) {
  // 100k nodes: a chain of 50k and a fan of 50k leaves under one root.
  Dag d;
  const int n = 50000;
  auto id = [](const char* p, int i) {
    std::string s = std::to_string(i);
    return std::string(p) + std::string(6 - s.size(), '0') + s;
  };
  for (int i = 0; i < n; ++i) d.AddNode(id("chain", i));
  for (int i = 1; i < n; ++i) d.AddEdge(id("chain", i), id("chain", i - 1));
  d.AddNode("root");
  for (int i = 0; i < n; ++i) {
    d.AddNode(id("leaf", i));
    d.AddEdge(id("leaf", i), "root");
  }
  auto order = d.TopologicalOrder();
  ASSERT_TRUE(order.has_value());
  ASSERT_EQ(order->size(), 2u * n + 1);
  EXPECT_EQ(order->front(), "chain000000");
  EXPECT_EQ(order->back(), "leaf049999");
  // A cycle closing the chain is found and reported through its smallest id.
  d.AddEdge(id("chain", 0), id("chain", 2));
  EXPECT_EQ(d.FindCycle(),
            "dependency cycle: chain000000 -> chain000002 -> chain000001 -> chain000000");
}

}  // namespace
}  // namespace crosslink::graph
