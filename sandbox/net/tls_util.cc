// OpenSSL helpers shared by the server and Dial (internal.h).

#include <openssl/err.h>
#include <openssl/pem.h>

#include <csignal>
#include <memory>
#include <mutex>

#include "sandbox/net/internal.h"

namespace crosslink::sandbox::net::internal {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Status UseIdentity(SSL_CTX* ctx, const pki::Identity& identity) {
  BioPtr chain = MemBio(identity.chain_pem);
  X509* leaf = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("identity has no certificate");
  }
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) return Status::InvalidArgument("bad certificate: " + DrainOpenSslErrors());
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* extra = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return Status::InvalidArgument("bad chain certificate: " + DrainOpenSslErrors());
    }
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  BioPtr key_bio = MemBio(identity.key_pem.expose());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    ERR_clear_error();  // never echo anything about the key material
    return Status::InvalidArgument("identity has no readable private key");
  }
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("private key does not match the certificate");
  }
  return Status::Ok();
}

X509_STORE* BuildStore(const std::vector<std::string>& pems, Status* status) {
  X509_STORE* store = X509_STORE_new();
  for (const std::string& pem : pems) {
    BioPtr bio = MemBio(pem);
    int count = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);  // duplicates are harmless
      X509_free(cert);
      ++count;
    }
    ERR_clear_error();
    if (count == 0) {
      X509_STORE_free(store);
      *status = Status::InvalidArgument("trusted CA is not a PEM certificate");
      return nullptr;
    }
  }
  *status = Status::Ok();
  return store;
}

std::string CertificatePem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace crosslink::sandbox::net::internal
