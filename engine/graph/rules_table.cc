// The expansion table: DOMAIN.md §1.1 (API key model) and §1.2 (TLS
// certificate model), one row per cell, steps in DOMAIN order. `L(...)`
// acts on (or reads) the local cluster, `R(...)` the remote one. Bracketed
// DOMAIN steps ([x] = conditional) are listed when any of their condition
// can hold; the step template decides with what it knows at expansion time
// or defers the decision to a live fact (see each template).
//
// Not expanded (need information the topology does not carry): traffic
// filters / IP filters on the remote (EC.TRAFFICFILTER.RC), the deprecated
// Cloud-managed remotes (EC.REMOTES.PUT), strong identity (ES.SIGNING).

#include <utility>

#include "engine/graph/rules.h"

namespace crosslink::graph {

namespace {

using topology::Platform;
using topology::SecurityModel;

constexpr Platform kEch = Platform::kEch;
constexpr Platform kEce = Platform::kEce;
constexpr Platform kEck = Platform::kEck;
constexpr Platform kSelf = Platform::kSelf;
constexpr SecurityModel kApiKey = SecurityModel::kApiKey;
constexpr SecurityModel kCert = SecurityModel::kCertificate;
constexpr Scope kAny = Scope::kAny;
constexpr Scope kSame = Scope::kSameEnvironment;
constexpr Scope kOther = Scope::kOtherEnvironment;

Cell Row(Platform local, Platform remote, SecurityModel model, Scope scope,
         std::vector<StepTemplate> steps) {
  return {local, remote, model, scope, std::move(steps)};
}

StepTemplate L(const char* step, StepFn fn) { return {Side::kLocal, step, fn}; }
StepTemplate R(const char* step, StepFn fn) { return {Side::kRemote, step, fn}; }

// Every cell ends with these.
StepTemplate Put() { return L("ES.REMOTE.PUT", RemotePut); }
StepTemplate Verify() { return L("ES.REMOTE.VERIFY", RemoteVerify); }
StepTemplate Role() { return L("ES.ROLE.PUT", RolePut); }
StepTemplate RoleTlsLocal() { return L("ES.ROLE.PUT.TLS", RolePut); }
StepTemplate RoleTlsRemote() { return R("ES.ROLE.PUT.TLS", RolePut); }

std::vector<Cell> BuildTable() {
  return {
      // ---------------- §1.1 API key model (remote cluster server, 9443) ----------------
      // Local on Elastic Cloud: credential in the deployment keystore.
      Row(kEch, kEch, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("EC.KEYSTORE.SET", EcKeystoreSet), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      Row(kEch, kEce, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ECE.PROXYCA.READ", EceProxyCaIfPrivate),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("EC.KEYSTORE.SET", EcKeystoreSet),
           L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      Row(kEch, kEck, kApiKey, kAny,
          {R("ECK.RCS.ENABLE", EckRcsEnable), R("ECK.RCS.EXPOSE", EckRcsExpose),
           R("ECK.CA.READ", EckCaRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("EC.KEYSTORE.SET", EcKeystoreSet), L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa),
           L("EC.RESTART", EcRestart), Put(), Verify(), Role()}),
      Row(kEch, kSelf, kApiKey, kAny,
          {R("SM.RCS.CERT", SelfRcsCert), R("SM.RCS.ENABLE", SelfRcsEnable),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("EC.KEYSTORE.SET", EcKeystoreSet),
           L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      Row(kEce, kEch, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("EC.KEYSTORE.SET", EcKeystoreSet), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      // Same ECE environment: docs show no CA step; trusted only if the proxy cert is private
      // (inferred).
      Row(kEce, kEce, kApiKey, kSame,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ECE.PROXYCA.READ", EceProxyCaIfPrivate),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("EC.KEYSTORE.SET", EcKeystoreSet),
           L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      Row(kEce, kEce, kApiKey, kOther,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ECE.PROXYCA.READ", EceProxyCa),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("EC.KEYSTORE.SET", EcKeystoreSet),
           L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      Row(kEce, kEck, kApiKey, kAny,
          {R("ECK.RCS.ENABLE", EckRcsEnable), R("ECK.RCS.EXPOSE", EckRcsExpose),
           R("ECK.CA.READ", EckCaRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("EC.KEYSTORE.SET", EcKeystoreSet), L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa),
           L("EC.RESTART", EcRestart), Put(), Verify(), Role()}),
      Row(kEce, kSelf, kApiKey, kAny,
          {R("SM.RCS.CERT", SelfRcsCert), R("SM.RCS.ENABLE", SelfRcsEnable),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("EC.KEYSTORE.SET", EcKeystoreSet),
           L("EC.TRUST.APIKEYCA", EcTrustApiKeyCa), L("EC.RESTART", EcRestart), Put(), Verify(),
           Role()}),
      // Local on ECK: credential Secret + client TLS in the Elasticsearch resource.
      Row(kEck, kEch, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("ECK.CRED.SECRET", EckCredentialSecret), L("ECK.CLIENT.TLS", EckClientTls), Put(),
           Verify(), Role()}),
      Row(kEck, kEce, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ECE.PROXYCA.READ", EceProxyCaIfPrivate),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("ECK.CRED.SECRET", EckCredentialSecret),
           L("ECK.CLIENT.TLS", EckClientTls), Put(), Verify(), Role()}),
      // Same operator: the operator creates the key, keystore entry, CA copies and settings.
      Row(kEck, kEck, kApiKey, kSame,
          {R("ECK.RCS.ENABLE", EckRcsEnable), L("ECK.SAME.APIKEY", EckSameOperatorApiKey), Verify(),
           Role()}),
      Row(kEck, kEck, kApiKey, kOther,
          {R("ECK.RCS.ENABLE", EckRcsEnable), R("ECK.RCS.EXPOSE", EckRcsExpose),
           R("ECK.CA.READ", EckCaRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("ECK.CRED.SECRET", EckCredentialSecret), L("ECK.CLIENT.TLS", EckClientTls), Put(),
           Verify(), Role()}),
      Row(kEck, kSelf, kApiKey, kAny,
          {R("SM.RCS.CERT", SelfRcsCert), R("SM.RCS.ENABLE", SelfRcsEnable),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("ECK.CRED.SECRET", EckCredentialSecret),
           L("ECK.CLIENT.TLS", EckClientTls), Put(), Verify(), Role()}),
      // Local self-managed: elasticsearch.yml client TLS, node keystores, reload.
      Row(kSelf, kEch, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("SM.CLIENT.TLS", SelfClientTls), L("SM.KEYSTORE.CRED", SelfKeystoreCredential),
           L("ES.RELOAD", SelfReload), Put(), Verify(), Role()}),
      Row(kSelf, kEce, kApiKey, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointRead), R("ECE.PROXYCA.READ", EceProxyCaIfPrivate),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("SM.CLIENT.TLS", SelfClientTls),
           L("SM.KEYSTORE.CRED", SelfKeystoreCredential), L("ES.RELOAD", SelfReload), Put(),
           Verify(), Role()}),
      Row(kSelf, kEck, kApiKey, kAny,
          {R("ECK.RCS.ENABLE", EckRcsEnable), R("ECK.RCS.EXPOSE", EckRcsExpose),
           R("ECK.CA.READ", EckCaRead), R("ES.APIKEY.CREATE", ApiKeyCreate),
           L("SM.CLIENT.TLS", SelfClientTls), L("SM.KEYSTORE.CRED", SelfKeystoreCredential),
           L("ES.RELOAD", SelfReload), Put(), Verify(), Role()}),
      Row(kSelf, kSelf, kApiKey, kAny,
          {R("SM.RCS.CERT", SelfRcsCert), R("SM.RCS.ENABLE", SelfRcsEnable),
           R("ES.APIKEY.CREATE", ApiKeyCreate), L("SM.CLIENT.TLS", SelfClientTls),
           L("SM.KEYSTORE.CRED", SelfKeystoreCredential), L("ES.RELOAD", SelfReload), Put(),
           Verify(), Role()}),

      // ---------------- §1.2 TLS certificate model (transport, 9300 / 9400) ----------------
      Row(kEch, kEch, kCert, kSame,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), L("EC.TRUST.ACCOUNTS", EcTrustAccountsOwn),
           R("EC.TRUST.ACCOUNTS", EcTrustAccountsOwn), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEch, kEch, kCert, kOther,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), L("EC.TRUST.ACCOUNTS", EcTrustAccountsPeer),
           R("EC.TRUST.ACCOUNTS", EcTrustAccountsPeer), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEch, kEce, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), L("EC.TRUST.DIRECT", EcTrustDirect),
           R("EC.TRUST.DIRECT", EcTrustDirect), Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEch, kEck, kCert, kAny,
          {L("EC.TRUST.DIRECT", EcTrustDirect), R("ECK.TRUST.CLOUD", EckTrustCloud),
           R("ECK.TRANSPORT.EXPOSE", EckTransportExpose), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEch, kSelf, kCert, kAny,
          {L("EC.TRUST.DIRECT", EcTrustDirect), R("SM.TRANSPORT.TRUST", SelfTransportTrust),
           R("SM.TRUST.RESTRICT", SelfTrustRestrict), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEce, kEch, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), L("EC.TRUST.DIRECT", EcTrustDirect),
           R("EC.TRUST.DIRECT", EcTrustDirect), Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEce, kEce, kCert, kSame,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), L("EC.TRUST.ACCOUNTS", EcTrustAccountsOwn),
           R("EC.TRUST.ACCOUNTS", EcTrustAccountsOwn), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEce, kEce, kCert, kOther,
          {R("EC.ENDPOINT.READ", EcEndpointTransport),
           L("ECE.PLATFORM.TRUSTREL", EceTrustRelationship),
           R("ECE.PLATFORM.TRUSTREL", EceTrustRelationship),
           L("EC.TRUST.EXTERNAL", EcTrustExternal), R("EC.TRUST.EXTERNAL", EcTrustExternal), Put(),
           Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEce, kEck, kCert, kAny,
          {L("EC.TRUST.DIRECT", EcTrustDirect), R("ECK.TRUST.CLOUD", EckTrustCloud),
           R("ECK.TRANSPORT.EXPOSE", EckTransportExpose), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEce, kSelf, kCert, kAny,
          {L("EC.TRUST.DIRECT", EcTrustDirect), R("SM.TRANSPORT.TRUST", SelfTransportTrust),
           R("SM.TRUST.RESTRICT", SelfTrustRestrict), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEck, kEch, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), R("EC.TRUST.DIRECT", EcTrustDirect),
           L("ECK.TRUST.CLOUD", EckTrustCloud), Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEck, kEce, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), R("EC.TRUST.DIRECT", EcTrustDirect),
           L("ECK.TRUST.CLOUD", EckTrustCloud), Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEck, kEck, kCert, kSame,
          {L("ECK.SAME.TLS", EckSameOperatorTls), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kEck, kEck, kCert, kOther,
          {L("ECK.TRANSPORT.TRUST", EckTransportTrust), R("ECK.TRANSPORT.TRUST", EckTransportTrust),
           R("ECK.TRANSPORT.EXPOSE", EckTransportExpose), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kEck, kSelf, kCert, kAny,
          {L("ECK.TRANSPORT.TRUST", EckTransportTrust), R("SM.TRANSPORT.TRUST", SelfTransportTrust),
           Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kSelf, kEch, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), R("EC.TRUST.DIRECT", EcTrustDirect),
           L("SM.TRANSPORT.TRUST", SelfTransportTrust), L("SM.TRUST.RESTRICT", SelfTrustRestrict),
           Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kSelf, kEce, kCert, kAny,
          {R("EC.ENDPOINT.READ", EcEndpointTransport), R("EC.TRUST.DIRECT", EcTrustDirect),
           L("SM.TRANSPORT.TRUST", SelfTransportTrust), L("SM.TRUST.RESTRICT", SelfTrustRestrict),
           Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
      Row(kSelf, kEck, kCert, kAny,
          {L("SM.TRANSPORT.TRUST", SelfTransportTrust), R("ECK.TRANSPORT.TRUST", EckTransportTrust),
           R("ECK.TRANSPORT.EXPOSE", EckTransportExpose), Put(), Verify(), RoleTlsLocal(),
           RoleTlsRemote()}),
      Row(kSelf, kSelf, kCert, kAny,
          {L("SM.TRANSPORT.TRUST", SelfTransportTrust), R("SM.TRANSPORT.TRUST", SelfTransportTrust),
           Put(), Verify(), RoleTlsLocal(), RoleTlsRemote()}),
  };
}

}  // namespace

const std::vector<Cell>& ExpansionTable() {
  static const std::vector<Cell> kTable = BuildTable();
  return kTable;
}

const Cell* FindCell(topology::Platform local, topology::Platform remote,
                     topology::SecurityModel model, bool same_environment) {
  const Scope exact = same_environment ? Scope::kSameEnvironment : Scope::kOtherEnvironment;
  const Cell* any = nullptr;
  for (const Cell& c : ExpansionTable()) {
    if (c.local != local || c.remote != remote || c.model != model) continue;
    if (c.scope == exact) return &c;
    if (c.scope == Scope::kAny) any = &c;
  }
  return any;
}

}  // namespace crosslink::graph
