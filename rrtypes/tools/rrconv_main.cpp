// cdns-rrconv entry point.
#include <iostream>

#include "rrtypes/tools/rrconv.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return cdns::rrtypes::runRrconv(args, std::cin, std::cout, std::cerr);
}
