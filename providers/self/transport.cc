#include "providers/self/transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <set>

#include "engine/core/pki.h"

namespace crosslink::providers::self::internal {
namespace {

const std::vector<std::string> kTrustSuffixes = {".certificate_authorities", ".truststore.path",
                                                 ".truststore.type", ".truststore.password",
                                                 ".truststore.algorithm"};

std::string Key(const std::string& suffix) { return std::string(kTransportSsl) + suffix; }

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct P12Free {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};

Result<std::string> ToPem(X509* cert) {
  std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
  if (!out || !PEM_write_bio_X509(out.get(), cert)) {
    return Status::Internal("cannot write a certificate as PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// The certificates of a PKCS#12 that holds certificates only (a truststore
// made by keytool or certutil), which pki::ReadPkcs12 refuses (no key).
Result<std::vector<std::string>> Pkcs12Certificates(std::string_view der, const Secret& password) {
  std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  std::unique_ptr<PKCS12, P12Free> p12(in ? d2i_PKCS12_bio(in.get(), nullptr) : nullptr);
  if (!p12) {
    ERR_clear_error();
    return Status::Corruption("not a PKCS#12 file");
  }
  const std::string& pw = password.expose();
  const char* pass = pw.c_str();
  if (PKCS12_mac_present(p12.get()) &&
      !PKCS12_verify_mac(p12.get(), pass, static_cast<int>(pw.size()))) {
    if (pw.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0)) {
      pass = nullptr;
    } else {
      ERR_clear_error();
      return Status::PermissionDenied(
          "the password is incorrect (PKCS#12 MAC verification failed)");
    }
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* cas = nullptr;
  if (!PKCS12_parse(p12.get(), pass, &key, &cert, &cas)) {
    ERR_clear_error();
    return Status::PermissionDenied("cannot decrypt the PKCS#12 (wrong password?)");
  }
  EVP_PKEY_free(key);
  std::unique_ptr<X509, X509Free> leaf(cert);
  std::unique_ptr<STACK_OF(X509), StackFree> stack(cas);
  std::vector<std::string> out;
  if (leaf) {
    Result<std::string> pem = ToPem(leaf.get());
    if (!pem.ok()) return pem.status();
    out.push_back(*pem);
  }
  for (int i = 0; stack && i < sk_X509_num(stack.get()); ++i) {
    Result<std::string> pem = ToPem(sk_X509_value(stack.get(), i));
    if (!pem.ok()) return pem.status();
    out.push_back(*pem);
  }
  return out;
}

// Reads the user's transport settings of one node.
class Reader {
 public:
  Reader(const YmlFile& yml, const TransportSource& source) : yml_(yml), src_(source) {
    // Enabled settings win over ones crosslink disabled (the same key can
    // only be both after a hand edit).
    for (const OutsideSetting& o : yml.outside()) {
      auto it = settings_.find(o.key);
      if (it == settings_.end() || (it->second.disabled && !o.disabled)) settings_[o.key] = o;
    }
  }

  Result<TransportTls> Read() {
    TransportTls out;
    for (const std::string& suffix : kTrustSuffixes) {
      if (settings_.count(Key(suffix))) out.trust_keys.push_back(Key(suffix));
    }
    std::optional<std::string> enabled = Scalar(Key(".enabled"));
    if (enabled && *enabled == "false") {
      return Fail(Key(".enabled") + " is false in " + yml_.file() + ": transport TLS is off",
                  "the certificate security model needs TLS on the transport port: enable it "
                  "with the node's certificates (elasticsearch-certutil), then apply again");
    }
    std::optional<std::string> keystore = Scalar(Key(".keystore.path"));
    std::optional<std::string> certificate = Scalar(Key(".certificate"));
    if (!keystore && !certificate) {
      return Fail(
          "transport TLS is not configured in " + yml_.file() + " (neither " +
              Key(".keystore.path") + " nor " + Key(".certificate") + " is set)",
          "the certificate security model needs the node's transport certificate: configure "
          "transport TLS (e.g. the auto-configured certs/transport.p12), or use the API key "
          "model for this cluster");
    }

    // The node certificate and the chain stored with it.
    std::vector<std::string> chain;
    if (keystore) {
      Result<std::vector<std::string>> certs =
          ReadPkcs12(*keystore, ".keystore.path", ".keystore.secure_password", ".keystore.password",
                     /*need_key=*/true);
      if (!certs.ok()) return certs.status();
      chain = std::move(certs).value();
    } else {
      Result<std::vector<std::string>> certs = ReadPem(*certificate, Key(".certificate"));
      if (!certs.ok()) return certs.status();
      chain = std::move(certs).value();
    }
    Result<pki::CertificateInfo> info = pki::InspectCertificate(chain.front());
    if (!info.ok()) {
      return Fail("cannot read the node's transport certificate: " + info.status().message(),
                  "check the file named by " + Key(keystore ? ".keystore.path" : ".certificate"));
    }
    out.node_names = info->other_names;
    out.common_name = info->common_name;
    std::vector<std::string> stored(chain.begin() + 1, chain.end());

    // The CAs the user's settings trust.
    std::vector<std::string> trusted;
    if (settings_.count(Key(".certificate_authorities"))) {
      Result<std::vector<std::string>> cas = CertificateAuthorities();
      if (!cas.ok()) return cas.status();
      trusted = std::move(cas).value();
    } else if (std::optional<std::string> truststore = Scalar(Key(".truststore.path"))) {
      Result<std::vector<std::string>> certs =
          ReadPkcs12(*truststore, ".truststore.path", ".truststore.secure_password",
                     ".truststore.password", /*need_key=*/false);
      if (!certs.ok()) return certs.status();
      trusted = std::move(certs).value();
    } else {
      trusted = stored;
    }
    std::set<std::string> seen;
    for (const std::string& pem : trusted) {
      if (seen.insert(pem).second) out.ca_pems.push_back(pem);
    }
    if (out.ca_pems.empty()) {
      return Fail("cannot tell which CA signs the node's transport certificate (no " +
                      Key(".certificate_authorities") + ", no " + Key(".truststore.path") +
                      ", and no CA stored with the node's certificate)",
                  "set " + Key(".certificate_authorities") +
                      " to the PEM file of the CA that issued the nodes' transport "
                      "certificates");
    }
    return out;
  }

 private:
  Status Fail(const std::string& what, const std::string& fix) const {
    return Status::FailedPrecondition(src_.node + ": " + what + "; " + fix);
  }

  // A setting's value as text: strings, numbers and booleans.
  std::optional<std::string> Scalar(const std::string& key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return std::nullopt;
    const Value& v = it->second.value;
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number()) return v.dump();
    return std::nullopt;
  }

  std::string PathOf(const std::string& path) const {
    return !path.empty() && path.front() == '/' ? path : src_.config_dir + "/" + path;
  }

  Result<std::string> ReadFile(const std::string& path, const std::string& setting) const {
    Result<std::string> bytes = src_.fs->ReadFile(PathOf(path));
    if (!bytes.ok()) {
      return Fail("cannot read " + PathOf(path) + " (" + setting + " in " + yml_.file() +
                      "): " + bytes.status().message(),
                  "fix the path or the file's permissions for the user running crosslink");
    }
    return bytes;
  }

  Result<std::vector<std::string>> ReadPem(const std::string& path, const std::string& setting) {
    Result<std::string> text = ReadFile(path, setting);
    if (!text.ok()) return text.status();
    Result<std::vector<std::string>> certs = NormalizeCertificates(*text);
    if (!certs.ok() || certs->empty()) {
      return Fail(PathOf(path) + " (" + setting + ") holds no readable PEM certificate" +
                      (certs.ok() ? std::string() : ": " + certs.status().message()),
                  "point " + setting + " at a PEM certificate file");
    }
    return certs;
  }

  Result<std::vector<std::string>> CertificateAuthorities() {
    const std::string setting = Key(".certificate_authorities");
    const Value& v = settings_.at(setting).value;
    std::vector<std::string> paths;
    if (v.is_string()) {
      paths.push_back(v.get<std::string>());
    } else if (v.is_array()) {
      for (const Value& item : v) {
        if (item.is_string()) paths.push_back(item.get<std::string>());
      }
    }
    if (paths.size() != (v.is_array() ? v.size() : 1)) {
      return Fail(setting + " in " + yml_.file() + " is not a path or a list of paths",
                  "write it as a list of PEM file paths");
    }
    std::vector<std::string> out;
    const std::string own = std::string(kFilesDir) + "/" + kTransportCaFile;
    for (const std::string& path : paths) {
      if (path == own || PathOf(path) == src_.config_dir + "/" + own) continue;
      Result<std::vector<std::string>> certs = ReadPem(path, setting);
      if (!certs.ok()) return certs.status();
      out.insert(out.end(), certs->begin(), certs->end());
    }
    return out;
  }

  // The password of a PKCS#12: the keystore's secure setting, else the
  // legacy yml setting, else empty. `from` says where it came from.
  Result<Secret> Password(const std::string& secure_key, const std::string& legacy_key,
                          std::string* from) {
    Result<std::optional<Secret>> secure = src_.secure(secure_key);
    if (!secure.ok()) return secure.status();
    if (secure->has_value()) {
      *from = "the password from the Elasticsearch keystore setting " + secure_key;
      return std::move(**secure);
    }
    if (std::optional<std::string> legacy = Scalar(legacy_key)) {
      *from = "the password of " + legacy_key + " in " + yml_.file();
      return Secret(*legacy);
    }
    *from = "an empty password (" + secure_key + " is not in the Elasticsearch keystore)";
    return Secret();
  }

  // The certificates of a PKCS#12 named by `path_suffix`: with `need_key`,
  // the key entry's chain (leaf first); else the trusted certificates (a
  // key entry's chain without its leaf, or every certificate of a
  // certificates-only truststore).
  Result<std::vector<std::string>> ReadPkcs12(const std::string& path,
                                              const std::string& path_suffix,
                                              const std::string& secure_suffix,
                                              const std::string& legacy_suffix, bool need_key) {
    const std::string setting = Key(path_suffix);
    Result<std::string> der = ReadFile(path, setting);
    if (!der.ok()) return der.status();
    std::string from;
    Result<Secret> password = Password(Key(secure_suffix), Key(legacy_suffix), &from);
    if (!password.ok()) return password.status();
    auto unreadable = [&](const Status& cause) {
      return Fail("cannot read the PKCS#12 " + PathOf(path) + " (" + setting + ") with " + from +
                      ": " + cause.message(),
                  "check the file and the keystore setting " + Key(secure_suffix) +
                      " (elasticsearch-keystore show " + Key(secure_suffix) +
                      " must open it); Elasticsearch cannot start with it either");
    };
    Result<pki::Identity> id = pki::ReadPkcs12(*der, *password);
    if (id.ok()) {
      Result<std::vector<std::string>> chain = NormalizeCertificates(id->chain_pem);
      if (!chain.ok() || chain->empty()) {
        return unreadable(chain.ok() ? Status::Corruption("no certificate") : chain.status());
      }
      if (!need_key && chain->size() > 1) chain->erase(chain->begin());
      return chain;
    }
    if (need_key || id.status().code() == StatusCode::kPermissionDenied) {
      return unreadable(id.status());
    }
    Result<std::vector<std::string>> certs = Pkcs12Certificates(*der, *password);
    if (!certs.ok()) return unreadable(certs.status());
    std::string joined;
    for (const std::string& pem : *certs) joined += pem;
    return NormalizeCertificates(joined);
  }

  const YmlFile& yml_;
  const TransportSource& src_;
  std::map<std::string, OutsideSetting> settings_;
};

}  // namespace

Result<std::vector<std::string>> NormalizeCertificates(std::string_view pem) {
  std::vector<std::string> out;
  for (const std::string& block : pki::SplitPemCertificates(pem)) {
    std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
    std::unique_ptr<X509, X509Free> cert(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)
                                            : nullptr);
    if (!cert) {
      ERR_clear_error();
      return Status::InvalidArgument("a PEM certificate block is damaged");
    }
    Result<std::string> canonical = ToPem(cert.get());
    if (!canonical.ok()) return canonical.status();
    out.push_back(std::move(canonical).value());
  }
  return out;
}

Result<TransportTls> ReadTransportTls(const YmlFile& yml, const TransportSource& source) {
  return Reader(yml, source).Read();
}

}  // namespace crosslink::providers::self::internal
