// The pki provider inside the real planner and apply engine: the remote
// cluster server (served here by the fake provider, as the "self" platform)
// references the certificate's `fingerprint` and takes the keystore and its
// password as secret inputs. A certificate entering its renewal window is
// re-issued by the same CA, and the server is updated with the new
// fingerprint in the same run; the next plan is empty.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "engine/plan/planner.h"
#include "providers/fake/fake_provider.h"
#include "providers/pki/pki_provider.h"
#include "state/backend.h"

namespace crosslink::providers::pki {
namespace {

constexpr const char* kCert = "self_rcs_certificate.logs";
constexpr const char* kServer = "self_remote_cluster_server.logs";

class NullBackend : public state::Backend {
 public:
  std::string Describe() const override { return "null"; }
  Result<std::unique_ptr<state::StateLock>> Lock(state::LockInfo) override {
    return Status::Internal("unused");
  }
  Result<std::optional<state::LockInfo>> LockHolder() override {
    return std::optional<state::LockInfo>();
  }
  Status ForceUnlock(const std::string&) override { return Status::Ok(); }
  Result<state::State> Load() override { return state::State(); }
  Status RecordUpsert(const state::ResourceState&) override { return Status::Ok(); }
  Status RecordRemove(const std::string&) override { return Status::Ok(); }
  Status Persist(state::State&) override { return Status::Ok(); }
};

class PkiEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = NewPkiProvider(PkiProviderOptions{});
    ConfigureRequest cfg;
    cfg.clock = &clock_;
    ASSERT_TRUE(pki_->Configure(cfg).ok());
    providers_.Add(pki_.get());
    providers_.Add(&self_);

    graph::ResourceSpec cert;
    cert.address = kCert;
    cert.type = kRcsCertificateType;
    cert.provider = "pki";
    cert.cluster = "logs";
    cert.attributes = Value{{"common_name", "logs-remote-cluster-server"},
                            {"subject_alt_names", {"node-0.logs.example.com", "10.0.0.5"}}};
    graph::ResourceSpec server;
    server.address = kServer;
    server.type = "self_remote_cluster_server";
    server.provider = "self";
    server.cluster = "logs";
    server.restarts_cluster = true;
    server.attributes = Value{{"port", 9443},
                              {"keystore_path", "crosslink/remote-cluster-server.p12"},
                              {"certificate_fingerprint", graph::MakeRef(kCert, "fingerprint")}};
    server.secret_inputs["keystore"] = graph::Reference{kCert, "keystore_p12"};
    server.secret_inputs["keystore_password"] = graph::Reference{kCert, "keystore_password"};
    specs_ = {cert, server};
    self_.LearnOutputs(specs_);
    opts_.jitter_seed = 7;
  }

  plan::Plan MustPlan() {
    Result<plan::Plan> p = plan::MakePlan(specs_, state_, providers_, plan::PlanOptions{});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return plan::Plan();
    EXPECT_FALSE(p->diagnostics.has_errors()) << p->diagnostics.ToString();
    return *p;
  }

  void MustApply(const plan::Plan& p) {
    apply::ApplySummary s = apply::Apply(p, state_, backend_, providers_, clock_, opts_, nullptr);
    EXPECT_TRUE(s.ok()) << (s.failures.empty() ? "skipped changes" : s.failures[0].message);
  }

  static const plan::ResourceChange* Change(const plan::Plan& p, const std::string& address) {
    for (const plan::ResourceChange& c : p.changes) {
      if (c.address == address) return &c;
    }
    return nullptr;
  }

  std::string Fingerprint() const {
    return state_.Find(kCert)->outputs.value("fingerprint", std::string());
  }
  std::string ServerFingerprint() const {
    return state_.Find(kServer)->attributes.value("certificate_fingerprint", std::string());
  }

  FakeClock clock_;
  std::unique_ptr<Provider> pki_;
  fake::FakeProvider self_{"self"};
  ProviderSet providers_;
  std::vector<graph::ResourceSpec> specs_;
  state::State state_;
  NullBackend backend_;
  apply::ApplyOptions opts_;
};

TEST_F(PkiEngineTest, RenewalReissuesWithSameCaAndUpdatesTheServer) {
  plan::Plan first = MustPlan();
  ASSERT_NE(Change(first, kCert), nullptr);
  EXPECT_EQ(Change(first, kCert)->action, ChangeAction::kCreate);
  EXPECT_EQ(Change(first, kServer)->action, ChangeAction::kCreate);
  MustApply(first);
  ASSERT_NE(state_.Find(kCert), nullptr);
  ASSERT_NE(state_.Find(kServer), nullptr);
  const std::string fp1 = Fingerprint();
  const Value ca1 = state_.Find(kCert)->outputs["ca_pems"];
  EXPECT_FALSE(fp1.empty());
  EXPECT_EQ(ServerFingerprint(), fp1);
  EXPECT_EQ(state_.Find(kCert)->sensitive_outputs.count("keystore_p12"), 1u);

  plan::Plan again = MustPlan();
  EXPECT_FALSE(again.HasChanges());

  // Into the renewal window.
  Result<crosslink::pki::CertificateInfo> info = crosslink::pki::InspectCertificate(
      state_.Find(kCert)->outputs["certificate_pem"].get<std::string>());
  ASSERT_TRUE(info.ok());
  auto target = info->not_after - std::chrono::hours(24 * 10);
  clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(target - clock_.WallNow()));

  plan::Plan renew = MustPlan();
  const plan::ResourceChange* cert = Change(renew, kCert);
  const plan::ResourceChange* server = Change(renew, kServer);
  ASSERT_TRUE(cert && server);
  EXPECT_EQ(cert->action, ChangeAction::kUpdate);
  EXPECT_NE(cert->reason.find("certificate expires " + FormatUtc(info->not_after).substr(0, 10) +
                              " (within 30 days)"),
            std::string::npos)
      << cert->reason;
  EXPECT_EQ(server->action, ChangeAction::kUpdate);
  MustApply(renew);

  const std::string fp2 = Fingerprint();
  EXPECT_NE(fp2, fp1);
  EXPECT_EQ(state_.Find(kCert)->outputs["ca_pems"], ca1);
  EXPECT_EQ(ServerFingerprint(), fp2);

  plan::Plan settled = MustPlan();
  EXPECT_FALSE(settled.HasChanges());
}

}  // namespace
}  // namespace crosslink::providers::pki
