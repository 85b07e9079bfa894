// main() of the end-to-end test binaries that run self-managed nodes of the
// in-process sandbox: a node's bin/elasticsearch-keystore execs
// `<this binary> keystore --home <home> ...` (sandbox/self/install.h), which
// is served here like crosslink-sandbox serves it; anything else runs the
// tests.

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "sandbox/self/keystore_cli.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "keystore") {
    std::vector<std::string> args(argv + 2, argv + argc);
    return crosslink::sandbox::self::RunKeystoreCli(args, std::cin, std::cout, std::cerr);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
