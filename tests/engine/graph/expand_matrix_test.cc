// Every cell of the expansion table (DOMAIN.md §1.1 and §1.2, with the
// same-environment / other-environment variants): the addresses and the
// "must happen after" edges one connection loc -> rem (alias a, one role
// "reader") expands into.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>

#include "engine/graph/expand.h"
#include "tests/engine/graph/topology_fixture.h"

namespace crosslink::graph {
namespace {

using testing::EdgeLines;
using testing::TopologyBuilder;
using topology::Platform;
using topology::SecurityModel;

constexpr Platform kEch = Platform::kEch;
constexpr Platform kEce = Platform::kEce;
constexpr Platform kEck = Platform::kEck;
constexpr Platform kSelf = Platform::kSelf;
constexpr SecurityModel kApiKey = SecurityModel::kApiKey;
constexpr SecurityModel kCert = SecurityModel::kCertificate;
constexpr bool kSame = true;
constexpr bool kOther = false;

struct MatrixCase {
  const char* name;
  Platform local;
  Platform remote;
  SecurityModel model;
  bool same_environment;
  std::vector<std::string> expected;
};

std::ostream& operator<<(std::ostream& os, const MatrixCase& c) { return os << c.name; }

topology::Topology CellTopology(const MatrixCase& c) {
  TopologyBuilder b;
  std::string local_env;
  std::string remote_env;
  if (c.same_environment) {
    b.Environment("env", c.local, "1001");
    local_env = remote_env = "env";
  } else {
    if (c.local != kSelf) b.Environment("lenv", c.local, "1001");
    if (c.remote != kSelf) b.Environment("renv", c.remote, "2002");
    local_env = c.local == kSelf ? "" : "lenv";
    remote_env = c.remote == kSelf ? "" : "renv";
  }
  b.Cluster("loc", c.local, local_env);
  b.Cluster("rem", c.remote, remote_env);
  topology::Connection& conn = b.Connect("loc", "rem", "a", c.model);
  topology::Role role;
  role.name = "reader";
  role.body =
      Value{{"indices", Value::array({Value{{"names", {"logs-*"}}, {"privileges", {"read"}}}})}};
  conn.roles.push_back(role);
  return b.topology();
}

class ExpandMatrixTest : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(ExpandMatrixTest, AddressesAndEdges) {
  const MatrixCase& c = GetParam();
  topology::Topology t = CellTopology(c);
  Diagnostics diags;
  std::optional<ResourceGraph> g = Expand(t, &diags);
  ASSERT_TRUE(g.has_value()) << diags.ToString();
  EXPECT_TRUE(diags.empty()) << diags.ToString();
  EXPECT_THAT(EdgeLines(*g), ::testing::ElementsAreArray(c.expected));
}

MatrixCase Case(const char* name, Platform local, Platform remote, SecurityModel model, bool same,
                std::vector<std::string> expected) {
  return {name, local, remote, model, same, std::move(expected)};
}

const MatrixCase kCases[] = {
    Case("ech_ech_api_key_same", kEch, kEch, kApiKey, kSame,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ech_ech_api_key_other", kEch, kEch, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ech_ece_api_key", kEch, kEce, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.ece.renv",
             "ec_trust_api_key_ca.loc.ece.renv <- ece_proxy_ca.renv",
             "ece_proxy_ca.renv",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc, ec_trust_api_key_ca.loc.ece.renv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ech_eck_api_key", kEch, kEck, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.eck.rem",
             "ec_trust_api_key_ca.loc.eck.rem <- eck_transport_ca.rem",
             "eck_remote_cluster_server.rem",
             "eck_remote_cluster_service.rem <- eck_remote_cluster_server.rem",
             "eck_transport_ca.rem",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_keystore_credential.loc.a, ec_restart.loc, "
             "ec_trust_api_key_ca.loc.eck.rem, eck_remote_cluster_server.rem, "
             "eck_remote_cluster_service.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ech_self_api_key", kEch, kSelf, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.self.rem",
             "ec_trust_api_key_ca.loc.self.rem <- self_rcs_certificate.rem",
             "es_cross_cluster_api_key.loc.a <- self_remote_cluster_server.rem",
             "es_remote_cluster.loc.a <- ec_keystore_credential.loc.a, ec_restart.loc, "
             "ec_trust_api_key_ca.loc.self.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "self_rcs_certificate.rem",
             "self_remote_cluster_server.rem <- self_rcs_certificate.rem",
         }),
    Case("ece_ech_api_key", kEce, kEch, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ece_ece_api_key_same", kEce, kEce, kApiKey, kSame,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.ece.env",
             "ec_trust_api_key_ca.loc.ece.env <- ece_proxy_ca.env",
             "ece_proxy_ca.env",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc, ec_trust_api_key_ca.loc.ece.env",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ece_ece_api_key_other", kEce, kEce, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.ece.renv",
             "ec_trust_api_key_ca.loc.ece.renv <- ece_proxy_ca.renv",
             "ece_proxy_ca.renv",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_keystore_credential.loc.a, "
             "ec_restart.loc, ec_trust_api_key_ca.loc.ece.renv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ece_eck_api_key", kEce, kEck, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.eck.rem",
             "ec_trust_api_key_ca.loc.eck.rem <- eck_transport_ca.rem",
             "eck_remote_cluster_server.rem",
             "eck_remote_cluster_service.rem <- eck_remote_cluster_server.rem",
             "eck_transport_ca.rem",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_keystore_credential.loc.a, ec_restart.loc, "
             "ec_trust_api_key_ca.loc.eck.rem, eck_remote_cluster_server.rem, "
             "eck_remote_cluster_service.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("ece_self_api_key", kEce, kSelf, kApiKey, kOther,
         {
             "ec_deployment.loc",
             "ec_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "ec_restart.loc <- ec_deployment.loc, ec_keystore_credential.loc.a, "
             "ec_trust_api_key_ca.loc.self.rem",
             "ec_trust_api_key_ca.loc.self.rem <- self_rcs_certificate.rem",
             "es_cross_cluster_api_key.loc.a <- self_remote_cluster_server.rem",
             "es_remote_cluster.loc.a <- ec_keystore_credential.loc.a, ec_restart.loc, "
             "ec_trust_api_key_ca.loc.self.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "self_rcs_certificate.rem",
             "self_remote_cluster_server.rem <- self_rcs_certificate.rem",
         }),
    Case("eck_ech_api_key", kEck, kEch, kApiKey, kOther,
         {
             "ec_deployment.rem",
             "eck_remote_client_tls.loc",
             "eck_remote_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, eck_remote_client_tls.loc, "
             "eck_remote_credential.loc.a",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("eck_ece_api_key", kEck, kEce, kApiKey, kOther,
         {
             "ec_deployment.rem",
             "ece_proxy_ca.renv",
             "eck_remote_client_tls.loc <- ece_proxy_ca.renv",
             "eck_remote_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "es_cross_cluster_api_key.loc.a",
             "es_remote_cluster.loc.a <- ec_deployment.rem, eck_remote_client_tls.loc, "
             "eck_remote_credential.loc.a",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
         }),
    Case("eck_eck_api_key_same", kEck, kEck, kApiKey, kSame,
         {
             "eck_remote_cluster_server.rem",
             "eck_same_operator_remote.loc.a",
             "es_remote_connection_check.loc.a <- eck_remote_cluster_server.rem, "
             "eck_same_operator_remote.loc.a",
             "es_role.loc.reader <- eck_same_operator_remote.loc.a",
         }),
    Case(
        "eck_eck_api_key_other", kEck, kEck, kApiKey, kOther,
        {
            "eck_remote_client_tls.loc <- eck_transport_ca.rem",
            "eck_remote_cluster_server.rem",
            "eck_remote_cluster_service.rem <- eck_remote_cluster_server.rem",
            "eck_remote_credential.loc.a <- es_cross_cluster_api_key.loc.a",
            "eck_transport_ca.rem",
            "es_cross_cluster_api_key.loc.a",
            "es_remote_cluster.loc.a <- eck_remote_client_tls.loc, eck_remote_cluster_server.rem, "
            "eck_remote_cluster_service.rem, eck_remote_credential.loc.a",
            "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
            "es_role.loc.reader <- es_remote_cluster.loc.a",
        }),
    Case("eck_self_api_key", kEck, kSelf, kApiKey, kOther,
         {
             "eck_remote_client_tls.loc <- self_rcs_certificate.rem",
             "eck_remote_credential.loc.a <- es_cross_cluster_api_key.loc.a",
             "es_cross_cluster_api_key.loc.a <- self_remote_cluster_server.rem",
             "es_remote_cluster.loc.a <- eck_remote_client_tls.loc, eck_remote_credential.loc.a",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "self_rcs_certificate.rem",
             "self_remote_cluster_server.rem <- self_rcs_certificate.rem",
         }),
    Case(
        "self_ech_api_key", kSelf, kEch, kApiKey, kOther,
        {
            "ec_deployment.rem",
            "es_cross_cluster_api_key.loc.a",
            "es_remote_cluster.loc.a <- ec_deployment.rem, self_client_tls.loc, self_reload.loc",
            "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
            "es_role.loc.reader <- es_remote_cluster.loc.a",
            "self_client_tls.loc",
            "self_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a, self_client_tls.loc",
            "self_reload.loc <- self_keystore_credential.loc.a",
        }),
    Case(
        "self_ece_api_key", kSelf, kEce, kApiKey, kOther,
        {
            "ec_deployment.rem",
            "ece_proxy_ca.renv",
            "es_cross_cluster_api_key.loc.a",
            "es_remote_cluster.loc.a <- ec_deployment.rem, self_client_tls.loc, self_reload.loc",
            "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
            "es_role.loc.reader <- es_remote_cluster.loc.a",
            "self_client_tls.loc <- ece_proxy_ca.renv",
            "self_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a, self_client_tls.loc",
            "self_reload.loc <- self_keystore_credential.loc.a",
        }),
    Case(
        "self_eck_api_key", kSelf, kEck, kApiKey, kOther,
        {
            "eck_remote_cluster_server.rem",
            "eck_remote_cluster_service.rem <- eck_remote_cluster_server.rem",
            "eck_transport_ca.rem",
            "es_cross_cluster_api_key.loc.a",
            "es_remote_cluster.loc.a <- eck_remote_cluster_server.rem, "
            "eck_remote_cluster_service.rem, self_client_tls.loc, self_reload.loc",
            "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
            "es_role.loc.reader <- es_remote_cluster.loc.a",
            "self_client_tls.loc <- eck_transport_ca.rem",
            "self_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a, self_client_tls.loc",
            "self_reload.loc <- self_keystore_credential.loc.a",
        }),
    Case(
        "self_self_api_key", kSelf, kSelf, kApiKey, kOther,
        {
            "es_cross_cluster_api_key.loc.a <- self_remote_cluster_server.rem",
            "es_remote_cluster.loc.a <- self_client_tls.loc, self_reload.loc",
            "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
            "es_role.loc.reader <- es_remote_cluster.loc.a",
            "self_client_tls.loc <- self_rcs_certificate.rem",
            "self_keystore_credential.loc.a <- es_cross_cluster_api_key.loc.a, self_client_tls.loc",
            "self_rcs_certificate.rem",
            "self_reload.loc <- self_keystore_credential.loc.a",
            "self_remote_cluster_server.rem <- self_rcs_certificate.rem",
        }),
    Case("ech_ech_cert_same", kEch, kEch, kCert, kSame,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_accounts.loc.env <- ec_deployment.rem",
             "ec_trust_accounts.rem.env <- ec_deployment.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_accounts.loc.env, "
             "ec_trust_accounts.rem.env",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ech_ech_cert_other", kEch, kEch, kCert, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_accounts.loc.renv <- ec_deployment.rem",
             "ec_trust_accounts.rem.lenv <- ec_deployment.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_accounts.loc.renv, "
             "ec_trust_accounts.rem.lenv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ech_ece_cert", kEch, kEce, kCert, kOther,
         {
             "ec_certificate_authority.loc",
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_direct.loc.ece.renv <- ec_deployment.rem, ece_installation.renv",
             "ec_trust_direct.rem.ech.lenv <- ec_certificate_authority.loc, ec_deployment.loc",
             "ece_installation.renv",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.loc.ece.renv, "
             "ec_trust_direct.rem.ech.lenv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ech_eck_cert", kEch, kEck, kCert, kOther,
         {
             "ec_certificate_authority.loc",
             "ec_trust_direct.loc.eck.rem <- eck_transport_ca.rem",
             "eck_cloud_trust.rem <- ec_certificate_authority.loc",
             "eck_transport_ca.rem",
             "eck_transport_service.rem",
             "es_remote_cluster.loc.a <- ec_trust_direct.loc.eck.rem, eck_cloud_trust.rem, "
             "eck_transport_service.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ech_self_cert", kEch, kSelf, kCert, kOther,
         {
             "ec_certificate_authority.loc",
             "ec_trust_direct.loc.self.rem <- self_transport_ca.rem",
             "es_remote_cluster.loc.a <- ec_trust_direct.loc.self.rem, self_transport_trust.rem, "
             "self_trust_restrictions.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.rem",
             "self_transport_trust.rem <- ec_certificate_authority.loc",
             "self_trust_restrictions.rem <- ec_certificate_authority.loc, self_transport_ca.rem",
         }),
    Case("ece_ech_cert", kEce, kEch, kCert, kOther,
         {
             "ec_certificate_authority.rem",
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_direct.loc.ech.renv <- ec_certificate_authority.rem, ec_deployment.rem",
             "ec_trust_direct.rem.ece.lenv <- ec_deployment.loc, ece_installation.lenv",
             "ece_installation.lenv",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.loc.ech.renv, "
             "ec_trust_direct.rem.ece.lenv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ece_ece_cert_same", kEce, kEce, kCert, kSame,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_accounts.loc.env <- ec_deployment.rem, ece_installation.env",
             "ec_trust_accounts.rem.env <- ec_deployment.loc, ece_installation.env",
             "ece_installation.env",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_accounts.loc.env, "
             "ec_trust_accounts.rem.env",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ece_ece_cert_other", kEce, kEce, kCert, kOther,
         {
             "ec_deployment.loc",
             "ec_deployment.rem",
             "ec_trust_external.loc.renv <- ec_deployment.rem, ece_trust_relationship.lenv.renv",
             "ec_trust_external.rem.lenv <- ec_deployment.loc, ece_trust_relationship.renv.lenv",
             "ece_installation.lenv",
             "ece_installation.renv",
             "ece_trust_relationship.lenv.renv <- ece_installation.renv",
             "ece_trust_relationship.renv.lenv <- ece_installation.lenv",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_external.loc.renv, "
             "ec_trust_external.rem.lenv, ece_trust_relationship.lenv.renv, "
             "ece_trust_relationship.renv.lenv",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ece_eck_cert", kEce, kEck, kCert, kOther,
         {
             "ec_certificate_authority.loc",
             "ec_trust_direct.loc.eck.rem <- eck_transport_ca.rem",
             "eck_cloud_trust.rem <- ec_certificate_authority.loc",
             "eck_transport_ca.rem",
             "eck_transport_service.rem",
             "es_remote_cluster.loc.a <- ec_trust_direct.loc.eck.rem, eck_cloud_trust.rem, "
             "eck_transport_service.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("ece_self_cert", kEce, kSelf, kCert, kOther,
         {
             "ec_certificate_authority.loc",
             "ec_trust_direct.loc.self.rem <- self_transport_ca.rem",
             "es_remote_cluster.loc.a <- ec_trust_direct.loc.self.rem, self_transport_trust.rem, "
             "self_trust_restrictions.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.rem",
             "self_transport_trust.rem <- ec_certificate_authority.loc",
             "self_trust_restrictions.rem <- ec_certificate_authority.loc, self_transport_ca.rem",
         }),
    Case("eck_ech_cert", kEck, kEch, kCert, kOther,
         {
             "ec_certificate_authority.rem",
             "ec_deployment.rem",
             "ec_trust_direct.rem.eck.loc <- eck_transport_ca.loc",
             "eck_cloud_trust.loc <- ec_certificate_authority.rem",
             "eck_transport_ca.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.rem.eck.loc, "
             "eck_cloud_trust.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("eck_ece_cert", kEck, kEce, kCert, kOther,
         {
             "ec_certificate_authority.rem",
             "ec_deployment.rem",
             "ec_trust_direct.rem.eck.loc <- eck_transport_ca.loc",
             "eck_cloud_trust.loc <- ec_certificate_authority.rem",
             "eck_transport_ca.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.rem.eck.loc, "
             "eck_cloud_trust.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("eck_eck_cert_same", kEck, kEck, kCert, kSame,
         {
             "eck_same_operator_remote.loc.a",
             "es_remote_connection_check.loc.a <- eck_same_operator_remote.loc.a",
             "es_role.loc.reader <- eck_same_operator_remote.loc.a",
             "es_role.rem.reader",
         }),
    Case("eck_eck_cert_other", kEck, kEck, kCert, kOther,
         {
             "eck_transport_ca.loc",
             "eck_transport_ca.rem",
             "eck_transport_service.rem",
             "eck_transport_trust.loc <- eck_transport_ca.rem",
             "eck_transport_trust.rem <- eck_transport_ca.loc",
             "es_remote_cluster.loc.a <- eck_transport_service.rem, eck_transport_trust.loc, "
             "eck_transport_trust.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
         }),
    Case("eck_self_cert", kEck, kSelf, kCert, kOther,
         {
             "eck_transport_ca.loc",
             "eck_transport_trust.loc <- self_transport_ca.rem",
             "es_remote_cluster.loc.a <- eck_transport_trust.loc, self_transport_trust.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.rem",
             "self_transport_trust.rem <- eck_transport_ca.loc",
         }),
    Case("self_ech_cert", kSelf, kEch, kCert, kOther,
         {
             "ec_certificate_authority.rem",
             "ec_deployment.rem",
             "ec_trust_direct.rem.self.loc <- self_transport_ca.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.rem.self.loc, "
             "self_transport_trust.loc, self_trust_restrictions.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.loc",
             "self_transport_trust.loc <- ec_certificate_authority.rem",
             "self_trust_restrictions.loc <- ec_certificate_authority.rem, self_transport_ca.loc",
         }),
    Case("self_ece_cert", kSelf, kEce, kCert, kOther,
         {
             "ec_certificate_authority.rem",
             "ec_deployment.rem",
             "ec_trust_direct.rem.self.loc <- self_transport_ca.loc",
             "es_remote_cluster.loc.a <- ec_deployment.rem, ec_trust_direct.rem.self.loc, "
             "self_transport_trust.loc, self_trust_restrictions.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.loc",
             "self_transport_trust.loc <- ec_certificate_authority.rem",
             "self_trust_restrictions.loc <- ec_certificate_authority.rem, self_transport_ca.loc",
         }),
    Case("self_eck_cert", kSelf, kEck, kCert, kOther,
         {
             "eck_transport_ca.rem",
             "eck_transport_service.rem",
             "eck_transport_trust.rem <- self_transport_ca.loc",
             "es_remote_cluster.loc.a <- eck_transport_service.rem, eck_transport_trust.rem, "
             "self_transport_trust.loc",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.loc",
             "self_transport_trust.loc <- eck_transport_ca.rem",
         }),
    Case("self_self_cert", kSelf, kSelf, kCert, kOther,
         {
             "es_remote_cluster.loc.a <- self_transport_trust.loc, self_transport_trust.rem",
             "es_remote_connection_check.loc.a <- es_remote_cluster.loc.a",
             "es_role.loc.reader <- es_remote_cluster.loc.a",
             "es_role.rem.reader",
             "self_transport_ca.loc",
             "self_transport_ca.rem",
             "self_transport_trust.loc <- self_transport_ca.rem",
             "self_transport_trust.rem <- self_transport_ca.loc",
         }),
};

INSTANTIATE_TEST_SUITE_P(AllCells, ExpandMatrixTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<MatrixCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace crosslink::graph
