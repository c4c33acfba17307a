// Turning a measured state into compute records, and deciding what changed.
#include "publisher/state.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

namespace cdns::publisher {
namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string quoteIfNeeded(const std::string& v) {
  bool needs = v.empty();
  for (char c : v)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\\') needs = true;
  if (!needs) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Result<BuiltRecord> build(const std::string& type, const std::map<std::string, std::string>& kv, uint64_t ts,
                          const std::string& where) {
  const rrtypes::TypeDef* t = rrtypes::findType(type);
  if (!t) return makeError(where + ": unknown record type " + type);
  std::string text;
  for (const auto& [k, v] : kv) {
    if (k == "ts") continue;
    if (!t->key(k)) {
      std::string known;
      for (const auto& kd : t->keys) known += (known.empty() ? "" : ", ") + std::string(kd.name);
      return makeError(where + "." + k + ": " + type + " has no key \"" + k + "\" (known: " + known + ")");
    }
    text += k + "=" + quoteIfNeeded(v) + " ";
  }
  text += "ts=" + std::to_string(ts);
  auto wire = rrtypes::parseText(*t, text);
  if (!wire) return makeError(where + ": " + wire.error().message);
  auto canonical = rrtypes::toText(*t, *wire);
  return BuiltRecord{std::string(t->name), canonical ? *canonical : text, std::move(*wire)};
}

// The numbers in a value, with the text between them ("9T/32T" -> {9, 32}, "T/T").
bool numbers(const std::string& v, std::vector<double>& nums, std::string& shape) {
  size_t i = 0;
  while (i < v.size()) {
    if (std::isdigit(static_cast<unsigned char>(v[i])) ||
        (v[i] == '.' && i + 1 < v.size() && std::isdigit(static_cast<unsigned char>(v[i + 1])))) {
      char* end = nullptr;
      nums.push_back(std::strtod(v.c_str() + i, &end));
      i = static_cast<size_t>(end - v.c_str());
      shape += '#';
    } else {
      shape += v[i++];
    }
  }
  return !nums.empty();
}

bool withinThreshold(const std::string& a, const std::string& b, const Threshold& t) {
  std::vector<double> na, nb;
  std::string sa, sb;
  if (!numbers(a, na, sa) || !numbers(b, nb, sb) || sa != sb || na.size() != nb.size()) return false;
  for (size_t i = 0; i < na.size(); ++i) {
    double limit = t.relative ? t.amount / 100.0 * std::max(std::fabs(na[i]), 1e-9) : t.amount;
    if (std::fabs(na[i] - nb[i]) > limit) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> State::get(const std::string& path) const {
  auto it = fields.find(path);
  if (it == fields.end()) return std::nullopt;
  return it->second;
}

Result<RecordSet> buildRecords(const State& s, uint64_t ts) {
  std::map<std::string, std::map<std::string, std::string>> byType;
  for (const auto& [path, value] : s.fields) {
    auto dot = path.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == path.size())
      return makeError(path + ": expected <type>.<key>, e.g. cap.queue");
    byType[upper(path.substr(0, dot))][path.substr(dot + 1)] = value;
  }
  RecordSet out;
  for (const auto& [type, kv] : byType) {
    if (type == "NETQ" || type == "DATA") return makeError(type + " records come from the \"netq\"/\"data\" lists");
    std::string where = type;
    for (auto& c : where) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto r = build(type, kv, ts, where);
    if (!r) return r.error();
    out[type].push_back(std::move(*r));
  }
  for (const auto& [type, list] : {std::pair{std::string("NETQ"), &s.netq}, std::pair{std::string("DATA"), &s.data}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      auto r = build(type, (*list)[i], ts, (type == "NETQ" ? "netq/" : "data/") + std::to_string(i));
      if (!r) return r.error();
      out[type].push_back(std::move(*r));
    }
  }
  return out;
}

Result<Threshold> parseThreshold(const std::string& text) {
  Threshold t;
  std::string num = text;
  if (!num.empty() && num.back() == '%') {
    t.relative = true;
    num.pop_back();
  }
  char* end = nullptr;
  t.amount = std::strtod(num.c_str(), &end);
  if (num.empty() || *end != '\0' || t.amount < 0) return makeError("bad threshold \"" + text + "\" (e.g. 0.05 or 10%)");
  return t;
}

std::vector<std::string> changedTypes(const State& was, const State& now,
                                      const std::map<std::string, Threshold>& thresholds) {
  std::map<std::string, bool> changed;
  auto typeOf = [](const std::string& path) { return upper(path.substr(0, path.find('.'))); };
  std::map<std::string, std::string> all = was.fields;
  for (const auto& [p, v] : now.fields) all[p];
  for (const auto& [path, unused] : all) {
    auto a = was.get(path), b = now.get(path);
    if (a == b) continue;
    if (a && b) {
      auto t = thresholds.find(path);
      if (t != thresholds.end() && withinThreshold(*a, *b, t->second)) continue;
    }
    changed[typeOf(path)] = true;
  }
  if (was.netq != now.netq) changed["NETQ"] = true;
  if (was.data != now.data) changed["DATA"] = true;
  std::vector<std::string> out;
  for (const auto& [t, c] : changed) out.push_back(t);
  return out;
}

Status applyOverride(State& s, const std::string& a) {
  auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0) return makeError("--set wants <type>.<key>=<value>, got \"" + a + "\"");
  std::string path = a.substr(0, eq);
  for (auto& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto dot = path.find('.');
  if (dot == std::string::npos || !rrtypes::findType(path.substr(0, dot)))
    return makeError("--set " + a + ": expected <type>.<key> with a compute type (site, cap, price, energy, tier)");
  s.set(path, a.substr(eq + 1));
  return {};
}

}  // namespace cdns::publisher
