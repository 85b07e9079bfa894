// Trust entries of an Elastic Cloud deployment (providers/cloud/trust.h):
// every resource type through create / read / update / delete, adoption of
// entries that were there before crosslink, foreign entries left alone,
// conflicts and orphans. Every trust object the functions produce goes
// through the Cloud sandbox's rules (CheckTrust) and server-side
// normalisation (NormalizeTrust: uids, certificate metadata) before it is
// read back, as the simulated API would store it.

#include "providers/cloud/trust.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/core/pki.h"
#include "engine/graph/resource.h"
#include "providers/ca_lists.h"
#include "sandbox/cloud/trust.h"

namespace crosslink::providers::cloud {
namespace {

namespace sb = crosslink::sandbox::cloud;

// ------------------------------------------------------------------ fixtures

std::string NewCaPem(const std::string& cn) {
  pki::CertificateSpec spec;
  spec.common_name = cn;
  spec.is_ca = true;
  Result<pki::Identity> ca = pki::CreateCa(spec);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? ca->LeafPem() : std::string();
}

// Three CAs, made once for the whole file.
const std::string& CaA() {
  static const std::string pem = NewCaPem("ca-a");
  return pem;
}
const std::string& CaB() {
  static const std::string pem = NewCaPem("ca-b");
  return pem;
}
const std::string& CaC() {
  static const std::string pem = NewCaPem("ca-c");
  return pem;
}

sb::TrustRelationships Relationships() {
  sb::TrustRelationships r;
  for (const char* id : {"rel-1", "rel-2"}) {
    sb::TrustRelationship t;
    t.id = id;
    t.name = std::string("ECE ") + id;
    t.installation_id = std::string("inst") + (id[4]);
    t.public_ca_cert = CaC();
    r[id] = t;
  }
  return r;
}

// What the simulated API stores for a PUT of `trust`: rejected by the
// sandbox's rules -> test failure; else with the server's fields added.
Value Server(const Value& trust) {
  std::optional<sb::ApiError> err =
      sb::CheckTrust(trust, "resources.elasticsearch[0].settings.trust", Relationships());
  EXPECT_FALSE(err.has_value()) << (err ? err->message + " at " + err->fields[0] : "") << "\n"
                                << trust.dump(2);
  EXPECT_EQ(trust.dump().find("PRIVATE KEY"), std::string::npos);
  static int uid = 0;
  return sb::NormalizeTrust(trust, Relationships(), [] { return "uid-" + std::to_string(++uid); });
}

Value Deployment() {
  return Value{{"deployment_id", "d0123456789"}, {"ref_id", "main-elasticsearch"}};
}

Value With(Value base, const Value& more) {
  for (auto it = more.begin(); it != more.end(); ++it) base[it.key()] = it.value();
  return base;
}

Value EckDirect() {
  return With(Deployment(), {{"type", "generic"},
                             {"name", "crosslink-eck-logs"},
                             {"scope_id", "apps.es.local"},
                             {"trust_all", true},
                             {"certificates", Value::array({Value::array({CaA()})})}});
}

Value SelfDirect() {
  // One source holding a bundle of two certificates, a second repeating one.
  return With(
      Deployment(),
      {{"type", "generic"},
       {"name", "crosslink-self-onprem"},
       {"trust_all", false},
       {"additional_node_names", Value::array({"node-1.example.com", "node-2.example.com"})},
       {"certificates", Value::array({Value::array({CaA() + CaB()}), Value::array({CaB()})})}});
}

Value EceDirect() {
  return With(Deployment(), {{"type", "ECE"},
                             {"name", "crosslink-ece-dc1"},
                             {"scope_id", "eceenv1"},
                             {"trust_all", false},
                             {"trust_allowlist", Value::array({"c-ece-1"})},
                             {"certificates", Value::array({Value::array({CaC()})})}});
}

Value ApiKeyCa() {
  return With(Deployment(), {{"type", "proxy"},
                             {"name", "crosslink-rcs-ece-dc1"},
                             {"trust_all", false},
                             {"certificates", Value::array({Value::array({CaB()})})}});
}

Value OwnAccounts() { return With(Deployment(), {{"account_id", "org1"}, {"trust_all", true}}); }

Value PeerAccounts() {
  return With(
      Deployment(),
      {{"account_id", "org2"}, {"trust_all", false}, {"trust_allowlist", Value::array({"c2"})}});
}

Value External() {
  return With(Deployment(), {{"trust_relationship_id", "rel-1"},
                             {"trust_all", false},
                             {"trust_allowlist", Value::array({"c3"})}});
}

// Entries of someone else, with server fields, around crosslink's.
Value ForeignTrust() {
  Value t = sb::DefaultTrust("org1");
  t["accounts"].push_back(Value{{"account_id", "org9"},
                                {"name", "partner"},
                                {"trust_all", false},
                                {"trust_allowlist", Value::array({"p1", "p2"})}});
  t["direct"] = Value::array({Value{{"name", "My env"},
                                    {"type", "generic"},
                                    {"scope_id", "myscope"},
                                    {"trust_all", true},
                                    {"certificates", Value::array({Value{{"pem", CaC()}}})}}});
  t["external"] = Value::array({Value{{"trust_relationship_id", "rel-2"}, {"trust_all", true}}});
  return Server(t);  // uids, certificate metadata, external names
}

state::ResourceState Prior(const std::string& type, const TrustChange& c) {
  state::ResourceState s;
  s.address = type + ".analytics.x";
  s.type = type;
  s.provider = "ech";
  s.cluster = "analytics";
  s.attributes = c.attributes;
  s.outputs = c.outputs;
  return s;
}

graph::ResourceSpec Spec(const std::string& type, const Value& attributes) {
  graph::ResourceSpec s;
  s.address = type + ".analytics.x";
  s.type = type;
  s.provider = "ech";
  s.cluster = "analytics";
  s.attributes = attributes;
  return s;
}

// The plan DefaultPlan makes for `desired` against what was read.
ChangeAction PlanOf(const std::string& type, const Value& desired,
                    const state::ResourceState* prior, const LiveObject& live) {
  graph::ResourceSpec spec = Spec(type, desired);
  PlanRequest req;
  req.desired = &spec;
  req.prior = prior;
  req.live = &live;
  req.attributes = desired;
  return Provider::DefaultPlan(req).action;
}

TrustChange MustApply(ChangeAction action, const std::string& type, const Value& attributes,
                      const state::ResourceState* prior, const Value& trust) {
  Result<TrustChange> c = ApplyTrustChange(action, type, attributes, prior, trust);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : TrustChange{};
}

// A resource created in `initial` as apply does it: the change, what the
// server then holds, and the state entry.
struct Created {
  TrustChange change;
  Value stored;
  state::ResourceState prior;
};

Created Create(const std::string& type, const Value& attributes, const Value& initial) {
  Created c;
  c.change = MustApply(ChangeAction::kCreate, type, attributes, nullptr, initial);
  c.stored = Server(c.change.trust);
  c.prior = Prior(type, c.change);
  return c;
}

// After `created`: what the server then stores reads back as nothing to do,
// and deleting the resource leaves exactly `initial`.
void ExpectStableThenUndone(const std::string& type, const Value& desired,
                            const TrustChange& created, const Value& initial) {
  Value stored = Server(created.trust);
  state::ResourceState prior = Prior(type, created);
  LiveObject live = ReadTrustResource(type, desired, &prior, stored);
  EXPECT_EQ(PlanOf(type, desired, &prior, live), ChangeAction::kNoOp) << live.attributes.dump();
  TrustChange d = MustApply(ChangeAction::kDelete, type, prior.attributes, &prior, stored);
  EXPECT_EQ(Server(d.trust), initial);
}

std::vector<std::string> EntryKeys(const Value& entry) {
  std::vector<std::string> keys;
  for (auto it = entry.begin(); it != entry.end(); ++it) keys.push_back(it.key());
  return keys;
}

// No entry carries the resource-only attributes.
void ExpectNoDeploymentFields(const Value& trust) {
  for (const char* list : {"accounts", "external", "direct"}) {
    if (!trust.contains(list)) continue;
    for (const Value& e : trust[list]) {
      EXPECT_FALSE(e.contains("deployment_id")) << e.dump();
      EXPECT_FALSE(e.contains("ref_id")) << e.dump();
    }
  }
}

// The trust object without lists emptied by removals.
Value WithoutEmptyLists(Value trust) {
  for (const char* list : {"accounts", "external", "direct"}) {
    if (trust.contains(list) && trust[list].is_array() && trust[list].empty()) trust.erase(list);
  }
  return trust;
}

// create -> read (no-op) -> update -> read (no-op) -> delete -> read (gone),
// starting from `initial`, every write accepted by the sandbox; the trust is
// back to `initial` at the end.
void RoundTrip(const std::string& type, const Value& desired, const Value& updated,
               const Value& initial) {
  SCOPED_TRACE(type);
  LiveObject before = ReadTrustResource(type, desired, nullptr, initial);
  EXPECT_FALSE(before.exists);
  EXPECT_EQ(PlanOf(type, desired, nullptr, before), ChangeAction::kCreate);

  TrustChange created = MustApply(ChangeAction::kCreate, type, desired, nullptr, initial);
  EXPECT_TRUE(created.changed);
  ExpectNoDeploymentFields(created.trust);
  Value stored = Server(created.trust);
  state::ResourceState prior = Prior(type, created);

  LiveObject live = ReadTrustResource(type, desired, &prior, stored);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanOf(type, desired, &prior, live), ChangeAction::kNoOp)
      << "read back: " << live.attributes.dump() << "\ndesired: " << desired.dump();
  // Applying the same again changes nothing.
  TrustChange again = MustApply(ChangeAction::kUpdate, type, desired, &prior, stored);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.trust, stored);

  EXPECT_EQ(PlanOf(type, updated, &prior, live), ChangeAction::kUpdate);
  TrustChange changed = MustApply(ChangeAction::kUpdate, type, updated, &prior, stored);
  EXPECT_TRUE(changed.changed);
  ExpectNoDeploymentFields(changed.trust);
  Value stored2 = Server(changed.trust);
  state::ResourceState prior2 = Prior(type, changed);
  LiveObject live2 = ReadTrustResource(type, updated, &prior2, stored2);
  EXPECT_TRUE(live2.exists);
  EXPECT_EQ(PlanOf(type, updated, &prior2, live2), ChangeAction::kNoOp)
      << "read back: " << live2.attributes.dump() << "\ndesired: " << updated.dump();

  TrustChange deleted = MustApply(ChangeAction::kDelete, type, prior2.attributes, &prior2, stored2);
  EXPECT_TRUE(deleted.changed);
  Value stored3 = Server(deleted.trust);
  EXPECT_EQ(WithoutEmptyLists(stored3), WithoutEmptyLists(initial));
  EXPECT_FALSE(ReadTrustResource(type, updated, nullptr, stored3).exists);
  EXPECT_FALSE(ReadTrustResource(type, updated, &prior2, stored3).exists);
}

// --------------------------------------------------------------- round trips

TEST(CloudTrustTest, IsTrustType) {
  for (const char* t :
       {"ec_trust_direct", "ec_trust_api_key_ca", "ec_trust_accounts", "ec_trust_external"}) {
    EXPECT_TRUE(IsTrustType(t)) << t;
  }
  EXPECT_FALSE(IsTrustType("ec_keystore_credential"));
  EXPECT_FALSE(IsTrustType("ec_deployment"));
}

TEST(CloudTrustTest, DirectEckRoundTrip) {
  Value updated = EckDirect();
  updated["certificates"] = Value::array({Value::array({CaA(), CaB()})});  // a CA rotation
  RoundTrip("ec_trust_direct", EckDirect(), updated, Value::object());
  RoundTrip("ec_trust_direct", EckDirect(), updated, ForeignTrust());
}

TEST(CloudTrustTest, DirectSelfManagedRoundTrip) {
  Value updated = SelfDirect();
  updated["additional_node_names"].push_back("node-3.example.com");
  RoundTrip("ec_trust_direct", SelfDirect(), updated, ForeignTrust());
}

TEST(CloudTrustTest, DirectEceRoundTrip) {
  Value updated = EceDirect();
  updated["trust_allowlist"].push_back("c-ece-2");
  RoundTrip("ec_trust_direct", EceDirect(), updated, ForeignTrust());
}

TEST(CloudTrustTest, ApiKeyCaRoundTrip) {
  Value updated = ApiKeyCa();
  updated["certificates"] = Value::array({Value::array({CaC()})});
  RoundTrip("ec_trust_api_key_ca", ApiKeyCa(), updated, ForeignTrust());
}

TEST(CloudTrustTest, AccountsRoundTripCreatesMarkedEntry) {
  Value updated = PeerAccounts();
  updated["trust_allowlist"].push_back("c2b");
  RoundTrip("ec_trust_accounts", PeerAccounts(), updated, ForeignTrust());
  // A created entry carries the mark and says it was not there before.
  TrustChange c = MustApply(ChangeAction::kCreate, "ec_trust_accounts", PeerAccounts(), nullptr,
                            ForeignTrust());
  const Value& entry = c.trust["accounts"].back();
  EXPECT_EQ(entry, (Value{{"account_id", "org2"},
                          {"name", "crosslink"},
                          {"trust_all", false},
                          {"trust_allowlist", Value::array({"c2"})}}));
  EXPECT_EQ(c.outputs, (Value{{"preexisting", false}, {"added_allowlist", Value::array()}}));
}

TEST(CloudTrustTest, ExternalRoundTrip) {
  Value updated = External();
  updated["trust_allowlist"] = Value::array({"c3", "c4"});
  RoundTrip("ec_trust_external", External(), updated, sb::DefaultTrust("org1"));
}

TEST(CloudTrustTest, CertificatesWrittenOnePemPerCertificateWithoutMetadata) {
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", SelfDirect(), nullptr, Value::object());
  const Value& certs = c.trust["direct"][0]["certificates"];
  ASSERT_EQ(certs.size(), 2u);  // CaA and CaB, the repeated CaB once
  EXPECT_EQ(certs[0], (Value{{"pem", NormalizePem(CaA())}}));
  EXPECT_EQ(certs[1], (Value{{"pem", NormalizePem(CaB())}}));
  EXPECT_EQ(EntryKeys(c.trust["direct"][0]),
            (std::vector<std::string>{"additional_node_names", "certificates", "name", "trust_all",
                                      "type"}));
}

TEST(CloudTrustTest, ReadIgnoresServerMetadataAndEchoesEquivalentCaLists) {
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", SelfDirect(), nullptr, Value::object());
  Value stored = Server(c.trust);
  ASSERT_TRUE(stored["direct"][0]["certificates"][0].contains("metadata"));
  state::ResourceState prior = Prior("ec_trust_direct", c);
  LiveObject live = ReadTrustResource("ec_trust_direct", SelfDirect(), &prior, stored);
  EXPECT_EQ(live.attributes["certificates"], SelfDirect()["certificates"]);
  EXPECT_FALSE(live.attributes.contains("uid"));
  // The same certificates grouped differently: still nothing to do.
  Value regrouped = SelfDirect();
  regrouped["certificates"] = Value::array({Value::array({CaB()}), Value::array({CaA()})});
  LiveObject again = ReadTrustResource("ec_trust_direct", regrouped, &prior, stored);
  EXPECT_EQ(PlanOf("ec_trust_direct", regrouped, &prior, again), ChangeAction::kNoOp);
  // Without a prior the desired value is echoed.
  LiveObject fresh = ReadTrustResource("ec_trust_direct", SelfDirect(), nullptr, stored);
  EXPECT_EQ(fresh.attributes["certificates"], SelfDirect()["certificates"]);
  // A certificate removed outside crosslink is seen.
  stored["direct"][0]["certificates"].erase(1);
  LiveObject drifted = ReadTrustResource("ec_trust_direct", SelfDirect(), &prior, stored);
  EXPECT_EQ(drifted.attributes["certificates"], Value::array({NormalizePem(CaA())}));
  EXPECT_EQ(PlanOf("ec_trust_direct", SelfDirect(), &prior, drifted), ChangeAction::kUpdate);
}

TEST(CloudTrustTest, UpdateKeepsUidOfCrosslinksEntry) {
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", EckDirect(), nullptr, Value::object());
  Value stored = Server(c.trust);
  std::string uid = stored["direct"][0]["uid"].get<std::string>();
  state::ResourceState prior = Prior("ec_trust_direct", c);
  Value updated = EckDirect();
  updated["certificates"] = Value::array({Value::array({CaB()})});
  TrustChange u = MustApply(ChangeAction::kUpdate, "ec_trust_direct", updated, &prior, stored);
  ASSERT_EQ(u.trust["direct"].size(), 1u);
  EXPECT_EQ(u.trust["direct"][0]["uid"], uid);
  EXPECT_EQ(u.trust["direct"][0]["certificates"],
            Value::array({Value{{"pem", NormalizePem(CaB())}}}));
  Server(u.trust);
}

// What the planner resolves the spec's references to (the test's "outputs").
Value Resolve(const Value& v, const Value& outputs) {
  graph::Reference ref;
  if (graph::IsRef(v, &ref)) return outputs[ref.address + "." + ref.output];
  if (!v.is_object() && !v.is_array()) return v;
  Value out = v;
  for (auto it = out.begin(); it != out.end(); ++it) it.value() = Resolve(it.value(), outputs);
  return out;
}

TEST(CloudTrustTest, ReadOfUnresolvedSpecUsesThePriorValues) {
  // Read gets the spec as expanded (references); the plan compares with the
  // resolved attributes.
  const Value outputs{{"ece_installation.dc1.account_id", "acct-dc1"},
                      {"ec_deployment.logs.cluster_id", "c2"},
                      {"ece_installation.dc1.ca_pems", Value::array({CaC()})},
                      {"ece_installation.dc1.environment_id", "eceenv1"}};
  Value accounts = With(
      Deployment(), {{"account_id", graph::MakeRef("ece_installation.dc1", "account_id")},
                     {"trust_all", false},
                     {"trust_allowlist",
                      Value::array({graph::MakeRef("ec_deployment.logs", "cluster_id"), "u1"})}});
  Value direct = EceDirect();
  direct["scope_id"] = graph::MakeRef("ece_installation.dc1", "environment_id");
  direct["certificates"] = Value::array({graph::MakeRef("ece_installation.dc1", "ca_pems")});
  direct["trust_allowlist"] = Value::array({graph::MakeRef("ec_deployment.logs", "cluster_id")});

  Value initial =
      Server(Value{{"accounts", Value::array({Value{{"account_id", "acct-dc1"},
                                                    {"name", "users"},
                                                    {"trust_all", false},
                                                    {"trust_allowlist", Value::array({"u1"})}}})}});
  for (const auto& [type, spec] : std::vector<std::pair<std::string, Value>>{
           {"ec_trust_accounts", accounts}, {"ec_trust_direct", direct}}) {
    SCOPED_TRACE(type);
    const Value resolved = Resolve(spec, outputs);
    ASSERT_FALSE(resolved.dump().find("$ref") != std::string::npos);
    EXPECT_FALSE(ReadTrustResource(type, spec, nullptr, initial).exists);
    TrustChange c = MustApply(ChangeAction::kCreate, type, resolved, nullptr, initial);
    initial = Server(c.trust);
    state::ResourceState prior = Prior(type, c);
    LiveObject live = ReadTrustResource(type, spec, &prior, initial);
    EXPECT_TRUE(live.exists);
    EXPECT_EQ(PlanOf(type, resolved, &prior, live), ChangeAction::kNoOp) << live.attributes.dump();
    // A new cluster id behind the same reference is a change.
    Value moved_outputs = outputs;
    moved_outputs["ec_deployment.logs.cluster_id"] = "c2-new";
    EXPECT_EQ(PlanOf(type, Resolve(spec, moved_outputs), &prior, live), ChangeAction::kUpdate);
  }
}

// -------------------------------------------------------------- api-key CA

TEST(CloudTrustTest, ApiKeyCaWithoutCertificatesKeepsNoEntry) {
  Value empty = ApiKeyCa();
  empty["certificates"] = Value::array({Value::array()});
  const Value initial = ForeignTrust();
  EXPECT_FALSE(ReadTrustResource("ec_trust_api_key_ca", empty, nullptr, initial).exists);
  TrustChange c = MustApply(ChangeAction::kCreate, "ec_trust_api_key_ca", empty, nullptr, initial);
  EXPECT_FALSE(c.changed);
  EXPECT_EQ(c.trust, initial);
  EXPECT_EQ(c.attributes, empty);
  state::ResourceState prior = Prior("ec_trust_api_key_ca", c);
  LiveObject live = ReadTrustResource("ec_trust_api_key_ca", empty, &prior, initial);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(PlanOf("ec_trust_api_key_ca", empty, &prior, live), ChangeAction::kNoOp);
  TrustChange d = MustApply(ChangeAction::kDelete, "ec_trust_api_key_ca", empty, &prior, initial);
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.trust, initial);
}

TEST(CloudTrustTest, ApiKeyCaBecomingPublicRemovesItsEntry) {
  const Value initial = ForeignTrust();
  auto [c, stored, prior] = Create("ec_trust_api_key_ca", ApiKeyCa(), initial);
  Value empty = ApiKeyCa();
  empty["certificates"] = Value::array({Value::array()});
  LiveObject live = ReadTrustResource("ec_trust_api_key_ca", empty, &prior, stored);
  EXPECT_EQ(PlanOf("ec_trust_api_key_ca", empty, &prior, live), ChangeAction::kUpdate);
  TrustChange u = MustApply(ChangeAction::kUpdate, "ec_trust_api_key_ca", empty, &prior, stored);
  EXPECT_TRUE(u.changed);
  EXPECT_EQ(Server(u.trust), initial);
  state::ResourceState prior2 = Prior("ec_trust_api_key_ca", u);
  LiveObject after = ReadTrustResource("ec_trust_api_key_ca", empty, &prior2, Server(u.trust));
  EXPECT_EQ(PlanOf("ec_trust_api_key_ca", empty, &prior2, after), ChangeAction::kNoOp);
}

TEST(CloudTrustTest, DirectAndApiKeyCaOfOnePeerAreTwoEntries) {
  auto [a, stored, prior_a] = Create("ec_trust_api_key_ca", ApiKeyCa(), Value::object());
  EXPECT_FALSE(ReadTrustResource("ec_trust_direct", EceDirect(), nullptr, stored).exists);
  TrustChange d = MustApply(ChangeAction::kCreate, "ec_trust_direct", EceDirect(), nullptr, stored);
  Value both = Server(d.trust);
  ASSERT_EQ(both["direct"].size(), 2u);
  EXPECT_EQ(both["direct"][0], stored["direct"][0]);
  EXPECT_EQ(both["direct"][1]["type"], "ECE");
  state::ResourceState prior_d = Prior("ec_trust_direct", d);
  TrustChange gone =
      MustApply(ChangeAction::kDelete, "ec_trust_direct", EceDirect(), &prior_d, both);
  EXPECT_EQ(Server(gone.trust), stored);
  LiveObject proxy = ReadTrustResource("ec_trust_api_key_ca", ApiKeyCa(), &prior_a, both);
  EXPECT_EQ(proxy.attributes["type"], "proxy");
}

// ---------------------------------------------------------------- adoption

TEST(CloudTrustTest, AdoptsOwnOrganizationDefaultAndLeavesItOnDestroy) {
  const Value initial = Server(sb::DefaultTrust("org1"));
  LiveObject before = ReadTrustResource("ec_trust_accounts", OwnAccounts(), nullptr, initial);
  EXPECT_FALSE(before.exists);  // someone else's: the plan creates = adopts
  EXPECT_FALSE(before.managed_by_crosslink);
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", OwnAccounts(), nullptr, initial);
  EXPECT_FALSE(c.changed);  // it already trusts every deployment of the organization
  EXPECT_EQ(c.trust, initial);
  EXPECT_EQ(c.outputs, (Value{{"preexisting", true}, {"added_allowlist", Value::array()}}));
  state::ResourceState prior = Prior("ec_trust_accounts", c);
  LiveObject live = ReadTrustResource("ec_trust_accounts", OwnAccounts(), &prior, initial);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(live.outputs, c.outputs);
  EXPECT_EQ(PlanOf("ec_trust_accounts", OwnAccounts(), &prior, live), ChangeAction::kNoOp);
  TrustChange d =
      MustApply(ChangeAction::kDelete, "ec_trust_accounts", prior.attributes, &prior, initial);
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.trust, initial);
}

TEST(CloudTrustTest, AdoptsUserAllowlistAddingOnlyWhatIsMissing) {
  Value initial = sb::DefaultTrust("org1");
  initial["accounts"].push_back(Value{{"account_id", "org2"},
                                      {"name", "partner"},
                                      {"trust_all", false},
                                      {"trust_allowlist", Value::array({"u1"})}});
  initial = Server(initial);
  Value desired = PeerAccounts();
  desired["trust_allowlist"] = Value::array({"c2", "u1"});
  TrustChange c = MustApply(ChangeAction::kCreate, "ec_trust_accounts", desired, nullptr, initial);
  EXPECT_TRUE(c.changed);
  EXPECT_EQ(c.trust["accounts"][1], (Value{{"account_id", "org2"},
                                           {"name", "partner"},
                                           {"trust_all", false},
                                           {"trust_allowlist", Value::array({"u1", "c2"})}}));
  EXPECT_EQ(c.trust["accounts"][0], initial["accounts"][0]);
  EXPECT_EQ(c.outputs, (Value{{"preexisting", true}, {"added_allowlist", Value::array({"c2"})}}));
  Value stored = Server(c.trust);
  state::ResourceState prior = Prior("ec_trust_accounts", c);
  LiveObject live = ReadTrustResource("ec_trust_accounts", desired, &prior, stored);
  EXPECT_EQ(PlanOf("ec_trust_accounts", desired, &prior, live), ChangeAction::kNoOp)
      << live.attributes.dump();

  // The connection to c2 goes, one to c5 comes: c2 removed, c5 added, u1 kept.
  Value next = PeerAccounts();
  next["trust_allowlist"] = Value::array({"u1", "c5"});
  LiveObject before_update = ReadTrustResource("ec_trust_accounts", next, &prior, stored);
  EXPECT_EQ(PlanOf("ec_trust_accounts", next, &prior, before_update), ChangeAction::kUpdate);
  TrustChange u = MustApply(ChangeAction::kUpdate, "ec_trust_accounts", next, &prior, stored);
  EXPECT_EQ(u.trust["accounts"][1]["trust_allowlist"], Value::array({"u1", "c5"}));
  EXPECT_EQ(u.outputs["added_allowlist"], Value::array({"c5"}));
  Value stored2 = Server(u.trust);
  state::ResourceState prior2 = Prior("ec_trust_accounts", u);
  LiveObject live2 = ReadTrustResource("ec_trust_accounts", next, &prior2, stored2);
  EXPECT_EQ(PlanOf("ec_trust_accounts", next, &prior2, live2), ChangeAction::kNoOp);

  TrustChange d =
      MustApply(ChangeAction::kDelete, "ec_trust_accounts", prior2.attributes, &prior2, stored2);
  EXPECT_EQ(Server(d.trust), initial);  // exactly as before crosslink
}

TEST(CloudTrustTest, AllowlistItemNoLongerWantedIsPlannedForRemoval) {
  Value initial =
      Server(Value{{"accounts", Value::array({Value{{"account_id", "org2"},
                                                    {"name", "partner"},
                                                    {"trust_all", false},
                                                    {"trust_allowlist", Value::array({"u1"})}}})}});
  auto [c, stored, prior] = Create("ec_trust_accounts", PeerAccounts(), initial);
  Value fewer = PeerAccounts();
  fewer["trust_allowlist"] = Value::array();
  LiveObject live = ReadTrustResource("ec_trust_accounts", fewer, &prior, stored);
  EXPECT_EQ(live.attributes["trust_allowlist"], Value::array({"c2"}));
  EXPECT_EQ(PlanOf("ec_trust_accounts", fewer, &prior, live), ChangeAction::kUpdate);
  TrustChange u = MustApply(ChangeAction::kUpdate, "ec_trust_accounts", fewer, &prior, stored);
  EXPECT_EQ(Server(u.trust), initial);
}

TEST(CloudTrustTest, NeverNarrowsAnAdoptedTrustAll) {
  Value initial = Server(Value{{"accounts", Value::array({Value{{"account_id", "org2"},
                                                                {"name", "everything of org2"},
                                                                {"trust_all", true}}})}});
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", PeerAccounts(), nullptr, initial);
  EXPECT_FALSE(c.changed);
  EXPECT_EQ(c.trust, initial);
  state::ResourceState prior = Prior("ec_trust_accounts", c);
  LiveObject live = ReadTrustResource("ec_trust_accounts", PeerAccounts(), &prior, initial);
  EXPECT_EQ(live.attributes["trust_all"], false);
  EXPECT_EQ(live.attributes["trust_allowlist"], Value::array({"c2"}));
  EXPECT_EQ(PlanOf("ec_trust_accounts", PeerAccounts(), &prior, live), ChangeAction::kNoOp);
  TrustChange d =
      MustApply(ChangeAction::kDelete, "ec_trust_accounts", prior.attributes, &prior, initial);
  EXPECT_EQ(d.trust, initial);
}

TEST(CloudTrustTest, TrustAllAddedToAnAdoptedEntryIsUndoneOnDestroy) {
  // The organization's trust was narrowed by its users; crosslink's own-org
  // resource wants every deployment (and the plan shows trust_all changing).
  Value initial =
      Server(Value{{"accounts", Value::array({Value{{"account_id", "org1"},
                                                    {"name", "Default trust for own organization"},
                                                    {"trust_all", false},
                                                    {"trust_allowlist", Value::array({"u1"})}}})}});
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", OwnAccounts(), nullptr, initial);
  EXPECT_TRUE(c.changed);
  EXPECT_EQ(c.trust["accounts"][0]["trust_all"], true);
  EXPECT_EQ(c.outputs, (Value{{"preexisting", true},
                              {"added_allowlist", Value::array()},
                              {"added_trust_all", true}}));
  ExpectStableThenUndone("ec_trust_accounts", OwnAccounts(), c, initial);
}

TEST(CloudTrustTest, AdoptsExternalEntry) {
  Value initial = sb::DefaultTrust("org1");
  initial["external"] = Value::array({Value{{"trust_relationship_id", "rel-1"},
                                            {"trust_all", false},
                                            {"trust_allowlist", Value::array({"u9"})}}});
  initial = Server(initial);
  EXPECT_FALSE(ReadTrustResource("ec_trust_external", External(), nullptr, initial).exists);
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_external", External(), nullptr, initial);
  EXPECT_EQ(c.trust["external"][0]["trust_allowlist"], Value::array({"u9", "c3"}));
  EXPECT_EQ(c.trust["external"][0]["name"], initial["external"][0]["name"]);  // server field kept
  EXPECT_EQ(c.outputs, (Value{{"preexisting", true}, {"added_allowlist", Value::array({"c3"})}}));
  ExpectStableThenUndone("ec_trust_external", External(), c, initial);
}

TEST(CloudTrustTest, EntryGoneFromStateIsRecreatedAsCrosslinks) {
  // State says adopted, but the entry was deleted meanwhile.
  const Value initial = Server(sb::DefaultTrust("org1"));
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", OwnAccounts(), nullptr, initial);
  state::ResourceState prior = Prior("ec_trust_accounts", c);
  Value emptied = Value{{"accounts", Value::array()}};
  EXPECT_FALSE(ReadTrustResource("ec_trust_accounts", OwnAccounts(), &prior, emptied).exists);
  TrustChange again =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", OwnAccounts(), &prior, emptied);
  EXPECT_EQ(again.trust["accounts"][0]["name"], "crosslink");
  EXPECT_EQ(again.outputs["preexisting"], false);
  state::ResourceState prior2 = Prior("ec_trust_accounts", again);
  TrustChange d = MustApply(ChangeAction::kDelete, "ec_trust_accounts", prior2.attributes, &prior2,
                            Server(again.trust));
  EXPECT_EQ(d.trust, emptied);
}

TEST(CloudTrustTest, ChangedAccountIdUndoesTheOldEntry) {
  const Value initial = ForeignTrust();
  auto [c, stored, prior] = Create("ec_trust_accounts", PeerAccounts(), initial);
  Value moved = PeerAccounts();
  moved["account_id"] = "org3";
  TrustChange u = MustApply(ChangeAction::kUpdate, "ec_trust_accounts", moved, &prior, stored);
  Value expected = initial;
  expected["accounts"].push_back(Value{{"account_id", "org3"},
                                       {"name", "crosslink"},
                                       {"trust_all", false},
                                       {"trust_allowlist", Value::array({"c2"})}});
  EXPECT_EQ(Server(u.trust), expected);
}

TEST(CloudTrustTest, AccountsEntryReplacedByAUserIsNeverRemoved) {
  // crosslink created its entry; a user then replaced it by an own (unmarked)
  // entry for the same account.
  auto [c, stored, prior] = Create("ec_trust_accounts", PeerAccounts(), ForeignTrust());
  ASSERT_EQ(prior.outputs["preexisting"], false);
  Value replaced = stored;
  Value& entry = replaced["accounts"].back();
  ASSERT_EQ(entry["name"], "crosslink");
  entry["name"] = "partner org2";
  entry["trust_allowlist"] = Value::array({"c2", "u7"});
  replaced = Server(replaced);
  LiveObject live = ReadTrustResource("ec_trust_accounts", PeerAccounts(), &prior, replaced);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(live.outputs["preexisting"], true);
  EXPECT_EQ(PlanOf("ec_trust_accounts", PeerAccounts(), &prior, live), ChangeAction::kNoOp)
      << live.attributes.dump();
  TrustChange d =
      MustApply(ChangeAction::kDelete, "ec_trust_accounts", prior.attributes, &prior, replaced);
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.trust, replaced);
}

// ------------------------------------------------------ foreign & conflicts

TEST(CloudTrustTest, ForeignEntriesKeepContentAndOrder) {
  const Value initial = ForeignTrust();
  Value trust = initial;
  std::vector<std::pair<std::string, Value>> resources = {{"ec_trust_direct", EckDirect()},
                                                          {"ec_trust_direct", SelfDirect()},
                                                          {"ec_trust_api_key_ca", ApiKeyCa()},
                                                          {"ec_trust_accounts", PeerAccounts()},
                                                          {"ec_trust_external", External()}};
  std::vector<state::ResourceState> priors;
  for (const auto& [type, attrs] : resources) {
    TrustChange c = MustApply(ChangeAction::kCreate, type, attrs, nullptr, trust);
    trust = Server(c.trust);
    priors.push_back(Prior(type, c));
    // The foreign entries are still first, unchanged.
    for (const char* list : {"accounts", "direct", "external"}) {
      for (size_t i = 0; i < initial[list].size(); ++i) {
        EXPECT_EQ(trust[list][i], initial[list][i]) << type << " " << list << "[" << i << "]";
      }
    }
  }
  EXPECT_EQ(trust["direct"].size(), 4u);
  EXPECT_EQ(trust["accounts"].size(), 3u);
  EXPECT_EQ(trust["external"].size(), 2u);
  // Removed in another order than created.
  for (size_t i : {2u, 0u, 4u, 1u, 3u}) {
    TrustChange d = MustApply(ChangeAction::kDelete, resources[i].first, priors[i].attributes,
                              &priors[i], trust);
    EXPECT_TRUE(d.changed) << resources[i].first;
    trust = Server(d.trust);
  }
  EXPECT_EQ(trust, initial);
}

TEST(CloudTrustTest, ForeignDirectEntryWithCrosslinksNameIsAConflict) {
  Value trust = ForeignTrust();
  trust["direct"].push_back(Value{{"name", "crosslink-eck-logs"},
                                  {"type", "generic"},
                                  {"scope_id", "apps.es.local"},
                                  {"trust_all", true},
                                  {"certificates", Value::array({Value{{"pem", CaC()}}})}});
  trust = Server(trust);
  LiveObject live = ReadTrustResource("ec_trust_direct", EckDirect(), nullptr, trust);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);  // the name is the mark
  EXPECT_EQ(PlanOf("ec_trust_direct", EckDirect(), nullptr, live), ChangeAction::kUpdate);
  for (ChangeAction a : {ChangeAction::kCreate, ChangeAction::kUpdate}) {
    Result<TrustChange> c = ApplyTrustChange(a, "ec_trust_direct", EckDirect(), nullptr, trust);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(c.status().message().find("crosslink-eck-logs"), std::string::npos);
    EXPECT_NE(c.status().message().find("d0123456789"), std::string::npos);
    EXPECT_NE(c.status().message().find("remove or rename"), std::string::npos);
  }
}

TEST(CloudTrustTest, IdenticalMarkedDirectEntryIsTakenOver) {
  // A run that stopped after the PUT and before saving its state.
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", EckDirect(), nullptr, ForeignTrust());
  Value stored = Server(c.trust);
  LiveObject live = ReadTrustResource("ec_trust_direct", EckDirect(), nullptr, stored);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanOf("ec_trust_direct", EckDirect(), nullptr, live), ChangeAction::kNoOp);
  TrustChange again =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", EckDirect(), nullptr, stored);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.trust, stored);
}

TEST(CloudTrustTest, MarkedAccountsEntryWithoutStateIsCrosslinks) {
  const Value initial = ForeignTrust();
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_accounts", PeerAccounts(), nullptr, initial);
  Value stored = Server(c.trust);
  LiveObject live = ReadTrustResource("ec_trust_accounts", PeerAccounts(), nullptr, stored);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.outputs["preexisting"], false);
  EXPECT_EQ(PlanOf("ec_trust_accounts", PeerAccounts(), nullptr, live), ChangeAction::kNoOp);
  // Deleting what the planner adopted (apply's state entry from live) removes it.
  state::ResourceState adopted;
  adopted.type = "ec_trust_accounts";
  adopted.attributes = live.attributes;
  adopted.outputs = live.outputs;
  TrustChange d =
      MustApply(ChangeAction::kDelete, "ec_trust_accounts", live.attributes, &adopted, stored);
  EXPECT_EQ(Server(d.trust), initial);
}

// ------------------------------------------------------------------- orphans

TEST(CloudTrustTest, OrphansAreMarkedEntriesNotKnown) {
  Value trust = ForeignTrust();
  Value self_ca = SelfDirect();
  self_ca["type"] = "proxy";
  self_ca["name"] = "crosslink-rcs-self-onprem";
  self_ca.erase("additional_node_names");
  std::vector<std::pair<std::string, Value>> resources = {{"ec_trust_direct", EckDirect()},
                                                          {"ec_trust_api_key_ca", self_ca},
                                                          {"ec_trust_accounts", PeerAccounts()}};
  for (const auto& [type, attrs] : resources) {
    trust = Server(MustApply(ChangeAction::kCreate, type, attrs, nullptr, trust).trust);
  }
  // Names that look like crosslink's but do not parse are not its.
  trust["direct"].push_back(Value{{"name", "crosslink-foo-bar"},
                                  {"type", "generic"},
                                  {"scope_id", "x"},
                                  {"trust_all", true},
                                  {"certificates", Value::array({Value{{"pem", CaA()}}})}});
  trust = Server(trust);

  std::vector<Orphan> orphans =
      TrustOrphans("analytics", Deployment(), trust, {"ec_trust_direct.analytics.eck.logs"});
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans[0].address, "ec_trust_api_key_ca.analytics.self.onprem");
  EXPECT_EQ(orphans[0].type, "ec_trust_api_key_ca");
  EXPECT_NE(orphans[0].description.find("crosslink-rcs-self-onprem"), std::string::npos);
  EXPECT_NE(orphans[0].description.find("d0123456789"), std::string::npos);
  EXPECT_EQ(orphans[1].address, "ec_trust_accounts.analytics.org2");
  EXPECT_EQ(orphans[1].type, "ec_trust_accounts");
  for (const Orphan& o : orphans) {
    EXPECT_TRUE(o.live.exists);
    EXPECT_TRUE(o.live.managed_by_crosslink);
    EXPECT_EQ(o.live.attributes["deployment_id"], "d0123456789");
  }
  EXPECT_EQ(orphans[0].live.attributes["name"], "crosslink-rcs-self-onprem");
  EXPECT_EQ(orphans[1].live.outputs["preexisting"], false);

  // Deleting them as apply does (a state entry made from the orphan).
  Value after = trust;
  for (const Orphan& o : orphans) {
    state::ResourceState synthetic;
    synthetic.address = o.address;
    synthetic.type = o.type;
    synthetic.attributes = o.live.attributes;
    synthetic.outputs = o.live.outputs;
    TrustChange d = MustApply(ChangeAction::kDelete, o.type, o.live.attributes, &synthetic, after);
    EXPECT_TRUE(d.changed) << o.address;
    after = Server(d.trust);
  }
  EXPECT_TRUE(TrustOrphans("analytics", Deployment(), after, {"ec_trust_direct.analytics.eck.logs"})
                  .empty());
  EXPECT_EQ(after["accounts"], ForeignTrust()["accounts"]);
  ASSERT_EQ(after["direct"].size(), 3u);  // My env, crosslink-eck-logs, crosslink-foo-bar
  EXPECT_EQ(after["direct"][1]["name"], "crosslink-eck-logs");

  // Every entry known: no orphans. A known accounts resource of the cluster
  // keeps marked accounts entries from being reported.
  EXPECT_TRUE(TrustOrphans("analytics", Deployment(), trust,
                           {"ec_trust_direct.analytics.eck.logs",
                            "ec_trust_api_key_ca.analytics.self.onprem",
                            "ec_trust_accounts.analytics.cloud-eu"})
                  .empty());
}

// -------------------------------------------------------------------- errors

TEST(CloudTrustTest, UnresolvedOrEmptyInputsAreErrors) {
  Value unresolved = PeerAccounts();
  unresolved["trust_allowlist"] =
      Value::array({graph::MakeRef("ec_deployment.logs", "cluster_id")});
  Result<TrustChange> r = ApplyTrustChange(ChangeAction::kCreate, "ec_trust_accounts", unresolved,
                                           nullptr, Value::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("trust_allowlist"), std::string::npos);

  Value no_certs = EckDirect();
  no_certs["certificates"] = Value::array({Value::array()});
  r = ApplyTrustChange(ChangeAction::kCreate, "ec_trust_direct", no_certs, nullptr,
                       Value::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("crosslink-eck-logs"), std::string::npos);

  r = ApplyTrustChange(ChangeAction::kCreate, "ec_keystore_credential", EckDirect(), nullptr,
                       Value::object());
  EXPECT_FALSE(r.ok());
  r = ApplyTrustChange(ChangeAction::kCreate, "ec_trust_direct", EckDirect(), nullptr,
                       Value::array());
  EXPECT_FALSE(r.ok());
}

TEST(CloudTrustTest, TypeMustFitTheResource) {
  // A direct entry of type proxy (or an api-key CA entry of another type)
  // would never be found again by its resource: every apply would add one.
  Value proxy_direct = EckDirect();
  proxy_direct["type"] = "proxy";
  Value generic_ca = ApiKeyCa();
  generic_ca["type"] = "generic";
  for (const auto& [type, attributes] : std::vector<std::pair<std::string, Value>>{
           {"ec_trust_direct", proxy_direct}, {"ec_trust_api_key_ca", generic_ca}}) {
    SCOPED_TRACE(type);
    Result<TrustChange> r =
        ApplyTrustChange(ChangeAction::kCreate, type, attributes, nullptr, Value::object());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(attributes["name"].get<std::string>()), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("d0123456789"), std::string::npos);
    EXPECT_NE(r.status().message().find("ec_trust_api_key_ca"), std::string::npos);
  }
}

TEST(CloudTrustTest, NullTrustStartsEmpty) {
  TrustChange c =
      MustApply(ChangeAction::kCreate, "ec_trust_direct", EckDirect(), nullptr, Value());
  ASSERT_TRUE(c.trust.is_object());
  EXPECT_EQ(c.trust.size(), 1u);
  EXPECT_EQ(c.trust["direct"].size(), 1u);
  Server(c.trust);
  EXPECT_FALSE(ReadTrustResource("ec_trust_direct", EckDirect(), nullptr, Value()).exists);
}

}  // namespace
}  // namespace crosslink::providers::cloud
