# crosslink::cloud: the "ech" and "ece" providers (cloud_provider.h): resource
# logic in cloud_resources.cc (trust entries: crosslink::cloud_trust), API
# I/O, serialized trust writes and the endpoint resolver in
# cloud_provider.cc. Needs the Cloud API client and the trust logic.
if(TARGET crosslink_cloud_client AND TARGET crosslink_cloud_trust)
  crosslink_library(cloud
    SOURCES cloud_provider.cc cloud_resources.cc system_trust.cc
    DEPS crosslink::cloud_client crosslink::cloud_trust crosslink::providers
         crosslink::elasticsearch crosslink::graph crosslink::topology crosslink::state
         crosslink::http crosslink::core crosslink::pki OpenSSL::Crypto)
endif()
