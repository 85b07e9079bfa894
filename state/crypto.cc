#include "state/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace crosslink::state {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kSaltSize = 16;
constexpr int kMaxIterations = 100'000'000;  // bounds the work a damaged file can ask for
constexpr std::string_view kCheckText = "crosslink state key check v1";
constexpr std::string_view kCheckAad = "crosslink:key-check";

std::string Base64Encode(std::string_view in) {
  if (in.empty()) return "";
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  if (in.empty()) return std::string();
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return "";
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\n' || s[b] == '\r' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\r' || s[e - 1] == '\t')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}


// Process-wide cache of passphrase-derived keys, keyed by a SHA-512 digest of
// (passphrase, salt, iterations): PBKDF2 with 600k rounds is deliberately slow.
struct DerivedKeyCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const Cipher>> ciphers;
};

DerivedKeyCache& Cache() {
  static DerivedKeyCache* cache = new DerivedKeyCache();  // never destroyed
  return *cache;
}

std::string CacheKey(const std::string& passphrase, const std::string& salt, int iterations) {
  std::string material = passphrase;
  material.push_back('\0');
  material += salt;
  material.push_back('\0');
  material += std::to_string(iterations);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha512(), nullptr);
  OPENSSL_cleanse(material.data(), material.size());
  return std::string(reinterpret_cast<char*>(digest), len);
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

}  // namespace

// ---------------------------------------------------------------- Cipher

Cipher::Cipher(std::string_view key) : key_(key) {}

Cipher::~Cipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<std::shared_ptr<const Cipher>> Cipher::FromKey(std::string_view key) {
  if (key.size() != kStateKeySize) {
    return Status::InvalidArgument("a state key must be " + std::to_string(kStateKeySize) +
                                   " bytes, got " + std::to_string(key.size()));
  }
  return std::shared_ptr<const Cipher>(new Cipher(key));
}

Result<std::string> Cipher::Encrypt(std::string_view plaintext, std::string_view aad) const {
  std::string nonce = RandomBytes(kNonceSize);
  if (nonce.empty()) return Status::Internal("OpenSSL could not generate a nonce");
  CipherCtx c;
  auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  std::string out = nonce;
  out.resize(kNonceSize + plaintext.size() + kTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kNonceSize;
  int len = 0;
  bool ok =
      c.ctx != nullptr &&
      EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, key, iv) == 1 &&
      EVP_EncryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(c.ctx, ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(c.ctx, ct + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return Status::Internal("AES-256-GCM encryption failed in OpenSSL");
  }
  return Base64Encode(out);
}

Result<std::string> Cipher::Decrypt(std::string_view encoded, std::string_view aad) const {
  auto raw = Base64Decode(encoded);
  if (!raw || raw->size() < kNonceSize + kTagSize) {
    return Status::Corruption("an encrypted value is malformed (not base64 nonce|ciphertext|tag)");
  }
  size_t ct_size = raw->size() - kNonceSize - kTagSize;
  auto* bytes = reinterpret_cast<unsigned char*>(raw->data());
  std::string plain(ct_size, '\0');
  auto* pt = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx c;
  int len = 0;
  bool ok =
      c.ctx != nullptr &&
      EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(c.ctx, nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), bytes) == 1 &&
      EVP_DecryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c.ctx, pt, &len, bytes + kNonceSize, static_cast<int>(ct_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, bytes + kNonceSize + ct_size) ==
          1 &&
      EVP_DecryptFinal_ex(c.ctx, pt + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Status::Corruption(
        "an encrypted value failed authentication: it was altered, moved from another resource, "
        "or sealed with a different key");
  }
  return plain;
}

Result<std::string> Cipher::MakeCheck() const { return Encrypt(kCheckText, kCheckAad); }

bool Cipher::MatchesCheck(std::string_view check) const {
  auto plain = Decrypt(check, kCheckAad);
  return plain.ok() && *plain == kCheckText;
}

std::string SensitiveOutputAad(std::string_view address, std::string_view output) {
  std::string aad = "crosslink:output:";
  aad += address;
  aad.push_back('\0');  // neither part can contain NUL, so the pair is unambiguous
  aad += output;
  return aad;
}

// ---------------------------------------------------------------- key sources

KeyOptions KeyOptions::FromEnvironment() {
  KeyOptions o;
  const char* pass = std::getenv("CROSSLINK_STATE_KEY");
  if (pass != nullptr && *pass != '\0') o.passphrase = Secret(pass);
  const char* file = std::getenv("CROSSLINK_STATE_KEY_FILE");
  o.key_file = (file != nullptr && *file != '\0') ? std::string(file) : DefaultKeyFilePath();
  return o;
}

std::string DefaultKeyFilePath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/crosslink/state.key";
  return ExpandHome("~/.config/crosslink/state.key");
}

KeyProvider::KeyProvider(FileSystem* fs, KeyOptions options)
    : fs_(fs), options_(std::move(options)) {
  if (options_.key_file.empty()) options_.key_file = DefaultKeyFilePath();
}

Result<KeyProvider::NewKey> KeyProvider::Create() {
  NewKey out;
  if (options_.passphrase) {
    std::string salt = RandomBytes(kSaltSize);
    if (salt.empty()) return Status::Internal("OpenSSL could not generate a salt");
    out.info.kdf = std::string(kKdfPassphrase);
    out.info.salt = Base64Encode(salt);
    out.info.iterations = kPbkdf2Iterations;
    auto c = FromPassphrase(out.info.salt, out.info.iterations);
    if (!c.ok()) return c.status();
    out.cipher = *c;
  } else {
    out.info.kdf = std::string(kKdfKeyFile);
    auto c = FromKeyFile(/*create=*/true);
    if (!c.ok()) return c.status();
    out.cipher = *c;
  }
  auto check = out.cipher->MakeCheck();
  if (!check.ok()) return check.status();
  out.info.check = *check;
  return out;
}

Result<std::shared_ptr<const Cipher>> KeyProvider::Open(const EncryptionInfo& info) {
  std::shared_ptr<const Cipher> cipher;
  if (info.kdf == kKdfPassphrase) {
    if (!options_.passphrase) {
      return Status::PermissionDenied(
          "this state's sensitive values are encrypted with a passphrase, and CROSSLINK_STATE_KEY "
          "is not set; set CROSSLINK_STATE_KEY to the passphrase used when the state was written");
    }
    auto c = FromPassphrase(info.salt, info.iterations);
    if (!c.ok()) return c.status();
    cipher = *c;
    if (!cipher->MatchesCheck(info.check)) {
      return Status::PermissionDenied(
          "the state key does not match the one this state was encrypted with: "
          "CROSSLINK_STATE_KEY is not the passphrase used before; set CROSSLINK_STATE_KEY to that "
          "passphrase (without it the sensitive values in this state cannot be read)");
    }
    return cipher;
  }
  if (info.kdf == kKdfKeyFile) {
    if (options_.passphrase) {
      spdlog::warn(
          "CROSSLINK_STATE_KEY is set, but this state is encrypted with the key file {}; "
          "the passphrase is not used",
          options_.key_file);
    }
    if (!fs_->Exists(options_.key_file)) {
      return Status::PermissionDenied(
          "this state's sensitive values are encrypted with a key file, and " + options_.key_file +
          " does not exist; copy the key file used when the state was written there, or set "
          "CROSSLINK_STATE_KEY_FILE to its path");
    }
    auto c = FromKeyFile(/*create=*/false);
    if (!c.ok()) return c.status();
    cipher = *c;
    if (!cipher->MatchesCheck(info.check)) {
      return Status::PermissionDenied(
          "the state key does not match the one this state was encrypted with: the key file " +
          options_.key_file +
          " is not the one used before; set CROSSLINK_STATE_KEY_FILE to the original key file "
          "(without it the sensitive values in this state cannot be read)");
    }
    return cipher;
  }
  return Status::Corruption("the state's encryption block names an unknown key derivation \"" +
                            info.kdf + "\" (expected \"" + std::string(kKdfPassphrase) +
                            "\" or \"" + std::string(kKdfKeyFile) + "\")");
}

Result<std::shared_ptr<const Cipher>> KeyProvider::FromPassphrase(const std::string& salt_b64,
                                                                  int iterations) {
  auto salt = Base64Decode(salt_b64);
  if (!salt || salt->size() < kSaltSize) {
    return Status::Corruption("the state's encryption block has a malformed salt");
  }
  if (iterations < kPbkdf2Iterations || iterations > kMaxIterations) {
    return Status::Corruption("the state's encryption block asks for " +
                              std::to_string(iterations) +
                              " PBKDF2 iterations (allowed: " + std::to_string(kPbkdf2Iterations) +
                              " to " + std::to_string(kMaxIterations) + ")");
  }
  const std::string& pass = options_.passphrase->expose();
  std::string cache_key = CacheKey(pass, *salt, iterations);
  auto& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mu);  // also makes concurrent derivations run once
  auto it = cache.ciphers.find(cache_key);
  if (it != cache.ciphers.end()) return it->second;
  std::string key(kStateKeySize, '\0');
  if (PKCS5_PBKDF2_HMAC(pass.data(), static_cast<int>(pass.size()),
                        reinterpret_cast<const unsigned char*>(salt->data()),
                        static_cast<int>(salt->size()), iterations, EVP_sha512(),
                        static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    return Status::Internal("PBKDF2 key derivation failed in OpenSSL");
  }
  auto cipher = Cipher::FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  if (!cipher.ok()) return cipher.status();
  cache.ciphers.emplace(cache_key, *cipher);
  return *cipher;
}

Result<std::shared_ptr<const Cipher>> KeyProvider::FromKeyFile(bool create) {
  const std::string& path = options_.key_file;
  if (!fs_->Exists(path)) {
    if (!create) return Status::NotFound("state key file " + path + " does not exist");
    std::string key = RandomBytes(kStateKeySize);
    if (key.empty()) return Status::Internal("OpenSSL could not generate a state key");
    std::string text = Base64Encode(key) + "\n";
    Status s = fs_->MakeDirs(DirName(path), 0700);
    if (s.ok()) s = fs_->WriteFileAtomic(path, text, 0600);
    OPENSSL_cleanse(text.data(), text.size());
    if (!s.ok()) {
      OPENSSL_cleanse(key.data(), key.size());
      return s.WithContext("cannot create the state key file");
    }
    spdlog::warn(
        "created state key file {} (mode 0600); keep a copy: without it the sensitive "
        "values in the state cannot be read",
        path);
    auto cipher = Cipher::FromKey(key);
    OPENSSL_cleanse(key.data(), key.size());
    return cipher;
  }
  auto mode = fs_->FileMode(path);
  if (!mode.ok()) return mode.status().WithContext("cannot use the state key file");
  if ((*mode & 077) != 0) {
    char octal[16];
    std::snprintf(octal, sizeof octal, "%04o", *mode & 07777);
    return Status::PermissionDenied("the state key file " + path + " is accessible by group or " +
                                    "others (mode " + octal + "); restrict it with `chmod 600 " +
                                    path +
                                    "` and consider the key compromised if others could read it");
  }
  auto data = fs_->ReadFile(path);
  if (!data.ok()) return data.status().WithContext("cannot read the state key file");
  std::string text = Trim(*data);
  std::string key;
  if (auto decoded = Base64Decode(text); decoded && decoded->size() == kStateKeySize) {
    key = std::move(*decoded);
  } else if (data->size() == kStateKeySize) {
    key = *data;  // 32 raw bytes
  }
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(data->data(), data->size());
  if (key.empty()) {
    return Status::Corruption("the state key file " + path + " is not a crosslink state key " +
                              "(expected 32 bytes, base64-encoded)");
  }
  auto cipher = Cipher::FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return cipher;
}

}  // namespace crosslink::state
