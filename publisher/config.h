// cdns-publish configuration: JSON, validated before start; errors name the JSON path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/tsig.h"
#include "publisher/collectors.h"
#include "publisher/state.h"

namespace cdns::publisher {

struct Service {
  std::string name;                    // "infer"
  std::vector<std::string> addresses;  // "192.0.2.10", "2001:db8::10"
};

struct Relay {
  std::string address;  // the relay's address (A/AAAA of relay.<center>.centers)
  uint16_t port = 8443;
};

/// A grade table row: scores at or above `min` get `cls` (rows are tried from the highest min).
struct Grade {
  std::string cls;
  double min = 0;
};

struct Calibration {
  std::string command;    // prints JSON or key=value; `metric` names the figure
  std::string metric;     // e.g. "bs448_images_per_s"
  std::string bench = "resnet50-fp16-train";
  std::string unit = "images/s";
  std::vector<Grade> grades;
  std::string tierFile;   // where the calibrated TIER fields are kept between runs
};

struct Config {
  std::string center;      // "sz1"
  std::string zone;        // "gba.example." (absolute)
  std::vector<std::string> primaries;
  tsig::Key key;
  double intervalSeconds = 5;
  uint32_t heartbeatSeconds = 60;
  uint32_t leaseSeconds = 180;  // 0: no lease
  uint32_t ttl = 60;
  int timeoutMs = 1000;
  int attempts = 4;
  std::string withdraw = "delete";  // on SIGTERM: "delete" the capacity, or publish "zero" free
  std::vector<std::unique_ptr<Collector>> collectors;
  State staticState;  // site, price, energy, tier fields; netq and data lists
  std::map<std::string, Threshold> thresholds;
  std::vector<Service> services;
  std::optional<Relay> relay;
  Calibration calibration;
  std::string logLevel = "info";

  std::string centerOwner() const { return center + ".centers." + zone; }  // presentation
};

/// Loads and checks a config file. Throws ConfigError ("/collectors/1/type: unknown collector").
Config loadConfig(const std::string& file);
extern const char* const kConfigHelp;

}  // namespace cdns::publisher
