# The trust-entry logic (providers/cloud/trust.h): pure functions, every trust
# object they produce checked by the Cloud sandbox's rules (sandbox/cloud/trust.h).
if(TARGET crosslink_cloud_trust AND TARGET crosslink_sandbox_cloud)
  crosslink_test(cloud_trust_test
    SOURCES trust_test.cc
    DEPS crosslink::cloud_trust crosslink::sandbox_cloud crosslink::providers crosslink::pki)
endif()
