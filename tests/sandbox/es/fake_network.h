#pragma once
// A fake Dialer: hands the line to another twin's RCS or transport handler
// after checking the DialOptions the way the TLS handshake would (the server
// chain ends at a trusted CA, the verify name matches a SAN, a client
// certificate chains to the route's client CAs when the route requires one).

#include <map>
#include <string>

#include "engine/core/pki.h"
#include "sandbox/es/twin.h"

namespace crosslink::sandbox::es::testing {

class FakeNetwork {
 public:
  enum class Port { kRcs, kTransport };
  void Add(const std::string& host, uint16_t port, Twin* twin, Port which) { endpoints_[{host, port}] = {twin, which}; }

  Dialer dialer() {
    return [this](const std::string& host, uint16_t port, net::DialOptions options, std::string_view line) {
      return Dial(host, port, std::move(options), line);
    };
  }
  const net::DialOptions& last() const { return last_; }

 private:
  static bool Trusted(const std::string& chain_pem, const std::vector<std::string>& cas) {
    auto chain = pki::SplitPemCertificates(chain_pem);
    if (chain.empty()) return false;
    for (const auto& ca : cas) {
      for (const auto& cert : pki::SplitPemCertificates(ca)) {
        if (cert == chain.back()) return true;
      }
    }
    return false;
  }
  static bool NameMatches(const pki::CertificateInfo& info, const std::string& name) {
    for (const auto& ip : info.ip_addresses) {
      if (ip == name) return true;
    }
    for (const auto& dns : info.dns_names) {
      if (dns == name) return true;
      if (dns.rfind("*.", 0) == 0) {
        auto dot = name.find('.');
        if (dot != std::string::npos && name.substr(dot) == dns.substr(1)) return true;
      }
    }
    return false;
  }
  static net::DialResult Fail(net::DialResult::Stage stage, std::string error) {
    net::DialResult r;
    r.stage = stage;
    r.error = std::move(error);
    return r;
  }

  net::DialResult Dial(const std::string& host, uint16_t port, net::DialOptions options, std::string_view line) {
    last_ = options;
    auto it = endpoints_.find({host, port});
    if (it == endpoints_.end()) return Fail(net::DialResult::Stage::kConnect, "Connection refused");
    Twin* twin = it->second.first;
    auto route = it->second.second == Port::kRcs ? twin->RemoteClusterRoute() : twin->TransportRoute();
    if (!route) return Fail(net::DialResult::Stage::kConnect, "Connection refused");
    if (!Trusted(route->identity->chain_pem, options.trusted_ca_pems)) {
      return Fail(net::DialResult::Stage::kVerify,
                  "PKIX path building failed: unable to find valid certification path to requested target");
    }
    if (!options.verify_name.empty()) {
      auto info = pki::InspectCertificate(route->identity->chain_pem);
      if (!info.ok() || !NameMatches(*info, options.verify_name)) {
        return Fail(net::DialResult::Stage::kVerify,
                    "No subject alternative DNS name matching " + options.verify_name + " found.");
      }
    }
    net::StreamPeer peer;
    peer.sni = options.sni;
    peer.route = route->name;
    peer.peer_address = "127.0.0.1:50000";
    if (route->client_auth == net::ClientAuth::kRequired) {
      if (!options.client_identity) return Fail(net::DialResult::Stage::kHandshake, "Empty client certificate chain");
      if (!Trusted(options.client_identity->chain_pem, route->client_ca_pems)) {
        return Fail(net::DialResult::Stage::kHandshake, "Received fatal alert: certificate_unknown");
      }
      peer.client_chain_pem = pki::SplitPemCertificates(options.client_identity->chain_pem);
    }
    net::DialResult r;
    r.response_line = route->stream(peer, line);
    const std::vector<std::string> chain = pki::SplitPemCertificates(route->identity->chain_pem);
    if (!chain.empty()) r.server_certificate_pem = chain.front();
    return r;
  }

  std::map<std::pair<std::string, uint16_t>, std::pair<Twin*, Port>> endpoints_;
  net::DialOptions last_;
};

}  // namespace crosslink::sandbox::es::testing
