// JSON configuration loading with path-naming errors.
#include "common/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cdns {

nlohmann::json loadJsonFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError("", file + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  try {
    return nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    size_t line = 1;
    for (size_t i = 0; i < e.byte && i < text.size(); ++i)
      if (text[i] == '\n') ++line;
    throw ConfigError("", file + ":" + std::to_string(line) + ": invalid JSON: " + e.what());
  }
}

bool ConfigNode::has(std::string_view key) const {
  return j_.is_object() && j_.contains(std::string(key));
}

ConfigNode ConfigNode::child(std::string_view key) const {
  if (!j_.is_object()) fail("expected object");
  auto it = j_.find(std::string(key));
  if (it == j_.end()) fail(key, "required");
  return ConfigNode(*it, pathOf(key));
}

ConfigNode ConfigNode::at(size_t index) const {
  if (!j_.is_array() || index >= j_.size()) fail("expected array with element " + std::to_string(index));
  return ConfigNode(j_[index], path_ + "/" + std::to_string(index));
}

size_t ConfigNode::size() const { return (j_.is_array() || j_.is_object()) ? j_.size() : 0; }

std::string ConfigNode::str(std::string_view key) const {
  auto c = child(key);
  if (!c.j_.is_string()) c.fail("expected string");
  return c.j_.get<std::string>();
}

std::string ConfigNode::str(std::string_view key, std::string_view dflt) const {
  return has(key) ? str(key) : std::string(dflt);
}

int64_t ConfigNode::integer(std::string_view key, int64_t min, int64_t max) const {
  auto c = child(key);
  if (!c.j_.is_number_integer() || c.j_.get<int64_t>() < min || c.j_.get<int64_t>() > max)
    c.fail("expected integer " + std::to_string(min) + ".." + std::to_string(max));
  return c.j_.get<int64_t>();
}

int64_t ConfigNode::integer(std::string_view key, int64_t min, int64_t max, int64_t dflt) const {
  return has(key) ? integer(key, min, max) : dflt;
}

double ConfigNode::number(std::string_view key, double min, double max, double dflt) const {
  if (!has(key)) return dflt;
  auto c = child(key);
  if (!c.j_.is_number() || c.j_.get<double>() < min || c.j_.get<double>() > max) {
    std::ostringstream os;
    os << "expected number " << min << ".." << max;
    c.fail(os.str());
  }
  return c.j_.get<double>();
}

bool ConfigNode::boolean(std::string_view key, bool dflt) const {
  if (!has(key)) return dflt;
  auto c = child(key);
  if (!c.j_.is_boolean()) c.fail("expected true or false");
  return c.j_.get<bool>();
}

std::vector<std::string> ConfigNode::strings(std::string_view key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  auto c = child(key);
  if (!c.j_.is_array()) c.fail("expected array of strings");
  for (size_t i = 0; i < c.j_.size(); ++i) {
    if (!c.j_[i].is_string()) c.at(i).fail("expected string");
    out.push_back(c.j_[i].get<std::string>());
  }
  return out;
}

void ConfigNode::checkKnown(std::initializer_list<std::string_view> known) const {
  if (!j_.is_object()) fail("expected object");
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || k == it.key();
    if (!ok) fail(it.key(), "unknown key");
  }
}

void ConfigNode::fail(std::string_view key, const std::string& problem) const {
  throw ConfigError(pathOf(key), problem);
}

void ConfigNode::fail(const std::string& problem) const { throw ConfigError(path_, problem); }

bool parseByteSize(std::string_view text, uint64_t& out) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || !(v >= 0)) return false;
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (!unit.empty()) {
    static const char kUnits[] = "kmgt";
    const char* at = std::strchr(kUnits, unit[0]);
    if (!at || !*at || !(unit.size() == 1 || unit.substr(1) == "b" || unit.substr(1) == "ib")) return false;
    shift = 10 * static_cast<int>(at - kUnits + 1);
  }
  double bytes = v * static_cast<double>(1ULL << shift);
  if (bytes > static_cast<double>(1ULL << 60)) return false;
  out = static_cast<uint64_t>(bytes);
  return true;
}

}  // namespace cdns
