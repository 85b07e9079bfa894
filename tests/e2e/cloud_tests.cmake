# Issue #5's end-to-end scenarios: the shipped crosslink (cli::RunCli with
# cli::NewBuiltinProviders) with Elastic Cloud Hosted and ECE deployments,
# against an in-process sandbox (seeds 003 and 004, ECE <-> ECH, ECH <-> ECH,
# bad input).
crosslink_test(crosslink_cloud_e2e_test
  SOURCES cloud_seed004_test.cc cloud_ece_test.cc cloud_ech_test.cc cloud_seed003_test.cc
          cloud_bad_input_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink::pki crosslink_contracts crosslink::yaml_cpp)
