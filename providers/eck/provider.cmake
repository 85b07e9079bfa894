# crosslink::eck: the ECK provider (eck_provider.h): resource logic in
# eck_resources.cc, Kubernetes I/O, restart groups and the endpoint resolver
# in eck_provider.cc. Needs the Kubernetes client (kube.cc).
if(TARGET crosslink_eck_kube)
  crosslink_library(eck
    SOURCES eck_provider.cc eck_resources.cc
    DEPS crosslink::eck_kube crosslink::providers crosslink::graph crosslink::topology
         crosslink::state crosslink::pki crosslink::http crosslink::core OpenSSL::Crypto)
endif()
