// JSON configuration loading whose errors name the JSON path: "/zones/0/file: no such file".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cdns {

/// A configuration error. what() is "<path>: <problem>". Thrown only while loading config.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& path, const std::string& problem)
      : std::runtime_error((path.empty() ? std::string("/") : path) + ": " + problem) {}
};

/// Reads and parses a JSON file; throws ConfigError naming the file and line on failure.
nlohmann::json loadJsonFile(const std::string& file);

/// A view of one JSON node and its path, with typed accessors that throw ConfigError.
/// Unknown keys are an error once checkKnown() is called with the keys a section accepts.
class ConfigNode {
 public:
  ConfigNode(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {}

  const nlohmann::json& json() const { return j_; }
  const std::string& path() const { return path_; }
  bool has(std::string_view key) const;
  ConfigNode child(std::string_view key) const;  // throws when missing
  ConfigNode at(size_t index) const;
  size_t size() const;
  bool isArray() const { return j_.is_array(); }
  bool isObject() const { return j_.is_object(); }

  std::string str(std::string_view key) const;
  std::string str(std::string_view key, std::string_view dflt) const;
  int64_t integer(std::string_view key, int64_t min, int64_t max) const;
  int64_t integer(std::string_view key, int64_t min, int64_t max, int64_t dflt) const;
  double number(std::string_view key, double min, double max, double dflt) const;
  bool boolean(std::string_view key, bool dflt) const;
  std::vector<std::string> strings(std::string_view key) const;  // missing -> empty

  /// Throws for a key not in `known` (catches typos such as "lisen").
  void checkKnown(std::initializer_list<std::string_view> known) const;
  [[noreturn]] void fail(std::string_view key, const std::string& problem) const;
  [[noreturn]] void fail(const std::string& problem) const;
  std::string pathOf(std::string_view key) const { return path_ + "/" + std::string(key); }

 private:
  const nlohmann::json& j_;
  std::string path_;
};

/// A size in bytes: "64g", "16G", "1.5TiB", "512" (K, M, G, T with an optional B or iB, any case;
/// powers of 1024). False for anything else, a negative number or more than 2^60.
bool parseByteSize(std::string_view text, uint64_t& out);

}  // namespace cdns
