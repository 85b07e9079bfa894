# Issue #7's mixed topology: the shipped crosslink (cli::RunCli with
# cli::NewBuiltinProviders) over all four platforms at once
# (sandbox/configs/mixed.yaml: two ECK operators, an ECH organization, an ECE
# installation, two self-managed clusters) with a dozen connections.
#
# self_main.cc is main(): a sandbox node's bin/elasticsearch-keystore execs
# the test binary with `keystore ...`.
crosslink_test(crosslink_mixed_e2e_test
  SOURCES self_main.cc mixed_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink::pki crosslink_contracts crosslink::yaml_cpp)
