// ChainTrustedBySystem with OpenSSL's X509_STORE (system_trust.h).

#include "providers/cloud/system_trust.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>

namespace crosslink::providers::cloud {
namespace {

struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr Parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

bool ChainTrustedBySystem(const std::vector<std::string>& chain) {
  if (chain.empty()) return false;
  std::vector<X509Ptr> certs;
  for (const std::string& pem : chain) {
    X509Ptr c = Parse(pem);
    if (!c) return false;
    certs.push_back(std::move(c));
  }
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  if (!store || X509_STORE_set_default_paths(store.get()) != 1) return false;
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  if (!untrusted) return false;
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(untrusted.get(), certs[i].get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (!ctx) return false;
  if (X509_STORE_CTX_init(ctx.get(), store.get(), certs[0].get(), untrusted.get()) != 1) {
    return false;
  }
  return X509_verify_cert(ctx.get()) == 1;
}

}  // namespace crosslink::providers::cloud
