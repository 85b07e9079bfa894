// remote_cluster_certificate of a self-managed cluster: what the model holds
// (only the fields given, defaults from the schema), the enum and ranges the
// schema checks, and the renewal-window check with its file:line and field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/topology/loader.h"

namespace crosslink::topology {
namespace {

using ::testing::HasSubstr;

class RemoteClusterCertificateTest : public ::testing::Test {
 protected:
  // A self-managed cluster "onprem" whose body ends with `block` (already
  // indented by four spaces).
  std::optional<Topology> Load(const std::string& block) {
    diags_ = Diagnostics();
    std::string yaml =
        "version: 1\n"
        "clusters:\n"
        "  onprem:\n"
        "    platform: self\n"
        "    url: https://es1.example.com:9200\n" +
        block;
    return LoadTopologyString(yaml, "topo.yaml", &diags_);
  }
  Diagnostics diags_;
};

TEST_F(RemoteClusterCertificateTest, AbsentBlockLeavesNothingSet) {
  std::optional<Topology> t = Load("");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty()) << diags_.ToString();
  EXPECT_FALSE(t->FindCluster("onprem")->remote_cluster_certificate.has_value());
}

TEST_F(RemoteClusterCertificateTest, EveryFieldIsRead) {
  std::optional<Topology> t = Load(
      "    remote_cluster_certificate:\n"
      "      key_type: rsa-3072\n"
      "      validity_days: 90\n"
      "      ca_validity_days: 730\n"
      "      renew_before_days: 14\n");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty()) << diags_.ToString();
  const auto& rc = t->FindCluster("onprem")->remote_cluster_certificate;
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(rc->key_type, "rsa-3072");
  EXPECT_EQ(rc->validity_days, 90);
  EXPECT_EQ(rc->ca_validity_days, 730);
  EXPECT_EQ(rc->renew_before_days, 14);
  EXPECT_EQ(rc->EffectiveKeyType(), "rsa-3072");
  EXPECT_EQ(rc->location.ToString(), "topo.yaml:7:7");
}

TEST_F(RemoteClusterCertificateTest, FieldsLeftOutStayUnsetWithSchemaDefaults) {
  std::optional<Topology> t = Load(
      "    remote_cluster_certificate:\n"
      "      key_type: ec-p384\n");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty()) << diags_.ToString();
  const auto& rc = t->FindCluster("onprem")->remote_cluster_certificate;
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(rc->key_type, "ec-p384");
  EXPECT_FALSE(rc->validity_days.has_value());
  EXPECT_FALSE(rc->ca_validity_days.has_value());
  EXPECT_FALSE(rc->renew_before_days.has_value());
  EXPECT_EQ(rc->EffectiveValidityDays(), 365);
  EXPECT_EQ(rc->EffectiveCaValidityDays(), 1095);
  EXPECT_EQ(rc->EffectiveRenewBeforeDays(), 30);

  RemoteClusterCertificate empty;
  EXPECT_EQ(empty.EffectiveKeyType(), "ec-p256");
}

TEST_F(RemoteClusterCertificateTest, EmptyBlockIsPresentWithDefaults) {
  std::optional<Topology> t = Load("    remote_cluster_certificate: {}\n");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  const auto& rc = t->FindCluster("onprem")->remote_cluster_certificate;
  ASSERT_TRUE(rc.has_value());
  EXPECT_FALSE(rc->key_type.has_value());
  EXPECT_EQ(rc->EffectiveKeyType(), "ec-p256");
}

TEST_F(RemoteClusterCertificateTest, UnknownKeyTypeIsRejectedWithTheChoices) {
  Load(
      "    remote_cluster_certificate:\n"
      "      key_type: rsa-1024\n");
  ASSERT_EQ(diags_.error_count(), 1u) << diags_.ToString();
  const Diagnostic& d = diags_.items()[0];
  EXPECT_EQ(d.path, "clusters.onprem.remote_cluster_certificate.key_type");
  EXPECT_EQ(d.location.ToString(), "topo.yaml:7:17");
  EXPECT_THAT(d.summary, HasSubstr("rsa-1024"));
  EXPECT_THAT(d.hint, HasSubstr("ec-p256"));
  EXPECT_THAT(d.hint, HasSubstr("rsa-4096"));
}

TEST_F(RemoteClusterCertificateTest, WrongTypesAndRangesAreSchemaErrors) {
  Load(
      "    remote_cluster_certificate:\n"
      "      validity_days: \"90\"\n"
      "      ca_validity_days: 0\n"
      "      colour: blue\n");
  EXPECT_EQ(diags_.error_count(), 3u) << diags_.ToString();
  std::string all = diags_.ToString();
  EXPECT_THAT(all, HasSubstr("clusters.onprem.remote_cluster_certificate.validity_days"));
  EXPECT_THAT(all, HasSubstr("clusters.onprem.remote_cluster_certificate.ca_validity_days"));
  EXPECT_THAT(all, HasSubstr("colour"));
  EXPECT_THAT(all, HasSubstr("at least 1"));
}

TEST_F(RemoteClusterCertificateTest, RenewBeforeAtLeastValidityIsAnError) {
  std::optional<Topology> t = Load(
      "    remote_cluster_certificate:\n"
      "      validity_days: 30\n"
      "      renew_before_days: 30\n");
  EXPECT_FALSE(t.has_value());
  ASSERT_EQ(diags_.error_count(), 1u) << diags_.ToString();
  const Diagnostic& d = diags_.items()[0];
  EXPECT_EQ(d.path, "clusters.onprem.remote_cluster_certificate.renew_before_days");
  EXPECT_EQ(d.location.ToString(), "topo.yaml:8:7");
  EXPECT_THAT(d.summary, HasSubstr("renew_before_days (30) must be less than validity_days (30)"));
  EXPECT_THAT(d.hint, HasSubstr("lower renew_before_days"));
}

TEST_F(RemoteClusterCertificateTest, ShortValidityAgainstTheDefaultWindowNamesValidity) {
  Load(
      "    remote_cluster_certificate:\n"
      "      validity_days: 20\n");
  ASSERT_EQ(diags_.error_count(), 1u) << diags_.ToString();
  const Diagnostic& d = diags_.items()[0];
  EXPECT_EQ(d.path, "clusters.onprem.remote_cluster_certificate.validity_days");
  EXPECT_EQ(d.location.ToString(), "topo.yaml:7:7");
  EXPECT_THAT(d.summary, HasSubstr("renew_before_days (30, the default) must be less than "
                                   "validity_days (20)"));
}

TEST_F(RemoteClusterCertificateTest, RenewBeforeAtLeastCaValidityIsAnError) {
  Load(
      "    remote_cluster_certificate:\n"
      "      validity_days: 400\n"
      "      ca_validity_days: 200\n"
      "      renew_before_days: 300\n");
  ASSERT_EQ(diags_.error_count(), 1u) << diags_.ToString();
  EXPECT_EQ(diags_.items()[0].path, "clusters.onprem.remote_cluster_certificate.renew_before_days");
  EXPECT_THAT(diags_.items()[0].summary, HasSubstr("ca_validity_days (200)"));
  EXPECT_THAT(diags_.items()[0].summary, HasSubstr("the CA"));
}

TEST_F(RemoteClusterCertificateTest, OnlyForSelfManagedClusters) {
  diags_ = Diagnostics();
  LoadTopologyString(
      "version: 1\n"
      "environments:\n"
      "  k8s: { platform: eck }\n"
      "clusters:\n"
      "  logs:\n"
      "    environment: k8s\n"
      "    remote_cluster_certificate: { key_type: rsa-2048 }\n",
      "topo.yaml", &diags_);
  ASSERT_EQ(diags_.error_count(), 1u) << diags_.ToString();
  EXPECT_EQ(diags_.items()[0].path, "clusters.logs.remote_cluster_certificate");
  EXPECT_THAT(diags_.items()[0].summary, HasSubstr("does not apply to an eck cluster"));
}

}  // namespace
}  // namespace crosslink::topology
