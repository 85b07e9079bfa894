# Issue #7: every topology of examples/ runs, as shipped, against the sandbox
# of the same name (sandbox/configs/<name>.yaml): validate without any
# environment, then plan, apply, connected, empty re-plan, destroy, nothing
# of crosslink's left, no secret in any output. The examples are discovered
# at run time, so a new example without a sandbox config fails.
#
# self_main.cc is main(): the examples have self-managed nodes, whose
# bin/elasticsearch-keystore execs the test binary (see self_tests.cmake).
crosslink_test(crosslink_examples_e2e_test
  SOURCES self_main.cc examples_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink::pki crosslink_contracts crosslink::yaml_cpp)
