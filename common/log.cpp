// Structured logging implementation.
#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>

namespace cdns::log {
namespace {
std::atomic<int> gLevel{static_cast<int>(Level::kInfo)};
std::atomic<int> gFormat{static_cast<int>(Format::kText)};
const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}
bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}
}  // namespace

void setLevel(Level l) { gLevel = static_cast<int>(l); }
void setFormat(Format f) { gFormat = static_cast<int>(f); }
Level level() { return static_cast<Level>(gLevel.load()); }

bool parseLevel(std::string_view s, Level& out) {
  if (s == "debug") out = Level::kDebug;
  else if (s == "info") out = Level::kInfo;
  else if (s == "warn" || s == "warning") out = Level::kWarn;
  else if (s == "error") out = Level::kError;
  else return false;
  return true;
}

Line::Line(Level l, std::string_view component)
    : enabled_(static_cast<int>(l) >= gLevel.load()), level_(l), component_(component) {}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (enabled_) fields_.emplace_back(std::string(key), std::string(value));
  return *this;
}

Line& Line::msg(std::string_view text) {
  msg_ = text;
  return *this;
}

Line::~Line() {
  if (!enabled_) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string out;
  if (static_cast<Format>(gFormat.load()) == Format::kJson) {
    nlohmann::json j;
    j["ts"] = static_cast<double>(ms) / 1000.0;
    j["level"] = levelName(level_);
    j["component"] = component_;
    if (!msg_.empty()) j["msg"] = msg_;
    for (auto& [k, v] : fields_) j[k] = v;
    out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    time_t secs = static_cast<time_t>(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[64];
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    out = stamp;
    out += ' ';
    out += levelName(level_);
    out += ' ';
    out += component_;
    if (!msg_.empty()) {
      out += ' ';
      out += msg_;
    }
    for (auto& [k, v] : fields_) {
      out += ' ';
      out += k;
      out += '=';
      if (needsQuotes(v)) {
        out += '"';
        for (char c : v) {
          if (c == '"' || c == '\\') out += '\\';
          out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
        }
        out += '"';
      } else {
        out += v;
      }
    }
  }
  out += '\n';
  // One write(2) per line keeps lines whole across threads.
  ssize_t r = ::write(STDERR_FILENO, out.data(), out.size());
  (void)r;
}

}  // namespace cdns::log
