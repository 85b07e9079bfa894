# Issue #7's connection matrix (DOMAIN.md §1): every local platform x every
# remote platform x both security models, plus the same-platform variants,
# each a full plan/apply/destroy cycle of the shipped crosslink against a
# fresh in-process sandbox (sandbox/configs/matrix.yaml); and the impossible
# cells, refused by `crosslink validate`. Rows run in parallel under ctest.
#
# Self-managed nodes exec this binary as their bin/elasticsearch-keystore:
# self_main.cc is its main().
crosslink_test(crosslink_matrix_e2e_test
  SOURCES self_main.cc matrix_test.cc
  DEPS crosslink::cli crosslink::builtin_providers crosslink::eck_kube crosslink::sandbox
       crosslink::http crosslink::pki crosslink_contracts crosslink::yaml_cpp)
