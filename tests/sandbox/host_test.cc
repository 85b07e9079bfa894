#include "sandbox/host.h"

#include <gtest/gtest.h>

#include <set>

namespace crosslink::sandbox {
namespace {

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = Host::Create({}, clock_);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  RealClock clock_;
  std::unique_ptr<Host> host_;
};

TEST_F(HostTest, AddressesAreUniqueAndInTheBlock) {
  const std::string prefix = "127." + std::to_string(host_->address_block()) + ".";
  std::set<std::string> seen;
  for (int i = 0; i < 600; ++i) {
    std::string address = host_->AllocateAddress();
    EXPECT_EQ(address.rfind(prefix, 0), 0u) << address;
    EXPECT_NE(address.substr(address.rfind('.')), ".0") << address;
    EXPECT_NE(address.substr(address.rfind('.')), ".255") << address;
    EXPECT_TRUE(seen.insert(address).second) << "handed out twice: " << address;
  }
}

TEST_F(HostTest, SecondSandboxGetsAnotherBlock) {
  auto other = Host::Create({}, clock_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_NE((*other)->address_block(), host_->address_block());
}

TEST_F(HostTest, ClaimingATakenBlockFailsClearly) {
  Host::Options options;
  options.address_block = host_->address_block();
  auto other = Host::Create(options, clock_);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("in use by another sandbox"), std::string::npos)
      << other.status().message();
}

TEST_F(HostTest, DnsResolvesExactNamesThenTheLongestWildcard) {
  host_->AddDnsName("prod-es-remote-cluster.default.svc", "127.1.0.1");
  host_->AddDnsName("*.ech.localhost", "127.1.0.2");
  host_->AddDnsName("*.eu-west-1.ech.localhost", "127.1.0.3");
  EXPECT_EQ(host_->Resolve("prod-es-remote-cluster.default.svc"), "127.1.0.1");
  EXPECT_EQ(host_->Resolve("abc.eu-west-1.ech.localhost"), "127.1.0.3");
  EXPECT_EQ(host_->Resolve("abc.us-east-1.ech.localhost"), "127.1.0.2");
  EXPECT_EQ(host_->Resolve("ech.localhost"), std::nullopt) << "a wildcard needs a label before it";
  EXPECT_EQ(host_->Resolve("127.9.9.9"), "127.9.9.9");
  EXPECT_EQ(host_->Resolve("unknown.svc"), std::nullopt);
  host_->RemoveDnsName("prod-es-remote-cluster.default.svc");
  EXPECT_EQ(host_->Resolve("prod-es-remote-cluster.default.svc"), std::nullopt);
}

TEST_F(HostTest, DialingAnUnknownNameFailsLikeTheJvm) {
  net::DialResult result = host_->Dial("nowhere.svc", 9443, {}, "{}");
  EXPECT_EQ(result.stage, net::DialResult::Stage::kConnect);
  EXPECT_EQ(result.error, "UnknownHostException: nowhere.svc");
}

TEST_F(HostTest, DialingAClosedPortIsRefused) {
  host_->AddDnsName("closed.svc", host_->AllocateAddress());
  net::DialResult result = host_->Dial("closed.svc", 9443, {}, "{}");
  EXPECT_EQ(result.stage, net::DialResult::Stage::kConnect);
  EXPECT_NE(result.error.find("Connection refused"), std::string::npos) << result.error;
}

TEST_F(HostTest, EventsAreTimestampedAndBounded) {
  for (int i = 0; i < 10005; ++i) host_->RecordEvent(Value{{"kind", "restart"}, {"n", i}});
  Value events = host_->Events();
  ASSERT_EQ(events.size(), 10000u);
  EXPECT_EQ(events.back()["n"], 10004);
  EXPECT_TRUE(events.back().contains("time"));
}

TEST_F(HostTest, PublicCaIsACa) {
  auto info = pki::InspectCertificate(host_->public_ca().LeafPem());
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->is_ca);
}

// Issue #7: the organizations of one Elastic Cloud Hosted region share its
// transport CA, made once.
TEST_F(HostTest, SharedCaIsMadeOnceAndSharedByName) {
  int made = 0;
  auto create = [&]() {
    ++made;
    pki::CertificateSpec spec;
    spec.is_ca = true;
    spec.common_name = "shared";
    return pki::CreateCa(spec);
  };
  auto first = host_->SharedCa("ECH eu-west-1 transport CA", create);
  auto second = host_->SharedCa("ECH eu-west-1 transport CA", create);
  auto other = host_->SharedCa("ECH us-east-1 transport CA", create);
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_NE(first->get(), other->get());
  EXPECT_EQ(made, 2);
}

}  // namespace
}  // namespace crosslink::sandbox
