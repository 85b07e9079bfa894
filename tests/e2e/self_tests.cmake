# Issue #6's end-to-end scenarios: the shipped crosslink (cli::RunCli with
# cli::NewBuiltinProviders) with self-managed clusters of the in-process
# sandbox: seed 001 (self-managed -> ECK), self <-> self (both models,
# certificate expiry), bad input on a node. Seed 003 (ECH -> self-managed)
# is cloud_seed003_test.cc in crosslink_cloud_e2e_test.
#
# self_main.cc is main(): a sandbox node's bin/elasticsearch-keystore execs
# the test binary with `keystore ...`. crosslink_cloud_e2e_test runs a
# self-managed node too (seed 003), so it gets the same main().
crosslink_test(crosslink_self_e2e_test
  SOURCES self_main.cc self_seed001_test.cc self_pair_test.cc self_bad_input_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink::pki crosslink_contracts crosslink::yaml_cpp)

if(TARGET crosslink_cloud_e2e_test)
  target_sources(crosslink_cloud_e2e_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/self_main.cc)
endif()
