# The pki provider inside the real planner and apply engine, with its
# consumer (self_remote_cluster_server) served by the fake provider.
if(TARGET crosslink_apply AND TARGET crosslink_plan AND TARGET crosslink_fake_provider)
  crosslink_test(pki_engine_test
    SOURCES pki_engine_test.cc
    DEPS crosslink::pki_provider crosslink::apply crosslink::plan crosslink::graph
         crosslink::fake_provider crosslink::state)
endif()
