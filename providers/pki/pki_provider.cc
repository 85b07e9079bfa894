#include "providers/pki/pki_provider.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "engine/graph/resource.h"

namespace crosslink::providers::pki {
namespace {

namespace x509 = ::crosslink::pki;
using SysTime = std::chrono::system_clock::time_point;

// Output names (the contract with self_remote_cluster_server and the trust
// resources; see the header).
constexpr const char* kCaPems = "ca_pems";
constexpr const char* kCaFingerprint = "ca_fingerprint";
constexpr const char* kCaNotAfter = "ca_not_after";
constexpr const char* kCertificatePem = "certificate_pem";
constexpr const char* kFingerprint = "fingerprint";
constexpr const char* kNotAfter = "not_after";
constexpr const char* kKeystoreP12 = "keystore_p12";
constexpr const char* kKeystorePassword = "keystore_password";
constexpr const char* kCaKeyPem = "ca_key_pem";

constexpr size_t kPasswordLength = 32;
constexpr size_t kMinKeptPasswordLength = 16;
constexpr const char* kOrganization = "crosslink";
constexpr size_t kMaxCommonName = 64;  // ub-common-name (RFC 5280)

// ------------------------------------------------------------ attributes

// The subject names a certificate carries (or should carry), normalised for
// comparison: DNS names lower-case, IPs in inet_ntop form; each list sorted
// and unique.
struct Names {
  std::string common_name;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  std::vector<std::string> others;
  // The DNS names and IPs as the user wrote them (for issuing), in order.
  std::vector<std::string> dns_as_given;
  bool has_other_names_attribute = false;
};

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The canonical text of an IP literal ("[::1]" and "::0001" -> "::1"), or
// nullopt when `text` is not one.
std::optional<std::string> NormalizeIp(std::string text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN] = {0};
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET, buf, out, sizeof(out));
    return std::string(out);
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET6, buf, out, sizeof(out));
    return std::string(out);
  }
  return std::nullopt;
}

// A host name as certutil's --dns accepts it: letters, digits, '-', '_'
// and '.', labels of 1..63 characters, at most 253 in all; a wildcard only
// as the whole first label ("*.example.com").
bool ValidDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    std::string label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label == "*") {
      if (!first || dot == name.size()) return false;
    } else {
      for (char c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
      }
      if (label.front() == '-' || label.back() == '-') return false;
    }
    first = false;
    start = dot + 1;
    if (dot == name.size()) break;
  }
  return true;
}

bool ContainsRef(const Value& v) {
  graph::Reference ref;
  if (graph::IsRef(v, &ref)) return true;
  if (v.is_object() || v.is_array()) {
    for (const auto& item : v) {
      if (ContainsRef(item)) return true;
    }
  }
  return false;
}

Result<std::vector<std::string>> StringList(const Value& attrs, const char* key, bool required) {
  std::vector<std::string> out;
  auto it = attrs.find(key);
  if (it == attrs.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(std::string(key) + " is required");
    return out;
  }
  if (!it->is_array()) {
    return Status::InvalidArgument(std::string(key) + " must be a list of strings");
  }
  for (const Value& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      return Status::InvalidArgument(std::string(key) + " must hold non-empty strings, got " +
                                     item.dump());
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The desired names of a self_rcs_certificate (attributes fully resolved).
Result<Names> ParseNames(const Value& attrs) {
  if (!attrs.is_object()) return Status::InvalidArgument("attributes must be an object");
  Names n;
  auto cn = attrs.find("common_name");
  if (cn == attrs.end() || !cn->is_string() || cn->get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument("common_name must be a non-empty string");
  }
  n.common_name = cn->get<std::string>();
  if (n.common_name.size() > kMaxCommonName) {
    return Status::InvalidArgument("common_name \"" + n.common_name + "\" is longer than " +
                                   std::to_string(kMaxCommonName) +
                                   " characters (the X.509 limit)");
  }
  Result<std::vector<std::string>> sans = StringList(attrs, "subject_alt_names", true);
  if (!sans.ok()) return sans.status();
  for (const std::string& san : *sans) {
    if (std::optional<std::string> ip = NormalizeIp(san)) {
      n.ips.push_back(*ip);
    } else if (ValidDnsName(san)) {
      n.dns.push_back(Lower(san));
      n.dns_as_given.push_back(san);
    } else {
      return Status::InvalidArgument("subject_alt_names: \"" + san +
                                     "\" is neither a DNS name nor an IP address");
    }
  }
  Result<std::vector<std::string>> others = StringList(attrs, "other_names", false);
  if (!others.ok()) return others.status();
  n.others = *others;
  n.has_other_names_attribute = attrs.contains("other_names");
  SortUnique(&n.dns);
  SortUnique(&n.ips);
  SortUnique(&n.others);
  // Keep the given spelling but drop duplicates (case-insensitive).
  std::vector<std::string> unique_given;
  std::set<std::string> seen;
  for (const std::string& d : n.dns_as_given) {
    if (seen.insert(Lower(d)).second) unique_given.push_back(d);
  }
  n.dns_as_given = std::move(unique_given);
  return n;
}

// How the material is generated and renewed: the attributes key_type,
// validity_days, ca_validity_days and renew_before_days where given, else
// the provider options.
struct Settings {
  x509::KeyType key_type = x509::KeyType::kEcP256;
  std::chrono::seconds validity{0};
  std::chrono::seconds ca_validity{0};
  std::chrono::seconds renew_before{0};
};

constexpr int kMaxDays = 36500;
constexpr std::chrono::seconds kDay = std::chrono::hours(24);

Settings DefaultSettings(const PkiProviderOptions& opts) {
  return Settings{opts.key_type, opts.certificate_validity, opts.ca_validity, opts.renew_before};
}

// The whole number of days `key` holds, within [min, kMaxDays]; nullopt when absent.
Result<std::optional<int>> DaysAttribute(const Value& attrs, const char* key, int min) {
  auto it = attrs.find(key);
  if (it == attrs.end() || it->is_null()) return std::optional<int>();
  if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > kMaxDays) {
    return Status::InvalidArgument(std::string(key) + " must be a whole number of days from " +
                                   std::to_string(min) + " to " + std::to_string(kMaxDays) +
                                   ", got " + it->dump());
  }
  return std::optional<int>(it->get<int>());
}

Result<Settings> ParseSettings(const Value& attrs, const PkiProviderOptions& opts) {
  Settings out = DefaultSettings(opts);
  if (!attrs.is_object()) return out;
  if (auto it = attrs.find("key_type"); it != attrs.end() && !it->is_null()) {
    std::optional<x509::KeyType> type =
        it->is_string() ? x509::ParseKeyType(it->get<std::string>()) : std::nullopt;
    if (!type) {
      std::string names;
      for (x509::KeyType t : x509::AllKeyTypes()) {
        names += (names.empty() ? "" : ", ") + std::string(x509::KeyTypeName(t));
      }
      return Status::InvalidArgument("key_type " + it->dump() + " is not one of " + names);
    }
    out.key_type = *type;
  }
  Result<std::optional<int>> validity = DaysAttribute(attrs, "validity_days", 1);
  if (!validity.ok()) return validity.status();
  Result<std::optional<int>> ca_validity = DaysAttribute(attrs, "ca_validity_days", 1);
  if (!ca_validity.ok()) return ca_validity.status();
  Result<std::optional<int>> renew = DaysAttribute(attrs, "renew_before_days", 0);
  if (!renew.ok()) return renew.status();
  if (*validity) out.validity = **validity * kDay;
  if (*ca_validity) out.ca_validity = **ca_validity * kDay;
  if (*renew) out.renew_before = **renew * kDay;
  // A window at least as long as a validity would renew on every plan. Only
  // checked when the attributes set one side (the options are the code's).
  auto days = [](std::chrono::seconds d) { return std::to_string(d / kDay); };
  if ((*renew || *validity) && out.renew_before >= out.validity) {
    return Status::InvalidArgument("renew_before_days (" + days(out.renew_before) +
                                   ") must be less than validity_days (" + days(out.validity) +
                                   ")");
  }
  if ((*renew || *ca_validity) && out.renew_before >= out.ca_validity) {
    return Status::InvalidArgument("renew_before_days (" + days(out.renew_before) +
                                   ") must be less than ca_validity_days (" +
                                   days(out.ca_validity) + ")");
  }
  return out;
}

Names NamesOf(const x509::CertificateInfo& info) {
  Names n;
  n.common_name = info.common_name;
  for (const std::string& d : info.dns_names) n.dns.push_back(Lower(d));
  for (const std::string& ip : info.ip_addresses) {
    n.ips.push_back(NormalizeIp(ip).value_or(ip));
  }
  n.others = info.other_names;
  SortUnique(&n.dns);
  SortUnique(&n.ips);
  SortUnique(&n.others);
  return n;
}

// "+ a, - b" between two sorted lists; empty when equal.
std::string ListDiff(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                      std::back_inserter(added));
  std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                      std::back_inserter(removed));
  std::string out;
  for (const std::string& a : added) out += (out.empty() ? "+ " : ", + ") + a;
  for (const std::string& r : removed) out += (out.empty() ? "- " : ", - ") + r;
  return out;
}

// Why the certificate with `have` names does not serve `want`; empty when it does.
std::string NamesChange(const Names& have, const Names& want) {
  std::vector<std::string> parts;
  if (have.common_name != want.common_name) {
    parts.push_back("common_name changed (\"" + have.common_name + "\" -> \"" + want.common_name +
                    "\")");
  }
  std::vector<std::string> have_sans = have.dns;
  have_sans.insert(have_sans.end(), have.ips.begin(), have.ips.end());
  std::vector<std::string> want_sans = want.dns;
  want_sans.insert(want_sans.end(), want.ips.begin(), want.ips.end());
  SortUnique(&have_sans);
  SortUnique(&want_sans);
  std::string sans = ListDiff(have_sans, want_sans);
  if (!sans.empty()) parts.push_back("subject_alt_names changed (" + sans + ")");
  std::string others = ListDiff(have.others, want.others);
  if (!others.empty()) parts.push_back("other_names changed (" + others + ")");
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// ------------------------------------------------------------ stored material

// What state holds for one self_rcs_certificate, checked. Problems are
// human text without secret values.
struct Stored {
  std::string ca_problem;  // empty = the CA certificate and key are usable
  x509::Identity ca;
  x509::CertificateInfo ca_info;
  std::string leaf_problem;  // empty = the certificate is readable and signed by the CA
  std::string leaf_pem;
  x509::CertificateInfo leaf_info;
  std::string keystore_problem;  // empty = the keystore opens and holds the certificate
};

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

X509Ptr ParsePem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// True when `leaf_pem` was issued and signed by `ca_pem`.
bool SignedBy(const std::string& leaf_pem, const std::string& ca_pem) {
  X509Ptr leaf = ParsePem(leaf_pem);
  X509Ptr ca = ParsePem(ca_pem);
  bool ok = leaf && ca && X509_check_issued(ca.get(), leaf.get()) == X509_V_OK &&
            X509_verify(leaf.get(), X509_get0_pubkey(ca.get())) == 1;
  ERR_clear_error();
  return ok;
}

std::string StringOutput(const Value& outputs, const char* key) {
  if (!outputs.is_object()) return "";
  auto it = outputs.find(key);
  return it != outputs.end() && it->is_string() ? it->get<std::string>() : "";
}

const Secret* SensitiveOutput(const state::ResourceState& rs, const char* key) {
  auto it = rs.sensitive_outputs.find(key);
  return it == rs.sensitive_outputs.end() || it->second.empty() ? nullptr : &it->second;
}

void LoadCa(const state::ResourceState& rs, Stored* s) {
  std::string ca_pem;
  auto pems = rs.outputs.is_object() ? rs.outputs.find(kCaPems) : rs.outputs.end();
  if (rs.outputs.is_object() && pems != rs.outputs.end() && pems->is_array() && !pems->empty() &&
      pems->front().is_string()) {
    ca_pem = pems->front().get<std::string>();
  }
  Result<x509::CertificateInfo> info = x509::InspectCertificate(ca_pem);
  if (ca_pem.empty() || !info.ok()) {
    s->ca_problem = "the CA certificate in state is missing or unreadable";
    return;
  }
  if (!info->is_ca) {
    s->ca_problem = "the certificate recorded as CA in state is not a CA";
    return;
  }
  const Secret* key = SensitiveOutput(rs, kCaKeyPem);
  if (key == nullptr) {
    s->ca_problem = "the CA private key is missing from state";
    return;
  }
  if (!x509::KeyMatchesCertificate(ca_pem, *key)) {
    s->ca_problem = "the CA private key in state does not match the CA certificate";
    return;
  }
  s->ca = x509::Identity{ca_pem, *key};
  s->ca_info = *info;
}

void LoadLeaf(const state::ResourceState& rs, Stored* s) {
  s->leaf_pem = StringOutput(rs.outputs, kCertificatePem);
  Result<x509::CertificateInfo> info = x509::InspectCertificate(s->leaf_pem);
  if (s->leaf_pem.empty() || !info.ok()) {
    s->leaf_problem = "the certificate in state is missing or unreadable";
    return;
  }
  s->leaf_info = *info;
  if (s->ca_problem.empty() && !SignedBy(s->leaf_pem, s->ca.chain_pem)) {
    s->leaf_problem = "the certificate in state is not signed by the stored CA";
  }
}

void LoadKeystore(const state::ResourceState& rs, Stored* s) {
  const Secret* p12 = SensitiveOutput(rs, kKeystoreP12);
  const Secret* password = SensitiveOutput(rs, kKeystorePassword);
  if (p12 == nullptr || password == nullptr) {
    s->keystore_problem = "the keystore or its password is missing from state";
    return;
  }
  std::optional<std::string> der = http::Base64Decode(p12->expose());
  if (!der) {
    s->keystore_problem = "the keystore in state is not valid base64";
    return;
  }
  Result<x509::Identity> id = x509::ReadPkcs12(*der, *password);
  OPENSSL_cleanse(der->data(), der->size());
  if (!id.ok()) {
    s->keystore_problem =
        "the keystore in state cannot be opened (" +
        std::string(id.status().code() == StatusCode::kPermissionDenied ? "password does not match"
                                                                        : "damaged") +
        ")";
    return;
  }
  std::vector<std::string> chain = x509::SplitPemCertificates(id->chain_pem);
  Result<x509::CertificateInfo> leaf =
      chain.empty() ? Result<x509::CertificateInfo>(Status::Corruption("empty"))
                    : x509::InspectCertificate(chain.front());
  if (!leaf.ok() || !s->leaf_problem.empty() ||
      leaf->sha256_fingerprint != s->leaf_info.sha256_fingerprint ||
      !x509::KeyMatchesCertificate(id->chain_pem, id->key_pem)) {
    s->keystore_problem = "the keystore in state does not hold the recorded certificate and key";
    return;
  }
  bool has_ca = false;
  for (size_t i = 1; i < chain.size(); ++i) {
    Result<x509::CertificateInfo> c = x509::InspectCertificate(chain[i]);
    if (c.ok() && s->ca_problem.empty() && c->sha256_fingerprint == s->ca_info.sha256_fingerprint) {
      has_ca = true;
    }
  }
  if (!has_ca && s->ca_problem.empty()) {
    s->keystore_problem = "the keystore in state does not hold the CA certificate";
  }
}

Stored LoadStored(const state::ResourceState& rs) {
  Stored s;
  LoadCa(rs, &s);
  LoadLeaf(rs, &s);
  LoadKeystore(rs, &s);
  return s;
}

// ------------------------------------------------------------ assessment

std::string Day(SysTime t) { return FormatUtc(t).substr(0, 10); }

std::string WindowText(std::chrono::seconds window) {
  auto hours = std::chrono::duration_cast<std::chrono::hours>(window).count();
  if (hours % 24 == 0) {
    long long days = hours / 24;
    return std::to_string(days) + (days == 1 ? " day" : " days");
  }
  return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
}

// "" when `not_after` is outside the renewal window, else why it must be renewed.
std::string ExpiryProblem(const char* what, SysTime not_after, SysTime now,
                          std::chrono::seconds window) {
  if (not_after <= now) return std::string(what) + " expired " + Day(not_after);
  if (not_after - now <= window) {
    return std::string(what) + " expires " + Day(not_after) + " (within " + WindowText(window) +
           ")";
  }
  return "";
}

struct Assessment {
  ChangeAction action = ChangeAction::kNoOp;
  std::string reason;
};

// What the plan must do for the stored material `s` given the desired names
// (null: not known until apply) at `now`.
// How the stored certificate differs from `want` in key type and validity;
// empty when it does not. The issued validity is read back as issue time
// (an hour after notBefore) to notAfter; a certificate cut short at the
// CA's end only counts as changed when the wanted validity is shorter.
std::vector<std::string> GenerationChanges(const Stored& s, const Settings& want) {
  std::vector<std::string> out;
  const std::optional<x509::KeyType>& have = s.leaf_info.key_type;
  if (have != want.key_type) {
    out.push_back(std::string("key_type changed (") +
                  (have ? x509::KeyTypeName(*have) : "a key type crosslink does not generate") +
                  " -> " + x509::KeyTypeName(want.key_type) + ")");
  }
  constexpr std::chrono::seconds kTolerance = std::chrono::minutes(10);
  const auto issued = std::chrono::duration_cast<std::chrono::seconds>(
      s.leaf_info.not_after - (s.leaf_info.not_before + std::chrono::hours(1)));
  const bool capped = s.leaf_info.not_after + kTolerance >= s.ca_info.not_after;
  const auto diff = issued > want.validity ? issued - want.validity : want.validity - issued;
  if (diff > kTolerance && !(capped && want.validity > issued)) {
    const auto issued_hours = std::chrono::round<std::chrono::hours>(issued);
    out.push_back("validity changed (" + WindowText(issued_hours) + " -> " +
                  WindowText(want.validity) + ")");
  }
  return out;
}

Assessment Assess(const Stored& s, const Names* desired, SysTime now, const Settings& opts) {
  if (!s.ca_problem.empty()) {
    return {ChangeAction::kReplace, s.ca_problem + ": a new CA and certificate will be issued"};
  }
  std::string ca_expiry =
      ExpiryProblem("CA certificate", s.ca_info.not_after, now, opts.renew_before);
  if (!ca_expiry.empty()) {
    return {ChangeAction::kReplace, ca_expiry + ": a new CA and certificate will be issued"};
  }
  std::vector<std::string> reasons;
  if (!s.leaf_problem.empty()) {
    reasons.push_back(s.leaf_problem);
  } else {
    if (desired != nullptr) {
      std::string change = NamesChange(NamesOf(s.leaf_info), *desired);
      if (!change.empty()) reasons.push_back(change);
    }
    std::string expiry =
        ExpiryProblem("certificate", s.leaf_info.not_after, now, opts.renew_before);
    if (!expiry.empty()) reasons.push_back(expiry);
    for (std::string& change : GenerationChanges(s, opts)) reasons.push_back(std::move(change));
    if (!s.keystore_problem.empty()) reasons.push_back(s.keystore_problem);
  }
  if (reasons.empty()) return {};
  std::string reason;
  for (const std::string& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
  return {ChangeAction::kUpdate, reason + ": re-issued by the same CA"};
}

// ------------------------------------------------------------ issuing

// A password of kPasswordLength characters from [A-Za-z0-9] (no characters
// a shell or YAML would treat specially), from OpenSSL's CSPRNG.
Result<Secret> RandomPassword() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kSize = sizeof(kAlphabet) - 1;  // 62
  constexpr unsigned kLimit = 256 - (256 % kSize);   // unbiased: reject >= 248
  std::string out;
  unsigned char buf[64];
  while (out.size() < kPasswordLength) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) {
      ERR_clear_error();
      return Status::Internal("the system random generator failed (RAND_bytes)");
    }
    for (unsigned char b : buf) {
      if (b < kLimit && out.size() < kPasswordLength) out += kAlphabet[b % kSize];
    }
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  Secret secret(out);
  OPENSSL_cleanse(out.data(), out.size());
  return secret;
}

// Dates `spec` for issuing at the run's time `now`: valid from an hour
// before `now` (clock skew between peers) for `validity`, never past `cap`
// (the issuer's end). The run's clock is the only source of dates, so that
// expiry (judged against the same clock) and the documented validity hold
// whatever clock a test injects. crosslink::pki dates relative to the system
// time (X509_gmtime_adj), so the dates become offsets from it; outside tests
// both are the same instant.
Status SetValidity(x509::CertificateSpec* spec, SysTime now, std::chrono::seconds validity,
                   std::optional<SysTime> cap) {
  using std::chrono::seconds;
  const SysTime start = now - std::chrono::hours(1);
  SysTime end = now + validity;
  if (cap && end > *cap) end = *cap;
  if (end <= now) {
    return Status::FailedPrecondition(cap ? "the CA expires " + Day(*cap) +
                                                ": it cannot sign a certificate any more"
                                          : std::string("the validity must be positive"));
  }
  // Whole seconds, as X509_gmtime_adj counts from time(nullptr).
  const SysTime sys = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  spec->not_before_offset = std::chrono::floor<seconds>(start - sys);
  spec->validity = std::chrono::ceil<seconds>(end - (sys + spec->not_before_offset));
  return Status::Ok();
}

x509::CertificateSpec LeafSpec(const Names& n) {
  x509::CertificateSpec spec;
  spec.common_name = n.common_name;
  spec.dns_names = n.dns_as_given;
  spec.ip_addresses = n.ips;
  spec.other_names = n.others;
  return spec;
}

Value Pems(const std::string& pem) { return Value::array({pem}); }

// The object for a CA `ca` and a server certificate issued for `n`.
Result<LiveObject> Issue(const Names& n, const x509::Identity& ca,
                         const x509::CertificateInfo& ca_info, const Secret& password, SysTime now,
                         const Settings& opts) {
  x509::CertificateSpec spec = LeafSpec(n);
  spec.key_type = opts.key_type;
  // Never outlive the CA: a chain is only valid while both are.
  CROSSLINK_RETURN_IF_ERROR(SetValidity(&spec, now, opts.validity, ca_info.not_after));
  Result<x509::Identity> leaf = x509::IssueCertificate(spec, ca);
  if (!leaf.ok()) return leaf.status().WithContext("issuing the server certificate");
  Result<std::string> der = x509::WritePkcs12(*leaf, password);
  if (!der.ok()) return der.status().WithContext("writing the PKCS#12 keystore");
  std::string encoded = http::Base64Encode(*der);
  OPENSSL_cleanse(der->data(), der->size());
  Secret keystore(encoded);
  OPENSSL_cleanse(encoded.data(), encoded.size());

  std::string leaf_pem = leaf->LeafPem();
  Result<x509::CertificateInfo> info = x509::InspectCertificate(leaf_pem);
  if (!info.ok()) return info.status().WithContext("reading back the server certificate");

  LiveObject obj;
  obj.exists = true;
  obj.managed_by_crosslink = true;
  obj.attributes = Value::object();
  obj.outputs = Value{{kCaPems, Pems(ca.chain_pem)},
                      {kCaFingerprint, ca_info.sha256_fingerprint},
                      {kCaNotAfter, FormatUtc(ca_info.not_after)},
                      {kCertificatePem, leaf_pem},
                      {kFingerprint, info->sha256_fingerprint},
                      {kNotAfter, FormatUtc(info->not_after)}};
  obj.sensitive_outputs[kKeystoreP12] = keystore;
  obj.sensitive_outputs[kKeystorePassword] = password;
  obj.sensitive_outputs[kCaKeyPem] = ca.key_pem;
  return obj;
}

Result<LiveObject> IssueWithNewCa(const Names& n, SysTime now, const Settings& opts) {
  x509::CertificateSpec ca_spec;
  ca_spec.common_name = n.common_name + " CA";
  ca_spec.organization = kOrganization;
  ca_spec.key_type = opts.key_type;
  CROSSLINK_RETURN_IF_ERROR(SetValidity(&ca_spec, now, opts.ca_validity, std::nullopt));
  Result<x509::Identity> ca = x509::CreateCa(ca_spec);
  if (!ca.ok()) return ca.status().WithContext("creating the CA");
  Result<x509::CertificateInfo> ca_info = x509::InspectCertificate(ca->chain_pem);
  if (!ca_info.ok()) return ca_info.status().WithContext("reading back the CA");
  Result<Secret> password = RandomPassword();
  if (!password.ok()) return password.status();
  return Issue(n, *ca, *ca_info, *password, now, opts);
}

// The attributes of the stored certificate, in the shape of the desired
// ones. Lists keep the prior spelling and order when they name the same set.
Value LiveAttributes(const Stored& s, const Value& prior_attributes) {
  if (!s.leaf_problem.empty() && s.leaf_info.common_name.empty()) return prior_attributes;
  Names have = NamesOf(s.leaf_info);
  Value out = Value::object();
  out["common_name"] = s.leaf_info.common_name;
  Result<Names> prior = ParseNames(prior_attributes);
  bool same_sans = prior.ok() && prior->dns == have.dns && prior->ips == have.ips;
  if (same_sans) {
    out["subject_alt_names"] = prior_attributes.value("subject_alt_names", Value::array());
  } else {
    Value sans = Value::array();
    for (const std::string& d : s.leaf_info.dns_names) sans.push_back(d);
    for (const std::string& ip : s.leaf_info.ip_addresses) sans.push_back(ip);
    out["subject_alt_names"] = sans;
  }
  bool had_others = prior.ok() && prior->has_other_names_attribute;
  if (had_others || !have.others.empty()) {
    out["other_names"] = prior.ok() && prior->others == have.others
                             ? prior_attributes.value("other_names", Value::array())
                             : Value(s.leaf_info.other_names);
  }
  // The generation settings only when the state has them (a topology
  // without remote_cluster_certificate never does). The key type is read
  // back from the certificate (so a different one shows as drift); the
  // durations are settings no certificate records exactly (a certificate
  // cut at the CA's end is shorter), so they stay as applied.
  if (prior_attributes.is_object()) {
    if (prior_attributes.contains("key_type")) {
      out["key_type"] = s.leaf_info.key_type ? x509::KeyTypeName(*s.leaf_info.key_type)
                                             : "unsupported";
    }
    for (const char* key : {"validity_days", "ca_validity_days", "renew_before_days"}) {
      if (prior_attributes.contains(key)) out[key] = prior_attributes[key];
    }
  }
  return out;
}

// ------------------------------------------------------------ the provider

class PkiProvider : public Provider {
 public:
  explicit PkiProvider(PkiProviderOptions options) : opts_(options) {}

  std::string name() const override { return "pki"; }

  Status Configure(const ConfigureRequest& req) override {
    clock_ = req.clock != nullptr ? req.clock : &real_clock_;
    return Status::Ok();
  }

  ReadResponse Read(const ReadRequest& req) override {
    ReadResponse resp;
    for (const ReadItem& item : req.items) {
      if (item.type != kRcsCertificateType) {
        resp.diagnostics.Error(
            SourceLocation{}, item.address,
            "the pki provider does not manage resources of type \"" + item.type + "\"",
            "only self_rcs_certificate is a pki resource");
        continue;
      }
      LiveObject live;
      if (item.prior != nullptr) {
        live.exists = true;
        live.managed_by_crosslink = true;
        Stored s = LoadStored(*item.prior);
        live.attributes = LiveAttributes(s, item.prior->attributes);
        live.outputs = item.prior->outputs.is_object() ? item.prior->outputs : Value::object();
        if (item.desired != nullptr) {
          if (AssessDesired(s, item.desired->attributes).action == ChangeAction::kUpdate) {
            // A re-issue is pending: what it changes is not known yet.
            live.outputs.erase(kFingerprint);
            live.outputs.erase(kNotAfter);
            live.outputs.erase(kCertificatePem);
          }
        }
      }
      resp.objects[item.address] = std::move(live);
    }
    return resp;
  }

  PlanResponse Plan(const PlanRequest& req) override {
    if (req.desired == nullptr) return DefaultPlan(req);
    PlanResponse resp;
    const std::string& address = req.desired->address;
    if (req.desired->type != kRcsCertificateType) {
      resp.diagnostics.Error(
          req.desired->origin, address,
          "the pki provider does not manage resources of type \"" + req.desired->type + "\"");
      return resp;
    }
    const bool unknown = ContainsRef(req.attributes);
    Result<Names> want =
        unknown ? Result<Names>(Status::InvalidArgument("unknown")) : ParseNames(req.attributes);
    if (!unknown && !want.ok()) {
      resp.diagnostics.Error(req.desired->origin, address, address + ": " + want.status().message(),
                             "subject_alt_names holds DNS names and IP addresses of the "
                             "cluster's nodes and of the address peers dial");
    }
    Result<Settings> settings = ParseSettings(req.attributes, opts_);
    if (!settings.ok()) {
      resp.diagnostics.Error(req.desired->origin, address,
                             address + ": " + settings.status().message(),
                             "set remote_cluster_certificate of cluster \"" + req.desired->cluster +
                                 "\" in the topology: key_type ec-p256, ec-p384, rsa-2048, "
                                 "rsa-3072 or rsa-4096; renew_before_days below validity_days "
                                 "and ca_validity_days");
    }
    const bool exists = req.live != nullptr ? req.live->exists : req.prior != nullptr;
    if (!exists || req.prior == nullptr) {
      resp.action = ChangeAction::kCreate;
      return resp;
    }
    Assessment a = AssessDesired(LoadStored(*req.prior), req.attributes);
    resp.action = a.action;
    resp.reason = a.reason;
    return resp;
  }

  ApplyResponse Create(const ApplyRequest& req) override {
    const std::string address = Address(req);
    Result<Names> want = ParseNames(req.attributes);
    if (!want.ok()) return Failed(want.status(), address);
    Result<Settings> settings = ParseSettings(req.attributes, opts_);
    if (!settings.ok()) return Failed(settings.status(), address);
    return Issued(IssueWithNewCa(*want, Now(), *settings), address, req.attributes);
  }

  ApplyResponse Update(const ApplyRequest& req) override {
    const std::string address = Address(req);
    Result<Names> want = ParseNames(req.attributes);
    if (!want.ok()) return Failed(want.status(), address);
    Result<Settings> settings = ParseSettings(req.attributes, opts_);
    if (!settings.ok()) return Failed(settings.status(), address);
    if (req.prior == nullptr) return Create(req);
    Stored s = LoadStored(*req.prior);
    if (!s.ca_problem.empty()) {
      ApplyResponse resp;
      resp.status = Status::FailedPrecondition(
          address + ": " + s.ca_problem +
          "; the certificate cannot be re-issued by the same CA. Run plan again: it replaces "
          "the CA (or use -replace=" +
          address + ")");
      return resp;
    }
    // Keep the keystore password: the node then only needs the new file
    // (Elasticsearch reloads SSL files), not a new secure setting.
    const Secret* kept = SensitiveOutput(*req.prior, kKeystorePassword);
    Secret password;
    if (kept != nullptr && kept->expose().size() >= kMinKeptPasswordLength) {
      password = *kept;
    } else {
      Result<Secret> fresh = RandomPassword();
      if (!fresh.ok()) return Failed(fresh.status(), address);
      password = *fresh;
    }
    // A new key type or validity applies to the server certificate now; the
    // CA keeps its own until it is replaced (see the header).
    return Issued(Issue(*want, s.ca, s.ca_info, password, Now(), *settings), address,
                  req.attributes);
  }

  ApplyResponse Delete(const ApplyRequest& req) override {
    (void)req;  // the certificate exists only in state, which apply updates
    return ApplyResponse{};
  }

 private:
  // What the plan does for the stored material `s` given the desired
  // `attributes`. Names that are references, known only at apply time, make
  // an update at least (Update re-issues with the names then known), which
  // Read and Plan must agree on.
  Assessment AssessDesired(const Stored& s, const Value& attributes) const {
    const bool unknown = ContainsRef(attributes);
    Result<Names> want =
        unknown ? Result<Names>(Status::InvalidArgument("unknown")) : ParseNames(attributes);
    // Settings Plan reports as invalid are judged with the options meanwhile.
    Result<Settings> settings = ParseSettings(attributes, opts_);
    Assessment a = Assess(s, want.ok() ? &*want : nullptr, Now(),
                          settings.ok() ? *settings : DefaultSettings(opts_));
    if (a.action == ChangeAction::kNoOp && unknown) {
      a = {ChangeAction::kUpdate,
           "the subject names are known only at apply: re-issued by the same CA"};
    }
    return a;
  }

  static ApplyResponse Failed(const Status& status, const std::string& address) {
    ApplyResponse resp;
    resp.status = status.WithContext(address);
    return resp;
  }

  // The response of a Create or Update that issued `obj` for `attributes`.
  static ApplyResponse Issued(Result<LiveObject> obj, const std::string& address,
                              const Value& attributes) {
    if (!obj.ok()) return Failed(obj.status(), address);
    ApplyResponse resp;
    resp.result = std::move(*obj);
    resp.result.attributes = attributes;
    return resp;
  }

  static std::string Address(const ApplyRequest& req) {
    if (req.desired != nullptr) return req.desired->address;
    if (req.prior != nullptr) return req.prior->address;
    return kRcsCertificateType;
  }

  SysTime Now() const { return (clock_ != nullptr ? clock_ : &real_clock_)->WallNow(); }

  const PkiProviderOptions opts_;
  Clock* clock_ = nullptr;
  mutable RealClock real_clock_;
};

}  // namespace

std::unique_ptr<Provider> NewPkiProvider(PkiProviderOptions options) {
  return std::make_unique<PkiProvider>(options);
}

}  // namespace crosslink::providers::pki
