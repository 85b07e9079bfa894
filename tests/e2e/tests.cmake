# Issue #4's end-to-end scenarios: the shipped crosslink (cli::RunCli with
# cli::NewBuiltinProviders) against an in-process sandbox.
crosslink_test(crosslink_e2e_test
  SOURCES seed_002_test.cc seed_000_test.cc bad_input_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink_contracts crosslink::yaml_cpp)
