# Tests of the Cloud API client (client_test.cc) and the Cloud API contract
# checker in ../contracts (crosslink_cloud_contracts, also used by the
# provider and end-to-end tests).
if(TARGET crosslink_cloud_client AND TARGET crosslink_sandbox_cloud)
  if(NOT TARGET crosslink_cloud_contracts)
    set(_cloud_contracts ${CMAKE_CURRENT_SOURCE_DIR}/../contracts)
    add_library(crosslink_cloud_contracts STATIC ${_cloud_contracts}/cloud_api_spec.cc)
    target_include_directories(crosslink_cloud_contracts PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(crosslink_cloud_contracts
                          PUBLIC crosslink::cloud_client crosslink::http crosslink::core
                          PRIVATE crosslink::sandbox_cloud crosslink_contracts crosslink_warnings
                                  crosslink_sanitizers)
  endif()

  crosslink_test(cloud_api_spec_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/../contracts/cloud_api_spec_test.cc
    DEPS crosslink_cloud_contracts)

  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/client_test.cc)
    crosslink_test(cloud_client_test
      SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/client_test.cc
      DEPS crosslink::cloud_client crosslink_cloud_contracts crosslink::sandbox crosslink_contracts)
  endif()
endif()
