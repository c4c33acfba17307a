// cdns-find: ask the cdns resolver where to run a service, the way an application would.
//   CDNS_RESOLVER=127.0.0.1:5353 CDNS_ZONE=gba.example cdns-find train gpu=4 policy=price
#include <cdns/cdns.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cdns-find [--explain] SERVICE [KEY=VALUE...]\n";
    return 2;
  }
  int i = 1;
  bool explain = std::string(argv[i]) == "--explain" && ++i;
  std::string service = argv[i++];
  cdns::client::Requirements req;
  for (; i < argc; ++i) {
    auto item = cdns::client::parseRequirements(argv[i]);
    if (!item) {
      std::cerr << "cdns-find: " << item.error().message << "\n";
      return 2;
    }
    req.insert(req.end(), item->begin(), item->end());
  }

  cdns::client::Client client;  // the resolver and zone from CDNS_RESOLVER and CDNS_ZONE
  auto r = client.resolve(service, req, explain);
  if (!r) {
    std::cerr << "cdns-find: " << r.error().message << "\n";
    return r.error().kind == cdns::client::Error::Kind::kNoFit ? 1 : 3;
  }
  std::cout << "center   " << r->center << "\nendpoint " << r->endpoint << "\n";
  for (const auto& a : r->addresses) std::cout << "address  " << a << "\n";
  if (auto relay = client.findRelay(r->center)) std::cout << "relay    " << relay->host << " " << relay->address << " port " << relay->port << "\n";
  if (r->explanation) std::cout << "\n" << cdns::client::explanationTable(r->explanation->json);
  return 0;
}
