// Tests of the "pki" provider (providers/pki/pki_provider.h): the issued
// certificates are checked with OpenSSL's own verification (chain, host and
// IP matching, key usage, validity) and the PKCS#12 is opened with OpenSSL
// directly, not only through crosslink::pki; plans for expiry, name changes
// and damaged state use a FakeClock; secrets never reach non-sensitive text.

#include "providers/pki/pki_provider.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "engine/core/secret.h"

namespace crosslink::providers::pki {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using SysTime = std::chrono::system_clock::time_point;

constexpr const char* kAddress = "self_rcs_certificate.logs";
constexpr hours kDay{24};

// ------------------------------------------------------------ OpenSSL helpers

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;

X509Ptr ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string Sha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

// X509_verify_cert of `leaf` against the single trusted `ca`, for the SSL
// server purpose, at `at` (nullopt: now). Returns the verify error code.
int Verify(X509* leaf, X509* ca, std::optional<SysTime> at = std::nullopt) {
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (at) X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(*at));
  int ok = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

SysTime NotAfter(X509* cert) {
  struct tm tm = {};
  ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}
SysTime NotBefore(X509* cert) {
  struct tm tm = {};
  ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

struct OpenedP12 {
  KeyPtr key;
  X509Ptr cert;
  std::vector<X509Ptr> cas;
};

// Opens a base64 PKCS#12 with OpenSSL's own parser; nullopt when it cannot.
std::optional<OpenedP12> OpenP12(const std::string& b64, const std::string& password) {
  std::optional<std::string> der = http::Base64Decode(b64);
  if (!der) return std::nullopt;
  BioPtr bio(BIO_new_mem_buf(der->data(), static_cast<int>(der->size())));
  P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) return std::nullopt;
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* cas = nullptr;
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &cas) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  OpenedP12 out;
  out.key.reset(key);
  out.cert.reset(cert);
  for (int i = 0; cas != nullptr && i < sk_X509_num(cas); ++i) {
    X509* c = sk_X509_value(cas, i);
    X509_up_ref(c);
    out.cas.emplace_back(c);
  }
  sk_X509_pop_free(cas, X509_free);
  return out;
}

// ------------------------------------------------------------ fixture

Value Attrs(std::vector<std::string> sans, std::string cn = "logs-remote-cluster-server") {
  Value list = Value::array();
  for (const std::string& s : sans) list.push_back(s);
  return Value{{"common_name", cn}, {"subject_alt_names", list}};
}

const std::vector<std::string> kSans = {"node-0.logs.example.com", "node-1.logs.example.com",
                                        "10.0.0.5", "2001:db8::7", "rcs.logs.example.com"};

class PkiProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The run starts at the system time (as outside tests); tests move it.
    SetNow(std::chrono::system_clock::now());
    Init(PkiProviderOptions{});
  }

  void Init(PkiProviderOptions options) {
    provider_ = NewPkiProvider(options);
    ConfigureRequest cfg;
    cfg.clock = &clock_;
    ASSERT_TRUE(provider_->Configure(cfg).ok());
  }

  graph::ResourceSpec Spec(Value attributes) const {
    graph::ResourceSpec s;
    s.address = kAddress;
    s.type = kRcsCertificateType;
    s.provider = "pki";
    s.cluster = "logs";
    s.attributes = std::move(attributes);
    return s;
  }

  // Creates the certificate and returns its state, as apply would record it.
  state::ResourceState CreateState(const Value& attributes) {
    graph::ResourceSpec spec = Spec(attributes);
    ApplyRequest req;
    req.desired = &spec;
    req.attributes = attributes;
    ApplyResponse resp = provider_->Create(req);
    EXPECT_TRUE(resp.status.ok()) << resp.status.ToString();
    return ToState(spec, resp.result, attributes);
  }

  static state::ResourceState ToState(const graph::ResourceSpec& spec, const LiveObject& obj,
                                      const Value& attributes) {
    state::ResourceState rs;
    rs.address = spec.address;
    rs.type = spec.type;
    rs.provider = spec.provider;
    rs.cluster = spec.cluster;
    rs.attributes = attributes;
    rs.outputs = obj.outputs;
    rs.sensitive_outputs = obj.sensitive_outputs;
    return rs;
  }

  // Read then Plan, as the planner does with refresh on.
  PlanResponse PlanFor(const state::ResourceState& prior, const Value& desired_attrs,
                       LiveObject* live_out = nullptr) {
    graph::ResourceSpec spec = Spec(desired_attrs);
    ReadRequest rr;
    rr.cluster = "logs";
    rr.items.push_back(ReadItem{kAddress, kRcsCertificateType, &spec, &prior});
    ReadResponse read = provider_->Read(rr);
    EXPECT_TRUE(read.status.ok());
    EXPECT_EQ(read.objects.count(kAddress), 1u);
    LiveObject live = read.objects[kAddress];
    PlanRequest pr;
    pr.desired = &spec;
    pr.prior = &prior;
    pr.live = &live;
    pr.attributes = desired_attrs;
    PlanResponse plan = provider_->Plan(pr);
    if (live_out != nullptr) *live_out = live;
    return plan;
  }

  ApplyResponse UpdateFrom(const state::ResourceState& prior, const Value& attrs) {
    graph::ResourceSpec spec = Spec(attrs);
    ApplyRequest req;
    req.desired = &spec;
    req.prior = &prior;
    req.attributes = attrs;
    return provider_->Update(req);
  }

  // Moves the fake clock to `t` (it only moves forward).
  void SetNow(SysTime t) {
    auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock_.WallNow());
    ASSERT_GT(delta.count(), 0) << "the fake clock cannot go back";
    clock_.Advance(delta);
  }

  static std::string Out(const state::ResourceState& rs, const char* key) {
    return rs.outputs.value(key, std::string());
  }
  static std::string CaPem(const state::ResourceState& rs) {
    return rs.outputs.at("ca_pems").at(0).get<std::string>();
  }
  static std::string Sensitive(const state::ResourceState& rs, const char* key) {
    auto it = rs.sensitive_outputs.find(key);
    return it == rs.sensitive_outputs.end() ? "" : it->second.expose();
  }

  FakeClock clock_;
  std::unique_ptr<Provider> provider_;
};

// ------------------------------------------------------------ issuing

TEST_F(PkiProviderTest, CreateIssuesServerCertificateThatVerifiesAgainstTheCa) {
  state::ResourceState rs = CreateState(Attrs(kSans));
  ASSERT_TRUE(rs.outputs.contains("ca_pems"));
  ASSERT_EQ(rs.outputs["ca_pems"].size(), 1u);
  X509Ptr ca = ParseCert(CaPem(rs));
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  ASSERT_TRUE(ca && leaf);

  EXPECT_EQ(Verify(leaf.get(), ca.get()), X509_V_OK);
  // Another CA does not verify it (the check can fail).
  Result<crosslink::pki::Identity> other =
      crosslink::pki::CreateCa(crosslink::pki::CertificateSpec{.common_name = "other CA"});
  ASSERT_TRUE(other.ok());
  X509Ptr other_ca = ParseCert(other->chain_pem);
  EXPECT_NE(Verify(leaf.get(), other_ca.get()), X509_V_OK);

  // Subject and SANs as OpenSSL's TLS hostname/IP checks see them.
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(leaf.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "logs-remote-cluster-server");
  for (const char* host : {"node-0.logs.example.com", "node-1.logs.example.com",
                           "rcs.logs.example.com", "NODE-0.logs.example.com"}) {
    EXPECT_EQ(X509_check_host(leaf.get(), host, 0, 0, nullptr), 1) << host;
  }
  EXPECT_EQ(X509_check_host(leaf.get(), "node-2.logs.example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.0.0.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "2001:db8::7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.0.0.6", 0), 0);
  // An IP literal is not issued as a DNS name.
  EXPECT_EQ(X509_check_host(leaf.get(), "10.0.0.5", 0, 0, nullptr), 0);

  // Usage: a TLS server and client (as certutil issues), not a CA.
  uint32_t eku = X509_get_extended_key_usage(leaf.get());
  EXPECT_TRUE(eku & XKU_SSL_SERVER);
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  EXPECT_TRUE(X509_get_key_usage(leaf.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_GE(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);

  // Validity: the leaf one year, the CA three; verification fails after the leaf expires.
  auto leaf_days = (NotAfter(leaf.get()) - NotBefore(leaf.get())) / kDay;
  auto ca_days = (NotAfter(ca.get()) - NotBefore(ca.get())) / kDay;
  EXPECT_EQ(leaf_days, 365);
  EXPECT_EQ(ca_days, 3 * 365);
  EXPECT_EQ(Verify(leaf.get(), ca.get(), NotAfter(leaf.get()) + kDay), X509_V_ERR_CERT_HAS_EXPIRED);

  // Outputs: fingerprints as OpenSSL computes them, dates in ISO-8601.
  EXPECT_EQ(Out(rs, "fingerprint"), Sha256(leaf.get()));
  EXPECT_EQ(Out(rs, "ca_fingerprint"), Sha256(ca.get()));
  EXPECT_EQ(Out(rs, "not_after"), FormatUtc(NotAfter(leaf.get())));
  EXPECT_EQ(Out(rs, "ca_not_after"), FormatUtc(NotAfter(ca.get())));
}

TEST_F(PkiProviderTest, KeystoreOpensWithItsPasswordAndHoldsKeyCertificateAndCa) {
  state::ResourceState rs = CreateState(Attrs(kSans));
  std::string password = Sensitive(rs, "keystore_password");
  ASSERT_EQ(password.size(), 32u);
  for (char c : password) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;

  std::optional<OpenedP12> p12 = OpenP12(Sensitive(rs, "keystore_p12"), password);
  ASSERT_TRUE(p12.has_value());
  ASSERT_TRUE(p12->key && p12->cert);
  EXPECT_EQ(X509_check_private_key(p12->cert.get(), p12->key.get()), 1);
  EXPECT_EQ(Sha256(p12->cert.get()), Out(rs, "fingerprint"));
  ASSERT_EQ(p12->cas.size(), 1u);
  EXPECT_EQ(Sha256(p12->cas[0].get()), Out(rs, "ca_fingerprint"));
  EXPECT_EQ(Verify(p12->cert.get(), p12->cas[0].get()), X509_V_OK);

  EXPECT_FALSE(OpenP12(Sensitive(rs, "keystore_p12"), password + "x").has_value());
  // The CA key is kept and is the CA's.
  EXPECT_TRUE(
      crosslink::pki::KeyMatchesCertificate(CaPem(rs), Secret(Sensitive(rs, "ca_key_pem"))));
}

TEST_F(PkiProviderTest, EveryCreateHasItsOwnCaAndPassword) {
  state::ResourceState a = CreateState(Attrs(kSans));
  state::ResourceState b = CreateState(Attrs(kSans));
  EXPECT_NE(Out(a, "ca_fingerprint"), Out(b, "ca_fingerprint"));
  EXPECT_NE(Sensitive(a, "keystore_password"), Sensitive(b, "keystore_password"));
}

TEST_F(PkiProviderTest, OtherNamesAreIssuedWhenAsked) {
  Value attrs = Attrs({"node-0.logs.example.com"});
  attrs["other_names"] = Value::array({"node-0.node.logs.cluster.prod.account"});
  state::ResourceState rs = CreateState(attrs);
  Result<crosslink::pki::CertificateInfo> info =
      crosslink::pki::InspectCertificate(Out(rs, "certificate_pem"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->other_names, std::vector<std::string>{"node-0.node.logs.cluster.prod.account"});
  EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kNoOp);
  Value changed = attrs;
  changed["other_names"] = Value::array({"node-1.node.logs.cluster.prod.account"});
  PlanResponse plan = PlanFor(rs, changed);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_NE(plan.reason.find("other_names changed"), std::string::npos) << plan.reason;
}

TEST_F(PkiProviderTest, InvalidNamesAreRejectedWithTheAddress) {
  Value bad = Attrs({"node-0.example.com", "bad host!"});
  graph::ResourceSpec spec = Spec(bad);
  ApplyRequest req;
  req.desired = &spec;
  req.attributes = bad;
  ApplyResponse resp = provider_->Create(req);
  EXPECT_EQ(resp.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(resp.status.message().find(kAddress), std::string::npos);
  EXPECT_NE(resp.status.message().find("bad host!"), std::string::npos);

  PlanRequest pr;
  pr.desired = &spec;
  pr.attributes = bad;
  PlanResponse plan = provider_->Plan(pr);
  EXPECT_TRUE(plan.diagnostics.has_errors());

  for (Value v : {Attrs({"a..b"}), Attrs({"x.*.example.com"}), Attrs({"ok.example.com"}, ""),
                  Value{{"common_name", "x"}}, Attrs({"ok.example.com"}, std::string(65, 'c'))}) {
    req.attributes = v;
    EXPECT_EQ(provider_->Create(req).status.code(), StatusCode::kInvalidArgument) << v.dump();
  }
  req.attributes = Attrs({"*.logs.example.com", "[::1]"});
  EXPECT_TRUE(provider_->Create(req).status.ok());
}

// ------------------------------------------------------------ read and plan

TEST_F(PkiProviderTest, ReadReportsTheStoredCertificateAndPlanIsEmpty) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  LiveObject live;
  PlanResponse plan = PlanFor(rs, attrs, &live);
  EXPECT_EQ(plan.action, ChangeAction::kNoOp) << plan.reason;
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.attributes, attrs);
  EXPECT_EQ(live.outputs, rs.outputs);
  EXPECT_TRUE(live.sensitive_outputs.empty());

  // Same names in another order, another case, bracketed IPv6: no change.
  Value reordered = Attrs({"rcs.logs.example.com", "[2001:db8::7]", "10.0.0.5",
                           "NODE-1.logs.example.com", "node-0.logs.example.com"});
  EXPECT_EQ(PlanFor(rs, reordered).action, ChangeAction::kNoOp);

  // Not in state: does not exist, create.
  graph::ResourceSpec spec = Spec(attrs);
  ReadRequest rr;
  rr.items.push_back(ReadItem{kAddress, kRcsCertificateType, &spec, nullptr});
  ReadResponse read = provider_->Read(rr);
  ASSERT_EQ(read.objects.count(kAddress), 1u);
  EXPECT_FALSE(read.objects[kAddress].exists);
  PlanRequest pr;
  pr.desired = &spec;
  pr.live = &read.objects[kAddress];
  pr.attributes = attrs;
  EXPECT_EQ(provider_->Plan(pr).action, ChangeAction::kCreate);

  // Not desired any more: delete, which touches nothing outside state.
  PlanRequest gone;
  gone.prior = &rs;
  EXPECT_EQ(provider_->Plan(gone).action, ChangeAction::kDelete);
  ApplyRequest del;
  del.prior = &rs;
  EXPECT_TRUE(provider_->Delete(del).status.ok());
}

TEST_F(PkiProviderTest, SubjectAltNameChangePlansReissueBySameCa) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  std::vector<std::string> more = kSans;
  more.push_back("node-2.logs.example.com");
  more.push_back("10.0.0.9");
  Value wanted = Attrs(more);
  LiveObject live;
  PlanResponse plan = PlanFor(rs, wanted, &live);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_NE(plan.reason.find("subject_alt_names changed"), std::string::npos) << plan.reason;
  EXPECT_NE(plan.reason.find("+ node-2.logs.example.com"), std::string::npos) << plan.reason;
  EXPECT_NE(plan.reason.find("+ 10.0.0.9"), std::string::npos) << plan.reason;
  // Dependents referencing the fingerprint must see it change.
  EXPECT_FALSE(live.outputs.contains("fingerprint"));
  EXPECT_TRUE(live.outputs.contains("ca_pems"));

  ApplyResponse up = UpdateFrom(rs, wanted);
  ASSERT_TRUE(up.status.ok()) << up.status.ToString();
  state::ResourceState next = ToState(Spec(wanted), up.result, wanted);
  EXPECT_NE(Out(next, "fingerprint"), Out(rs, "fingerprint"));
  EXPECT_EQ(next.outputs["ca_pems"], rs.outputs["ca_pems"]);
  EXPECT_EQ(Out(next, "ca_fingerprint"), Out(rs, "ca_fingerprint"));
  X509Ptr leaf = ParseCert(Out(next, "certificate_pem"));
  X509Ptr old_ca = ParseCert(CaPem(rs));
  EXPECT_EQ(Verify(leaf.get(), old_ca.get()), X509_V_OK);
  EXPECT_EQ(X509_check_host(leaf.get(), "node-2.logs.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.0.0.9", 0), 1);
  EXPECT_EQ(PlanFor(next, wanted).action, ChangeAction::kNoOp);

  // The common name too.
  PlanResponse cn = PlanFor(next, Attrs(more, "other-name"));
  EXPECT_EQ(cn.action, ChangeAction::kUpdate);
  EXPECT_NE(cn.reason.find("common_name changed"), std::string::npos) << cn.reason;
}

TEST_F(PkiProviderTest, CertificateExpiringWithinWindowIsReissuedBySameCa) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  const SysTime not_after = NotAfter(leaf.get());

  SetNow(not_after - 31 * kDay);
  EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kNoOp);

  SetNow(not_after - 29 * kDay);
  LiveObject live;
  PlanResponse plan = PlanFor(rs, attrs, &live);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  std::string want =
      "certificate expires " + FormatUtc(not_after).substr(0, 10) + " (within 30 days)";
  EXPECT_NE(plan.reason.find(want), std::string::npos) << plan.reason;
  EXPECT_FALSE(live.outputs.contains("fingerprint"));
  EXPECT_FALSE(live.outputs.contains("not_after"));

  ApplyResponse up = UpdateFrom(rs, attrs);
  ASSERT_TRUE(up.status.ok()) << up.status.ToString();
  state::ResourceState next = ToState(Spec(attrs), up.result, attrs);
  EXPECT_NE(Out(next, "fingerprint"), Out(rs, "fingerprint"));
  EXPECT_EQ(Out(next, "ca_fingerprint"), Out(rs, "ca_fingerprint"));
  EXPECT_EQ(Sensitive(next, "ca_key_pem"), Sensitive(rs, "ca_key_pem"));
  // The password is kept: the node needs only the new file.
  EXPECT_EQ(Sensitive(next, "keystore_password"), Sensitive(rs, "keystore_password"));
  std::optional<OpenedP12> p12 =
      OpenP12(Sensitive(next, "keystore_p12"), Sensitive(next, "keystore_password"));
  ASSERT_TRUE(p12.has_value());
  EXPECT_EQ(Sha256(p12->cert.get()), Out(next, "fingerprint"));
  // Verified at the run's time: the re-issue is dated from the run's clock
  // only (29 days before the old certificate's end), not the system time.
  X509Ptr old_ca = ParseCert(CaPem(rs));
  EXPECT_EQ(Verify(p12->cert.get(), old_ca.get(), clock_.WallNow()), X509_V_OK);
  X509Ptr renewed = ParseCert(Out(next, "certificate_pem"));
  // A full validity again from the run's time of the re-issue, and no more.
  EXPECT_EQ((NotAfter(renewed.get()) - (not_after - 29 * kDay)) / kDay, 365);
  EXPECT_LE(std::chrono::abs(NotBefore(renewed.get()) - (not_after - 29 * kDay - hours(1))),
            seconds(2));
  EXPECT_EQ(Out(next, "not_after"), FormatUtc(NotAfter(renewed.get())));

  // Already expired: still an update, with the past tense.
  SetNow(not_after + kDay);
  PlanResponse expired = PlanFor(rs, attrs);
  EXPECT_EQ(expired.action, ChangeAction::kUpdate);
  EXPECT_NE(expired.reason.find("certificate expired " + FormatUtc(not_after).substr(0, 10)),
            std::string::npos)
      << expired.reason;
}

// The run's clock is the only source of dates: with a clock far from the
// system time, the CA and certificate are valid from an hour before the
// run's time for exactly their validity (expiry is judged against that
// clock too), and they verify at the run's time.
TEST_F(PkiProviderTest, DatesComeFromTheRunsClockOnly) {
  SetNow(std::chrono::system_clock::now() + 5 * 365 * kDay);
  const SysTime run = std::chrono::floor<seconds>(clock_.WallNow());
  state::ResourceState rs = CreateState(Attrs(kSans));
  X509Ptr ca = ParseCert(CaPem(rs));
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  ASSERT_TRUE(ca && leaf);
  for (X509* cert : {ca.get(), leaf.get()}) {
    // Whole seconds; the issue may straddle a second of the system time.
    EXPECT_LE(std::chrono::abs(NotBefore(cert) - (run - hours(1))), seconds(2));
  }
  EXPECT_LE(std::chrono::abs(NotAfter(leaf.get()) - (run + 365 * kDay)), seconds(2));
  EXPECT_LE(std::chrono::abs(NotAfter(ca.get()) - (run + 3 * 365 * kDay)), seconds(2));
  EXPECT_EQ(Verify(leaf.get(), ca.get(), clock_.WallNow()), X509_V_OK);
  // Not yet valid at the system time: nothing was widened to cover it.
  EXPECT_EQ(Verify(leaf.get(), ca.get()), X509_V_ERR_CERT_NOT_YET_VALID);
  EXPECT_EQ(PlanFor(rs, Attrs(kSans)).action, ChangeAction::kNoOp);
}

TEST_F(PkiProviderTest, RenewalWindowIsConfigurable) {
  PkiProviderOptions opts;
  opts.renew_before = 90 * kDay;
  Init(opts);
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  SetNow(NotAfter(leaf.get()) - 60 * kDay);
  PlanResponse plan = PlanFor(rs, attrs);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_NE(plan.reason.find("(within 90 days)"), std::string::npos) << plan.reason;
}

// ------------------------------------------------------------ key type and validity

// `attrs` plus the remote_cluster_certificate settings in `extra`.
Value With(Value attrs, const Value& extra) {
  for (auto it = extra.begin(); it != extra.end(); ++it) attrs[it.key()] = it.value();
  return attrs;
}

std::string KeyKind(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  std::string type = EVP_PKEY_is_a(key, "RSA") ? "RSA" : EVP_PKEY_is_a(key, "EC") ? "EC" : "?";
  return type + "-" + std::to_string(EVP_PKEY_get_bits(key));
}

TEST_F(PkiProviderTest, KeyTypeAndValiditiesComeFromTheAttributes) {
  const SysTime run = std::chrono::floor<seconds>(clock_.WallNow());
  Value attrs = With(Attrs(kSans), Value{{"key_type", "rsa-2048"},
                                         {"validity_days", 90},
                                         {"ca_validity_days", 200},
                                         {"renew_before_days", 10}});
  state::ResourceState rs = CreateState(attrs);
  X509Ptr ca = ParseCert(CaPem(rs));
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  ASSERT_TRUE(ca && leaf);
  EXPECT_EQ(KeyKind(ca.get()), "RSA-2048");
  EXPECT_EQ(KeyKind(leaf.get()), "RSA-2048");
  EXPECT_LE(std::chrono::abs(NotAfter(leaf.get()) - (run + 90 * kDay)), seconds(2));
  EXPECT_LE(std::chrono::abs(NotAfter(ca.get()) - (run + 200 * kDay)), seconds(2));
  EXPECT_EQ(Verify(leaf.get(), ca.get(), clock_.WallNow()), X509_V_OK);
  EXPECT_EQ(X509_get_key_usage(leaf.get()) & KU_KEY_ENCIPHERMENT,
            static_cast<uint32_t>(KU_KEY_ENCIPHERMENT));
  std::optional<OpenedP12> p12 =
      OpenP12(Sensitive(rs, "keystore_p12"), Sensitive(rs, "keystore_password"));
  ASSERT_TRUE(p12.has_value() && p12->key);
  EXPECT_TRUE(EVP_PKEY_is_a(p12->key.get(), "RSA"));
  EXPECT_EQ(X509_check_private_key(p12->cert.get(), p12->key.get()), 1);

  LiveObject live;
  PlanResponse plan = PlanFor(rs, attrs, &live);
  EXPECT_EQ(plan.action, ChangeAction::kNoOp) << plan.reason;
  EXPECT_EQ(live.attributes, attrs) << "read back as applied: no drift";
}

TEST_F(PkiProviderTest, KeyTypeChangeReissuesAnRsaCertificateBySameCa) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  Value rsa = With(attrs, Value{{"key_type", "rsa-3072"}});

  LiveObject live;
  PlanResponse plan = PlanFor(rs, rsa, &live);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_EQ(plan.reason, "key_type changed (ec-p256 -> rsa-3072): re-issued by the same CA");
  EXPECT_FALSE(live.outputs.contains("fingerprint")) << "dependents see the re-issue coming";

  ApplyResponse up = UpdateFrom(rs, rsa);
  ASSERT_TRUE(up.status.ok()) << up.status.ToString();
  state::ResourceState next = ToState(Spec(rsa), up.result, rsa);
  X509Ptr leaf = ParseCert(Out(next, "certificate_pem"));
  X509Ptr ca = ParseCert(CaPem(next));
  EXPECT_EQ(KeyKind(leaf.get()), "RSA-3072");
  // The CA is the same (peers need no change) and keeps its EC key.
  EXPECT_EQ(Out(next, "ca_fingerprint"), Out(rs, "ca_fingerprint"));
  EXPECT_EQ(Sensitive(next, "ca_key_pem"), Sensitive(rs, "ca_key_pem"));
  EXPECT_EQ(KeyKind(ca.get()), "EC-256");
  EXPECT_EQ(Sensitive(next, "keystore_password"), Sensitive(rs, "keystore_password"));
  X509Ptr old_ca = ParseCert(CaPem(rs));
  EXPECT_EQ(Verify(leaf.get(), old_ca.get(), clock_.WallNow()), X509_V_OK);
  std::optional<OpenedP12> p12 =
      OpenP12(Sensitive(next, "keystore_p12"), Sensitive(next, "keystore_password"));
  ASSERT_TRUE(p12.has_value());
  EXPECT_EQ(Sha256(p12->cert.get()), Out(next, "fingerprint"));
  EXPECT_EQ(PlanFor(next, rsa).action, ChangeAction::kNoOp);

  // The CA takes the key type when it is next replaced (here: expiring).
  SetNow(NotAfter(ca.get()) - 10 * kDay);
  PlanResponse renew = PlanFor(next, rsa);
  EXPECT_EQ(renew.action, ChangeAction::kReplace) << renew.reason;
  graph::ResourceSpec spec = Spec(rsa);
  ApplyRequest create;
  create.desired = &spec;
  create.attributes = rsa;
  ApplyResponse replaced = provider_->Create(create);
  ASSERT_TRUE(replaced.status.ok()) << replaced.status.ToString();
  X509Ptr new_ca = ParseCert(replaced.result.outputs.at("ca_pems").at(0).get<std::string>());
  EXPECT_EQ(KeyKind(new_ca.get()), "RSA-3072");
}

TEST_F(PkiProviderTest, ValidityChangeReissuesAndExplicitDefaultsAreNoChange) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  // Writing the defaults out changes nothing.
  Value defaults = With(attrs, Value{{"key_type", "ec-p256"},
                                     {"validity_days", 365},
                                     {"ca_validity_days", 1095},
                                     {"renew_before_days", 30}});
  EXPECT_EQ(PlanFor(rs, defaults).action, ChangeAction::kNoOp) << PlanFor(rs, defaults).reason;
  // Nor does ca_validity_days alone: the CA keeps its dates until replaced.
  EXPECT_EQ(PlanFor(rs, With(attrs, Value{{"ca_validity_days", 2000}})).action,
            ChangeAction::kNoOp);

  Value shorter = With(attrs, Value{{"validity_days", 90}});
  PlanResponse plan = PlanFor(rs, shorter);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_EQ(plan.reason, "validity changed (365 days -> 90 days): re-issued by the same CA");
  SetNow(clock_.WallNow() + 3 * kDay);
  ApplyResponse up = UpdateFrom(rs, shorter);
  ASSERT_TRUE(up.status.ok()) << up.status.ToString();
  state::ResourceState next = ToState(Spec(shorter), up.result, shorter);
  X509Ptr leaf = ParseCert(Out(next, "certificate_pem"));
  EXPECT_LE(std::chrono::abs(NotAfter(leaf.get()) - (clock_.WallNow() + 90 * kDay)), seconds(2));
  EXPECT_EQ(Out(next, "ca_fingerprint"), Out(rs, "ca_fingerprint"));
  EXPECT_EQ(PlanFor(next, shorter).action, ChangeAction::kNoOp);
  // Days later, still the same validity: no churn.
  SetNow(clock_.WallNow() + 20 * kDay);
  EXPECT_EQ(PlanFor(next, shorter).action, ChangeAction::kNoOp);
}

TEST_F(PkiProviderTest, RenewalWindowComesFromTheAttributeOverTheOptions) {
  PkiProviderOptions opts;
  opts.renew_before = 90 * kDay;
  Init(opts);
  Value attrs = Attrs(kSans);
  Value narrow = With(attrs, Value{{"renew_before_days", 10}});
  Value wide = With(attrs, Value{{"renew_before_days", 60}});
  state::ResourceState rs = CreateState(narrow);
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));

  SetNow(NotAfter(leaf.get()) - 50 * kDay);
  EXPECT_EQ(PlanFor(rs, narrow).action, ChangeAction::kNoOp) << "10 days, not the options' 90";
  PlanResponse by_options = PlanFor(rs, attrs);
  EXPECT_EQ(by_options.action, ChangeAction::kUpdate);
  EXPECT_NE(by_options.reason.find("(within 90 days)"), std::string::npos) << by_options.reason;
  PlanResponse by_attribute = PlanFor(rs, wide);
  EXPECT_EQ(by_attribute.action, ChangeAction::kUpdate);
  EXPECT_NE(by_attribute.reason.find("(within 60 days)"), std::string::npos)
      << by_attribute.reason;

  SetNow(NotAfter(leaf.get()) - 9 * kDay);
  PlanResponse late = PlanFor(rs, narrow);
  EXPECT_EQ(late.action, ChangeAction::kUpdate);
  EXPECT_NE(late.reason.find("(within 10 days)"), std::string::npos) << late.reason;
}

TEST_F(PkiProviderTest, TopologyWithoutTheBlockHasNoNewAttributesOrDiff) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  LiveObject live;
  EXPECT_EQ(PlanFor(rs, attrs, &live).action, ChangeAction::kNoOp);
  EXPECT_EQ(live.attributes, attrs);
  for (const char* key : {"key_type", "validity_days", "ca_validity_days", "renew_before_days"}) {
    EXPECT_FALSE(live.attributes.contains(key)) << key;
  }
  // A year on, only the usual expiry re-issue, nothing about the settings.
  SetNow(clock_.WallNow() + 340 * kDay);
  PlanResponse plan = PlanFor(rs, attrs);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_EQ(plan.reason.find("key_type"), std::string::npos) << plan.reason;
  EXPECT_EQ(plan.reason.find("validity changed"), std::string::npos) << plan.reason;
}

TEST_F(PkiProviderTest, KeyTypeIsReadBackSoADifferentKeyIsDrift) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  // State that claims RSA over an EC certificate (e.g. edited by hand).
  rs.attributes["key_type"] = "rsa-2048";
  Value rsa = With(attrs, Value{{"key_type", "rsa-2048"}});
  LiveObject live;
  PlanResponse plan = PlanFor(rs, rsa, &live);
  EXPECT_EQ(live.attributes.value("key_type", ""), "ec-p256");
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
}

TEST_F(PkiProviderTest, InvalidSettingsAreErrorsNamingTheAddress) {
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  struct Case {
    Value extra;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {Value{{"key_type", "rsa-1024"}}, "key_type \"rsa-1024\" is not one of ec-p256"},
           {Value{{"validity_days", 0}}, "validity_days must be a whole number of days"},
           {Value{{"renew_before_days", 365}},
            "renew_before_days (365) must be less than validity_days (365)"},
           {Value{{"ca_validity_days", 20}},
            "renew_before_days (30) must be less than ca_validity_days (20)"}}) {
    Value bad = With(attrs, c.extra);
    PlanResponse plan = PlanFor(rs, bad);
    ASSERT_TRUE(plan.diagnostics.has_errors()) << c.message;
    std::string text;
    for (const Diagnostic& d : plan.diagnostics.items()) text += d.ToString();
    EXPECT_NE(text.find(c.message), std::string::npos) << text;
    EXPECT_NE(text.find(kAddress), std::string::npos) << text;
    EXPECT_NE(text.find("remote_cluster_certificate"), std::string::npos) << text;
    graph::ResourceSpec spec = Spec(bad);
    ApplyRequest req;
    req.desired = &spec;
    req.attributes = bad;
    ApplyResponse created = provider_->Create(req);
    EXPECT_FALSE(created.status.ok());
    EXPECT_NE(created.status.message().find(c.message), std::string::npos)
        << created.status.ToString();
    EXPECT_FALSE(UpdateFrom(rs, bad).status.ok());
  }
}

TEST_F(PkiProviderTest, CaExpiringWithinWindowReplacesEverything) {
  PkiProviderOptions opts;
  opts.ca_validity = 100 * kDay;
  opts.certificate_validity = 365 * kDay;  // clamped to the CA's lifetime
  Init(opts);
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  X509Ptr ca = ParseCert(CaPem(rs));
  X509Ptr leaf = ParseCert(Out(rs, "certificate_pem"));
  EXPECT_LE(NotAfter(leaf.get()), NotAfter(ca.get()));

  SetNow(NotAfter(ca.get()) - 10 * kDay);
  PlanResponse plan = PlanFor(rs, attrs);
  EXPECT_EQ(plan.action, ChangeAction::kReplace);
  EXPECT_NE(plan.reason.find("CA certificate expires " +
                             FormatUtc(NotAfter(ca.get())).substr(0, 10) + " (within 30 days)"),
            std::string::npos)
      << plan.reason;
}

TEST_F(PkiProviderTest, DamagedStateIsDrift) {
  Value attrs = Attrs(kSans);
  const state::ResourceState good = CreateState(attrs);

  {  // CA key gone: a re-issue by the same CA is impossible -> replace; Update refuses.
    state::ResourceState rs = good;
    rs.sensitive_outputs.erase("ca_key_pem");
    PlanResponse plan = PlanFor(rs, attrs);
    EXPECT_EQ(plan.action, ChangeAction::kReplace);
    EXPECT_NE(plan.reason.find("CA private key is missing"), std::string::npos) << plan.reason;
    ApplyResponse up = UpdateFrom(rs, attrs);
    EXPECT_EQ(up.status.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(up.status.message().find(kAddress), std::string::npos);
  }
  {  // CA key of another CA.
    state::ResourceState rs = good;
    state::ResourceState other = CreateState(attrs);
    rs.sensitive_outputs["ca_key_pem"] = other.sensitive_outputs["ca_key_pem"];
    EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kReplace);
  }
  {  // CA certificate unreadable.
    state::ResourceState rs = good;
    rs.outputs["ca_pems"] = Value::array({"garbage"});
    EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kReplace);
  }
  {  // Keystore missing.
    state::ResourceState rs = good;
    rs.sensitive_outputs.erase("keystore_p12");
    PlanResponse plan = PlanFor(rs, attrs);
    EXPECT_EQ(plan.action, ChangeAction::kUpdate);
    EXPECT_NE(plan.reason.find("keystore"), std::string::npos) << plan.reason;
  }
  {  // Keystore damaged.
    state::ResourceState rs = good;
    rs.sensitive_outputs["keystore_p12"] = Secret(http::Base64Encode("not a pkcs12 file"));
    EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kUpdate);
  }
  {  // Password does not open it.
    state::ResourceState rs = good;
    rs.sensitive_outputs["keystore_password"] = Secret("WrongPasswordWrongPassword");
    PlanResponse plan = PlanFor(rs, attrs);
    EXPECT_EQ(plan.action, ChangeAction::kUpdate);
    EXPECT_NE(plan.reason.find("password"), std::string::npos) << plan.reason;
  }
  {  // Keystore of another certificate.
    state::ResourceState rs = good;
    state::ResourceState other = CreateState(attrs);
    rs.sensitive_outputs["keystore_p12"] = other.sensitive_outputs["keystore_p12"];
    rs.sensitive_outputs["keystore_password"] = other.sensitive_outputs["keystore_password"];
    EXPECT_EQ(PlanFor(rs, attrs).action, ChangeAction::kUpdate);
  }
  {  // Certificate not signed by the stored CA.
    state::ResourceState rs = good;
    state::ResourceState other = CreateState(attrs);
    rs.outputs["certificate_pem"] = other.outputs["certificate_pem"];
    PlanResponse plan = PlanFor(rs, attrs);
    EXPECT_EQ(plan.action, ChangeAction::kUpdate);
    EXPECT_NE(plan.reason.find("not signed by the stored CA"), std::string::npos) << plan.reason;
    // Update repairs it with the stored CA.
    ApplyResponse up = UpdateFrom(rs, attrs);
    ASSERT_TRUE(up.status.ok());
    state::ResourceState next = ToState(Spec(attrs), up.result, attrs);
    EXPECT_EQ(PlanFor(next, attrs).action, ChangeAction::kNoOp);
  }
  // Untouched state still plans nothing (the checks above can tell).
  EXPECT_EQ(PlanFor(good, attrs).action, ChangeAction::kNoOp);
}

TEST_F(PkiProviderTest, UnresolvedAttributesPlanAnUpdate) {
  state::ResourceState rs = CreateState(Attrs(kSans));
  Value attrs = Attrs(kSans);
  attrs["subject_alt_names"] = graph::MakeRef("self_transport_ca.logs", "hosts");
  PlanRequest pr;
  graph::ResourceSpec spec = Spec(attrs);
  pr.desired = &spec;
  pr.prior = &rs;
  pr.attributes = attrs;
  PlanResponse plan = provider_->Plan(pr);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_NE(plan.reason.find("known only at apply"), std::string::npos) << plan.reason;
  EXPECT_FALSE(plan.diagnostics.has_errors());
  // Read agrees: the outputs the re-issue changes are not known, so that
  // dependents referencing the fingerprint plan their update in this run.
  LiveObject live;
  EXPECT_EQ(PlanFor(rs, attrs, &live).action, ChangeAction::kUpdate);
  EXPECT_FALSE(live.outputs.contains("fingerprint"));
  EXPECT_FALSE(live.outputs.contains("certificate_pem"));
  EXPECT_TRUE(live.outputs.contains("ca_pems"));
}

// ------------------------------------------------------------ secrets

TEST_F(PkiProviderTest, SecretsNeverReachAttributesOutputsOrMessages) {
  Redactor::SetEnabledForTesting(false);  // a leak must show, not be masked
  Value attrs = Attrs(kSans);
  state::ResourceState rs = CreateState(attrs);
  std::vector<std::string> secrets = {Sensitive(rs, "keystore_p12"),
                                      Sensitive(rs, "keystore_password"),
                                      Sensitive(rs, "ca_key_pem")};
  std::optional<OpenedP12> p12 = OpenP12(secrets[0], secrets[1]);
  ASSERT_TRUE(p12.has_value());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), p12->key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  secrets.emplace_back(data, static_cast<size_t>(len));  // the server key
  for (const std::string& s : secrets) ASSERT_GE(s.size(), 16u);

  // Every non-sensitive text the provider produces, in good and bad paths.
  std::string text = rs.attributes.dump() + rs.outputs.dump();
  LiveObject live;
  std::vector<std::string> more = kSans;
  more.push_back("extra.example.com");
  PlanResponse plan = PlanFor(rs, Attrs(more), &live);
  text += live.attributes.dump() + live.outputs.dump() + plan.reason;
  state::ResourceState broken = rs;
  broken.sensitive_outputs["keystore_password"] = Secret("WrongPasswordWrongPassword");
  text += PlanFor(broken, attrs).reason;
  broken.sensitive_outputs.erase("ca_key_pem");
  text += PlanFor(broken, attrs).reason;
  ApplyResponse failed = UpdateFrom(broken, attrs);
  text += failed.status.ToString();
  for (const Diagnostic& d : failed.diagnostics.items()) text += d.ToString();
  ApplyResponse up = UpdateFrom(rs, Attrs(more));
  ASSERT_TRUE(up.status.ok());
  text += up.result.attributes.dump() + up.result.outputs.dump() + up.status.ToString();
  for (const Diagnostic& d : plan.diagnostics.items()) text += d.ToString();

  for (const std::string& s : secrets) {
    EXPECT_EQ(text.find(s), std::string::npos) << "a secret reached non-sensitive output";
  }
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
  // Only the documented sensitive outputs carry secrets.
  std::vector<std::string> names;
  for (const auto& [name, secret] : up.result.sensitive_outputs) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"ca_key_pem", "keystore_p12", "keystore_password"}));
  Redactor::SetEnabledForTesting(true);
}

}  // namespace
}  // namespace crosslink::providers::pki
