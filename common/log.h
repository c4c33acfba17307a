// Structured logging: a component tag and key=value fields, or JSON lines on request.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdns::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

/// Process-wide settings; set once at start-up, before any loop thread runs.
void setLevel(Level level);
void setFormat(Format format);
Level level();
bool parseLevel(std::string_view s, Level& out);

/// One log line, written (atomically, to stderr) when it goes out of scope:
///   log::Line(Level::kInfo, "authority.update").kv("zone", z).kv("serial", s);
/// Safe from any thread.
class Line {
 public:
  Line(Level level, std::string_view component);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, const std::string& value) { return kv(key, std::string_view(value)); }
  Line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  template <typename T>
  Line& kv(std::string_view key, const T& value) {
    std::ostringstream os;
    os << value;
    fields_.emplace_back(std::string(key), os.str());
    return *this;
  }
  /// A free-text message, printed after the tag.
  Line& msg(std::string_view text);

 private:
  bool enabled_;
  Level level_;
  std::string component_;
  std::string msg_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

inline Line debug(std::string_view c) { return Line(Level::kDebug, c); }
inline Line info(std::string_view c) { return Line(Level::kInfo, c); }
inline Line warn(std::string_view c) { return Line(Level::kWarn, c); }
inline Line error(std::string_view c) { return Line(Level::kError, c); }

}  // namespace cdns::log
