#include "state/state.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace crosslink::state {

const ResourceState* State::Find(const std::string& address) const {
  auto it = resources.find(address);
  return it == resources.end() ? nullptr : &it->second;
}

std::string NewLineage() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // The OpenSSL CSPRNG only fails when the OS gives it no entropy at all;
    // a non-unique lineage would silently defeat stale-plan detection.
    std::fputs("crosslink: OpenSSL RAND_bytes failed; cannot create a state lineage\n", stderr);
    std::abort();
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace crosslink::state
