# crosslink::elasticsearch: the Elasticsearch REST provider (included by CMakeLists.txt).
crosslink_library(elasticsearch
  SOURCES
    endpoint.cc es_client.cc resources.cc diagnosis.cc
    api_keys.cc remote_settings.cc connection_check.cc roles.cc
    elasticsearch_provider.cc
  DEPS
    crosslink::core crosslink::http crosslink::topology crosslink::graph crosslink::providers
    crosslink::state OpenSSL::Crypto)
