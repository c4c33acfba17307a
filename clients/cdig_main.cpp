// cdig entry point.
#include <iostream>

#include "clients/cdig.h"

int main(int argc, char** argv) {
  return cdns::clients::runCdig(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
