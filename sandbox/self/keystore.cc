#include "sandbox/self/keystore.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <regex>

#include "engine/core/filesystem.h"
#include "engine/core/http.h"
#include "engine/core/value.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::self {
namespace {

constexpr int kIterations = 10000;
constexpr size_t kSaltBytes = 16;
constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr const char* kKdf = "pbkdf2-hmac-sha512";
constexpr const char* kWrongPassword = "Provided keystore password was incorrect";

std::string DeriveKey(const Secret& password, const std::string& salt) {
  std::string key(32, '\0');
  PKCS5_PBKDF2_HMAC(password.expose().data(), static_cast<int>(password.expose().size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                    kIterations, EVP_sha512(), 32, reinterpret_cast<unsigned char*>(key.data()));
  return key;
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

std::string Encrypt(const std::string& key, const std::string& name, const std::string& plain) {
  std::string iv = RandomBytes(kIvBytes);
  CipherCtx c;
  std::string out(plain.size() + 16, '\0');
  int len = 0, total = 0;
  EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(iv.data()));
  EVP_EncryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(name.data()),
                    static_cast<int>(name.size()));
  EVP_EncryptUpdate(c.ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                    reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  total = len;
  EVP_EncryptFinal_ex(c.ctx, reinterpret_cast<unsigned char*>(out.data()) + total, &len);
  total += len;
  out.resize(static_cast<size_t>(total));
  std::string tag(kTagBytes, '\0');
  EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag.data());
  return iv + out + tag;
}

std::optional<std::string> Decrypt(const std::string& key, const std::string& name, const std::string& blob) {
  if (blob.size() < kIvBytes + kTagBytes) return std::nullopt;
  std::string iv = blob.substr(0, kIvBytes);
  std::string ct = blob.substr(kIvBytes, blob.size() - kIvBytes - kTagBytes);
  std::string tag = blob.substr(blob.size() - kTagBytes);
  CipherCtx c;
  std::string out(ct.size() + 16, '\0');
  int len = 0, total = 0;
  EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(iv.data()));
  EVP_DecryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(name.data()),
                    static_cast<int>(name.size()));
  EVP_DecryptUpdate(c.ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                    reinterpret_cast<const unsigned char*>(ct.data()), static_cast<int>(ct.size()));
  total = len;
  EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data());
  if (EVP_DecryptFinal_ex(c.ctx, reinterpret_cast<unsigned char*>(out.data()) + total, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  total += len;
  out.resize(static_cast<size_t>(total));
  return out;
}

}  // namespace

Keystore Keystore::Create(Secret password) {
  Keystore ks;
  ks.password_ = std::move(password);
  ks.salt_ = RandomBytes(kSaltBytes);
  // ES seeds every new keystore with 20 random characters.
  ks.entries_["keystore.seed"] =
      Secret(RandomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~!@#$%^&*-_=+?"));
  return ks;
}

Result<Keystore> Keystore::Load(const std::string& path, const Secret& password) {
  auto fs = NewPosixFileSystem();
  if (!fs->Exists(path)) return Status::NotFound("Elasticsearch keystore not found at [" + path + "]");
  Result<std::string> text = fs->ReadFile(path);
  if (!text.ok()) return text.status();
  Result<Value> json = ParseJson(*text);
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("Elasticsearch keystore [" + path + "] is corrupted: " + why);
  };
  if (!json.ok() || !json->is_object()) return corrupt("not a keystore file");
  const Value& j = *json;
  if (j.value("version", 0) != 1) return corrupt("unsupported keystore format version");
  if (j.value("kdf", "") != kKdf || j.value("iterations", 0) != kIterations) return corrupt("unknown key derivation");
  if (!j.contains("entries") || !j["entries"].is_object() || !j.contains("salt") || !j["salt"].is_string()) {
    return corrupt("missing entries or salt");
  }
  auto salt = http::Base64Decode(j["salt"].get<std::string>());
  if (!salt) return corrupt("bad salt");
  Keystore ks;
  ks.password_ = password;
  ks.salt_ = *salt;
  std::string key = DeriveKey(password, ks.salt_);
  for (auto it = j["entries"].begin(); it != j["entries"].end(); ++it) {
    if (!it.value().is_string()) return corrupt("entry [" + it.key() + "] is not a string");
    auto blob = http::Base64Decode(it.value().get<std::string>());
    if (!blob) return corrupt("entry [" + it.key() + "] is not base64");
    auto plain = Decrypt(key, it.key(), *blob);
    if (!plain) {
      OPENSSL_cleanse(key.data(), key.size());
      return Status::PermissionDenied(kWrongPassword);
    }
    ks.entries_[it.key()] = Secret(*plain);
    OPENSSL_cleanse(plain->data(), plain->size());
  }
  OPENSSL_cleanse(key.data(), key.size());
  // A protected keystore was written with a non-empty password: an empty one
  // cannot open it even when it holds no entry.
  if (j.value("password_protected", false) != !password.empty()) return Status::PermissionDenied(kWrongPassword);
  return ks;
}

Result<bool> Keystore::PeekPasswordProtected(const std::string& path) {
  auto fs = NewPosixFileSystem();
  if (!fs->Exists(path)) return Status::NotFound("Elasticsearch keystore not found at [" + path + "]");
  Result<std::string> text = fs->ReadFile(path);
  if (!text.ok()) return text.status();
  Result<Value> json = ParseJson(*text);
  if (!json.ok() || !json->is_object() || !(*json)["password_protected"].is_boolean()) {
    return Status::Corruption("Elasticsearch keystore [" + path + "] is corrupted: not a keystore file");
  }
  return (*json)["password_protected"].get<bool>();
}

Status Keystore::Save(const std::string& path) const {
  std::string key = DeriveKey(password_, salt_);
  Value entries = Value::object();
  for (const auto& [name, value] : entries_) entries[name] = http::Base64Encode(Encrypt(key, name, value.expose()));
  OPENSSL_cleanse(key.data(), key.size());
  Value j = {{"version", 1},          {"password_protected", password_protected()},
             {"kdf", kKdf},           {"iterations", kIterations},
             {"salt", http::Base64Encode(salt_)},    {"entries", entries}};
  return NewPosixFileSystem()->WriteFileAtomic(path, DumpJsonPretty(j) + "\n", 0660);
}

std::vector<std::string> Keystore::Names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) out.push_back(k);
  return out;
}

bool IsValidSettingName(const std::string& name) {
  static const std::regex kPattern("[A-Za-z0-9_\\-.]+");
  return std::regex_match(name, kPattern);
}

std::string KeystorePath(const std::string& home) { return home + "/config/elasticsearch.keystore"; }

}  // namespace crosslink::sandbox::self
