// cdns-submit: a thin main over clients/submit.
#include <iostream>

#include "clients/submit.h"

int main(int argc, char** argv) {
  return cdns::clients::runSubmit(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
