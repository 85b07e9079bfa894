#pragma once
// crosslink::sandbox::self::Keystore: the self-managed twin's stand-in for
// config/elasticsearch.keystore, read by the keystore CLI stand-in
// (keystore_cli.h) and by the node at (re)start and at
// `POST _nodes/reload_secure_settings`.
//
// File format (JSON, one object; the sandbox's own, not ES's binary format):
//   {"version": 1,
//    "password_protected": false,
//    "kdf": "pbkdf2-hmac-sha512", "iterations": 10000, "salt": "<base64 16 bytes>",
//    "entries": {"<setting>": "<base64(iv[12] || AES-256-GCM ciphertext || tag[16])>"}}
// The AES key is PBKDF2 of the keystore password; an unprotected keystore
// uses the empty password (obfuscation, like ES's own unprotected keystore).
// Each entry's setting name is the GCM additional data, so entries cannot be
// swapped. A wrong password fails every tag check: kPermissionDenied
// "Provided keystore password was incorrect". Like ES, `create` adds a random
// `keystore.seed` entry.
//
// Thread-safety: a Keystore is a value; Load/Save are not atomic with
// respect to concurrent writers of the same file (one CLI at a time, as ES).

#include <map>
#include <string>
#include <vector>

#include "engine/core/secret.h"
#include "engine/core/status.h"

namespace crosslink::sandbox::self {

class Keystore {
 public:
  // An empty keystore with a fresh `keystore.seed`.
  static Keystore Create(Secret password);
  // kNotFound when the file is absent, kCorruption when it is not a keystore,
  // kPermissionDenied for a wrong password.
  static Result<Keystore> Load(const std::string& path, const Secret& password);
  // The file's password_protected flag, without decrypting (has-passwd).
  static Result<bool> PeekPasswordProtected(const std::string& path);
  // Writes atomically with mode 0660.
  Status Save(const std::string& path) const;

  bool password_protected() const { return !password_.empty(); }
  bool Has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> Names() const;  // sorted
  const std::map<std::string, Secret>& entries() const { return entries_; }
  void Set(const std::string& name, Secret value) { entries_[name] = std::move(value); }
  void Remove(const std::string& name) { entries_.erase(name); }

 private:
  Secret password_;
  std::string salt_;
  std::map<std::string, Secret> entries_;
};

// ES's rule for keystore setting names: [A-Za-z0-9_\-.]+
bool IsValidSettingName(const std::string& name);

// <home>/config/elasticsearch.keystore
std::string KeystorePath(const std::string& home);

}  // namespace crosslink::sandbox::self
