# The ech / ece providers (providers/cloud/cloud_provider.h) against the
# in-process sandbox, every Cloud API request checked against the Swagger
# contract of its flavor (crosslink_cloud_contracts, client_tests.cmake).
if(TARGET crosslink_cloud AND TARGET crosslink_sandbox AND TARGET crosslink_cloud_contracts)
  crosslink_test(cloud_provider_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/provider_test.cc
    DEPS crosslink::cloud crosslink::sandbox crosslink::http crosslink::pki
         crosslink_cloud_contracts crosslink_contracts)
endif()
# The providers inside the real planner / apply engine with the real
# Elasticsearch provider (reaching ECH / ECE through the cloud resolvers).
if(TARGET crosslink_cloud AND TARGET crosslink_sandbox AND TARGET crosslink_cloud_contracts
   AND TARGET crosslink_apply AND TARGET crosslink_elasticsearch)
  crosslink_test(cloud_engine_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/engine_test.cc
    DEPS crosslink::cloud crosslink::elasticsearch crosslink::sandbox crosslink::apply
         crosslink::plan crosslink::graph crosslink::pki crosslink_cloud_contracts
         crosslink_contracts)
endif()
