# The ECK provider's tests: unit tests against an in-memory Kubernetes API,
# end-to-end tests against the in-process sandbox (operator twin), and the
# provider inside the real planner/apply engine.
if(TARGET crosslink_eck)
  crosslink_test(eck_provider_test
    SOURCES eck_provider_test.cc
    DEPS crosslink::eck)
  if(TARGET crosslink_sandbox)
    crosslink_test(eck_provider_sandbox_test
      SOURCES eck_provider_sandbox_test.cc
      DEPS crosslink::eck crosslink::sandbox crosslink::http crosslink::pki crosslink_contracts)
    if(TARGET crosslink_apply AND TARGET crosslink_fake_provider)
      crosslink_test(eck_engine_test
        SOURCES eck_engine_test.cc
        DEPS crosslink::eck crosslink::sandbox crosslink::apply crosslink::plan crosslink::graph
             crosslink::fake_provider crosslink_contracts)
    endif()
  endif()
endif()
