// Authentication, routing and the small read-only endpoints of the twin.

#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

using RestTest = TwinTest;

TEST_F(RestTest, RootAnswersLikeElasticsearch) {
  auto r = Call("GET", "/");
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = Body(r);
  EXPECT_EQ(v["cluster_name"], "prod");
  EXPECT_EQ(v["cluster_uuid"], twin_->cluster_uuid());
  EXPECT_EQ(v["version"]["number"], "8.15.0");
  EXPECT_EQ(v["version"]["minimum_wire_compatibility_version"], "7.17.0");
  EXPECT_EQ(v["tagline"], "You Know, for Search");
  EXPECT_TRUE(v.contains("name"));
}

TEST_F(RestTest, HealthIsGreen) {
  Value v = Body(Call("GET", "/_cluster/health"));
  EXPECT_EQ(v["cluster_name"], "prod");
  EXPECT_EQ(v["status"], "green");
  EXPECT_EQ(v["timed_out"], false);
}

TEST_F(RestTest, MissingCredentialsAre401WithChallenge) {
  auto r = Call("GET", "/_cluster/health", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers["WWW-Authenticate"].find("Basic realm=\"security\""), std::string::npos);
  Value v = Body(r);
  EXPECT_EQ(ErrorType(v), "security_exception");
  EXPECT_EQ(ErrorReason(v), "missing authentication credentials for REST request [/_cluster/health]");
  EXPECT_EQ(v["status"], 401);
  EXPECT_EQ(v["error"]["root_cause"][0]["type"], "security_exception");
}

TEST_F(RestTest, WrongPasswordAndUnknownUserAre401) {
  auto r = Call("GET", "/", "", BasicAuth("elastic", "nope"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorReason(Body(r)), "unable to authenticate user [elastic] for REST request [/]");
  r = Call("GET", "/", "", BasicAuth("ghost", "changeme"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorReason(Body(r)), "unable to authenticate user [ghost] for REST request [/]");
}

TEST_F(RestTest, AuthenticateReportsRealmUser) {
  Value v = Body(Call("GET", "/_security/_authenticate"));
  EXPECT_EQ(v["username"], "elastic");
  EXPECT_EQ(v["roles"], Value::array({"superuser"}));
  EXPECT_EQ(v["authentication_type"], "realm");
  EXPECT_EQ(v["authentication_realm"]["name"], "reserved");
  v = Body(Call("GET", "/_security/_authenticate", "", BasicAuth("admin2", "s3cret-2")));
  EXPECT_EQ(v["username"], "admin2");
  EXPECT_EQ(v["authentication_realm"]["type"], "native");
}

TEST_F(RestTest, RestApiKeyAuthenticates) {
  Value key = CreateRestKey("ops");
  Value v = Body(Call("GET", "/_security/_authenticate", "", "ApiKey " + key["encoded"].get<std::string>()));
  EXPECT_EQ(v["authentication_type"], "api_key");
  EXPECT_EQ(v["username"], "elastic");
  EXPECT_EQ(v["api_key"]["id"], key["id"]);
  EXPECT_EQ(v["api_key"]["name"], "ops");
}

TEST_F(RestTest, CrossClusterKeyIsRejectedOnRest) {
  Value key = CreateCcKey("rc");
  auto r = Call("GET", "/", "", "ApiKey " + key["encoded"].get<std::string>());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorReason(Body(r)), "authentication expected API key type of [rest], but API key [" +
                                      key["id"].get<std::string>() + "] has type [cross_cluster]");
}

TEST_F(RestTest, WrongOrInvalidatedApiKeyIs401) {
  Value key = CreateRestKey("ops");
  auto r = Call("GET", "/", "", "ApiKey " + B64(key["id"].get<std::string>() + ":wrong-secret-wrong-secr"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorReason(Body(r)),
            "unable to authenticate with provided credentials and anonymous access is not allowed for this request");
  ASSERT_EQ(Call("DELETE", "/_security/api_key", R"({"ids":[")" + key["id"].get<std::string>() + R"("]})").status,
            200);
  r = Call("GET", "/", "", "ApiKey " + key["encoded"].get<std::string>());
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(Body(r)["error"]["additional_unsuccessful_credentials"].get<std::string>().find("invalidated"),
            std::string::npos);
}

TEST_F(RestTest, ExpiredRestKeyIs401) {
  Value key = Body(Call("POST", "/_security/api_key", R"({"name":"short","expiration":"1h"})"));
  EXPECT_EQ(Call("GET", "/", "", "ApiKey " + key["encoded"].get<std::string>()).status, 200);
  clock_.Advance(std::chrono::hours(2));
  auto r = Call("GET", "/", "", "ApiKey " + key["encoded"].get<std::string>());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"]["additional_unsuccessful_credentials"], "API key: api key is expired");
}

TEST_F(RestTest, UnknownEndpointAnswersNoHandlerWithoutAuth) {
  auto r = Call("GET", "/_nope", "", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "no handler found for uri [/_nope] and method [GET]");
}

TEST_F(RestTest, WrongMethodIs405WithAllow) {
  auto r = Call("DELETE", "/_cluster/settings");
  EXPECT_EQ(r.status, 405);
  Value v = Body(r);
  EXPECT_EQ(v["error"], "Incorrect HTTP method for uri [/_cluster/settings] and method [DELETE], allowed: [GET, PUT]");
  EXPECT_EQ(r.headers["Allow"], "GET,PUT");
}

TEST_F(RestTest, UnknownQueryParameterIsRejected) {
  auto r = Call("GET", "/_cluster/health?bogus=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "request [/_cluster/health] contains unrecognized parameter: [bogus]");
  EXPECT_EQ(Call("GET", "/_cluster/health?pretty").status, 200);
}

TEST_F(RestTest, FilterPathTrimsTheResponse) {
  Value v = Body(Call("GET", "/?filter_path=version.number,tagline"));
  EXPECT_EQ(v, (Value{{"version", {{"number", "8.15.0"}}}, {"tagline", "You Know, for Search"}}));
}

TEST_F(RestTest, CallInternalActsAsOperatorSuperuser) {
  auto r = twin_->CallInternal("GET", "/_security/_authenticate", std::nullopt);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["username"], "elastic-internal");
  r = twin_->CallInternal("PUT", "/_cluster/settings?flat_settings=true",
                          Value{{"persistent", {{"cluster.remote.a.seeds", "h:9300"}}}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(RestTest, RoutesFollowTheConfig) {
  EXPECT_EQ(twin_->RemoteClusterRoute(), nullptr);
  auto pki = MakePki("ca", {"prod.local"});
  NodeConfig config;
  config.http_identity = std::make_shared<pki::Identity>(pki.server);
  config.transport_identity = std::make_shared<pki::Identity>(pki.server);
  config.rcs_identity = std::make_shared<pki::Identity>(pki.server);
  config.rcs_enabled = true;
  config.transport_ca_pems = {pki.ca.chain_pem};
  config.keystore["cluster.remote.x.credentials"] = Secret("abc");
  twin_->Restart(config);
  EXPECT_EQ(twin_->restarts(), 1);
  auto rest = twin_->RestRoute();
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->name, "es/prod/rest");
  EXPECT_EQ(rest->identity, config.http_identity);
  auto rcs = twin_->RemoteClusterRoute();
  ASSERT_NE(rcs, nullptr);
  EXPECT_EQ(rcs->name, "es/prod/rcs");
  EXPECT_EQ(rcs->client_auth, net::ClientAuth::kNone);
  auto transport = twin_->TransportRoute();
  EXPECT_EQ(transport->name, "es/prod/transport");
  EXPECT_EQ(transport->client_auth, net::ClientAuth::kRequired);
  EXPECT_EQ(transport->client_ca_pems, config.transport_ca_pems);
  EXPECT_EQ(twin_->keystore_keys(), std::vector<std::string>{"cluster.remote.x.credentials"});
  // The route's handler reaches this twin.
  net::HttpRequest req = Request("GET", "/", "", BasicAuth("elastic", "changeme"));
  EXPECT_EQ(Body(rest->http(req))["cluster_name"], "prod");
  Value inspect = twin_->Inspect();
  EXPECT_EQ(inspect["restarts"], 1);
  EXPECT_EQ(inspect["rcs_enabled"], true);
  EXPECT_TRUE(inspect["fingerprints"]["http"].is_string());
  EXPECT_EQ(inspect["keystore"], Value::array({"cluster.remote.x.credentials"}));
  EXPECT_EQ(inspect.dump().find("abc"), std::string::npos);  // keystore values never appear
}

TEST_F(RestTest, ReloadSecureSettingsReadsTheSource) {
  std::optional<Secret> seen;
  twin_->SetReloadSource([&](const std::optional<Secret>& password) -> Result<std::map<std::string, Secret>> {
    seen = password;
    if (password && password->expose() != "ks-pass") return Status::PermissionDenied("Provided keystore password was incorrect");
    return std::map<std::string, Secret>{{"cluster.remote.logs.credentials", Secret("k")}};
  });
  auto r = Call("POST", "/_nodes/reload_secure_settings", R"({"secure_settings_password":"ks-pass"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = Body(r);
  EXPECT_EQ(v["cluster_name"], "prod");
  EXPECT_EQ(v["_nodes"]["total"], 1);
  ASSERT_EQ(v["nodes"].size(), 1u);
  EXPECT_EQ(v["nodes"].begin().value()["secure_setting_names"], Value::array({"cluster.remote.logs.credentials"}));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(twin_->keystore_keys(), std::vector<std::string>{"cluster.remote.logs.credentials"});

  twin_->SetKeystore({});
  r = Call("POST", "/_nodes/_local/reload_secure_settings", R"({"secure_settings_password":"bad"})");
  ASSERT_EQ(r.status, 200);
  v = Body(r);
  EXPECT_EQ(v["nodes"].begin().value()["reload_exception"]["reason"], "Provided keystore password was incorrect");
  EXPECT_TRUE(twin_->keystore_keys().empty());
}

TEST_F(RestTest, ReloadWithoutSourceChangesNothing) {
  twin_->SetKeystore({{"a.b", Secret("1")}});
  auto r = Call("POST", "/_nodes/reload_secure_settings");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(twin_->keystore_keys(), std::vector<std::string>{"a.b"});
  EXPECT_EQ(Call("POST", "/_nodes/reload_secure_settings", R"({"bogus":1})").status, 400);
}


TEST_F(RestTest, InspectionAndErrorsNeverShowSecrets) {
  NodeConfig config;
  config.http_identity = std::make_shared<pki::Identity>(MakePki("ca", {"prod"}).server);
  config.keystore["cluster.remote.x.credentials"] = Secret("keystore-value-5521");
  twin_->Restart(config);
  Value key = CreateCcKey("k1");
  std::string encoded = key["encoded"], api_key = key["api_key"];
  // A wrong password and a wrong API key: the 401s name the user or key id, never the secret.
  auto wrong = Call("GET", "/", "", BasicAuth("elastic", "wrong-pass-8841"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body.find("wrong-pass-8841"), std::string::npos) << wrong.body;
  std::string bad_key = key["id"].get<std::string>() + ":not-the-secret-7730";
  auto wrong_key = Call("GET", "/", "", "ApiKey " + B64(bad_key));
  EXPECT_EQ(wrong_key.status, 401);
  EXPECT_EQ(wrong_key.body.find("not-the-secret-7730"), std::string::npos) << wrong_key.body;

  std::string inspected = twin_->Inspect().dump();
  EXPECT_NE(inspected.find("cluster.remote.x.credentials"), std::string::npos);
  EXPECT_NE(inspected.find(key["id"].get<std::string>()), std::string::npos);
  for (const std::string& secret : {std::string("changeme"), std::string("s3cret-2"), std::string("keystore-value-5521"),
                                    encoded, api_key, std::string("PRIVATE KEY")}) {
    EXPECT_EQ(inspected.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
