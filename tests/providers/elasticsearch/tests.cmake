# Tests of the Elasticsearch provider (included by CMakeLists.txt here) and
# of the REST-spec checker in ../contracts.
if(TARGET crosslink_elasticsearch)
  set(_contracts ${CMAKE_CURRENT_SOURCE_DIR}/../contracts)
  add_library(crosslink_es_contracts STATIC ${_contracts}/es_rest_spec.cc)
  target_include_directories(crosslink_es_contracts PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(crosslink_es_contracts PUBLIC crosslink::http crosslink::core
                        PRIVATE crosslink_warnings crosslink_sanitizers)

  crosslink_test(es_rest_spec_test
    SOURCES ${_contracts}/es_rest_spec_test.cc
    DEPS crosslink_es_contracts crosslink_contracts)

  crosslink_test(elasticsearch_provider_unit_test
    SOURCES unit_test.cc
    DEPS crosslink::elasticsearch crosslink::test_fakes)

  crosslink_test(elasticsearch_provider_test
    SOURCES provider_test.cc
    DEPS crosslink::elasticsearch crosslink::sandbox crosslink_es_contracts crosslink_contracts)
endif()
