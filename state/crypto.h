#pragma once
// Encryption of sensitive state values at rest.
//
// Every sensitive output is sealed with AES-256-GCM under the state key: a
// fresh random 12-byte nonce per value, and the resource address plus the
// output name as additional authenticated data, so a value cannot be moved
// to another resource or output without failing authentication. The stored
// form is base64(nonce | ciphertext | 16-byte tag).
//
// The state key comes from one of two sources (docs/state.md):
//   - a passphrase in CROSSLINK_STATE_KEY, stretched with
//     PBKDF2-HMAC-SHA512 (kPbkdf2Iterations rounds, random 16-byte salt);
//   - a key file of 32 random bytes (stored base64), by default
//     $XDG_CONFIG_HOME/crosslink/state.key (else ~/.config/crosslink/state.key),
//     overridable with CROSSLINK_STATE_KEY_FILE. It is created 0600 on first
//     use and refused when group or others have any access to it.
// The state's "encryption" block records which source was used, the salt and
// iteration count, and a key-check value (a known text sealed with the key)
// so that a wrong key is detected at load and reported as such, never
// turned into garbage.
//
// Thread-safety: Cipher is immutable and may be shared between threads.
// KeyProvider is thread-safe; derived keys are cached process-wide, so the
// slow passphrase derivation runs once per (passphrase, salt) per process.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/filesystem.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"

namespace crosslink::state {

inline constexpr int kPbkdf2Iterations = 600000;
inline constexpr size_t kStateKeySize = 32;
inline constexpr std::string_view kKdfPassphrase = "pbkdf2-sha512";
inline constexpr std::string_view kKdfKeyFile = "keyfile";

// The state file's "encryption" block.
struct EncryptionInfo {
  std::string kdf;     // kKdfPassphrase or kKdfKeyFile
  std::string salt;    // base64 of 16 random bytes (passphrase only)
  int iterations = 0;  // PBKDF2 rounds (passphrase only)
  std::string check;   // base64 AES-GCM of a fixed text: detects a wrong key
  bool operator==(const EncryptionInfo&) const = default;
};

// AES-256-GCM under one 32-byte key. The key bytes are wiped on destruction.
class Cipher {
 public:
  // kInvalidArgument unless `key` is exactly kStateKeySize bytes.
  static Result<std::shared_ptr<const Cipher>> FromKey(std::string_view key);
  ~Cipher();
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;

  // base64(nonce | ciphertext | tag). Fails only if OpenSSL does (kInternal).
  Result<std::string> Encrypt(std::string_view plaintext, std::string_view aad) const;
  // kCorruption when `encoded` is malformed, was altered, belongs to another
  // `aad`, or was sealed with another key.
  Result<std::string> Decrypt(std::string_view encoded, std::string_view aad) const;

  // The key-check value for the encryption block, and its verification.
  Result<std::string> MakeCheck() const;
  bool MatchesCheck(std::string_view check) const;

 private:
  explicit Cipher(std::string_view key);
  std::string key_;
};

// The AAD binding a sealed value to its place: address and output name.
std::string SensitiveOutputAad(std::string_view address, std::string_view output);

// Where the state key comes from.
struct KeyOptions {
  std::optional<Secret> passphrase;  // CROSSLINK_STATE_KEY when set and non-empty
  std::string key_file;              // CROSSLINK_STATE_KEY_FILE, else DefaultKeyFilePath()
  // Reads CROSSLINK_STATE_KEY and CROSSLINK_STATE_KEY_FILE.
  static KeyOptions FromEnvironment();
};

// $XDG_CONFIG_HOME/crosslink/state.key, else ~/.config/crosslink/state.key.
std::string DefaultKeyFilePath();

// Produces the cipher for a state, from KeyOptions, through a FileSystem
// (key files are read and created there; the FileSystem is not owned).
class KeyProvider {
 public:
  KeyProvider(FileSystem* fs, KeyOptions options);

  struct NewKey {
    std::shared_ptr<const Cipher> cipher;
    EncryptionInfo info;
  };
  // For a state without an encryption block: the passphrase when one is
  // set (with a new random salt), else the key file, created 0600 (with its
  // directory, 0700) when absent.
  Result<NewKey> Create();
  // For a state with encryption block `info`: its key source, verified
  // against info.check. A missing or wrong key is kPermissionDenied with a
  // message saying what to set; a damaged block is kCorruption.
  Result<std::shared_ptr<const Cipher>> Open(const EncryptionInfo& info);

 private:
  Result<std::shared_ptr<const Cipher>> FromPassphrase(const std::string& salt, int iterations);
  // `create`: make a new key file when none exists.
  Result<std::shared_ptr<const Cipher>> FromKeyFile(bool create);

  FileSystem* fs_;
  KeyOptions options_;
};

}  // namespace crosslink::state
