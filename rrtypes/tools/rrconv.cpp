// cdns-rrconv: presentation <-> RFC 3597 generic <-> JSON, for whole RRs or bare rdata.
#include "rrtypes/tools/rrconv.h"

#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"
#include "rrtypes/zone_loader.h"

namespace cdns::rrtypes {
namespace {

constexpr const char* kUsage =
    R"(usage: cdns-rrconv [--to text|generic|json] [--origin NAME] [RECORD...]
       cdns-rrconv --type TYPE [--to text|generic|json] [RDATA...]
       cdns-rrconv --zone FILE [--origin NAME] [--to text|generic|json]

Converts compute records (SITE CAP PRICE ENERGY NETQ DATA TIER) between their presentation
form, the RFC 3597 generic form that BIND, Knot and NSD read and print (TYPE65281 \# 12 ...),
and JSON. Input is taken from the arguments, or from standard input one record a line
(comment lines starting with ';' and blank lines are skipped, so dig/kdig output can be piped
in). Each input may be in any of the three forms; other record types pass through unchanged.

  --to FORM      output form: text (default; also called presentation), generic or json
  --type TYPE    convert bare rdata of TYPE (SITE, or TYPE65280) instead of whole records
  --zone FILE    convert a whole master file ($ORIGIN, $TTL, $INCLUDE, parentheses), e.g.
                 to hand a zone with our types to BIND, Knot or NSD in generic form
  --origin NAME  origin for relative names (with --zone: until the file's first $ORIGIN)
  -h, --help     this text

Exit status: 0 all converted, 1 some input was rejected (the error names it), 2 bad usage.
)";

enum class Form { kText, kGeneric, kJson };

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

std::string rdfToString(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s ? s : "";
  free(s);
  return out;
}

std::string typeName(uint16_t code) {
  if (const TypeDef* t = findType(code)) return std::string(t->name);
  char* s = ldns_rr_type2str(static_cast<ldns_rr_type>(code));
  std::string out = s ? s : "";
  free(s);
  return out;
}

Result<std::string> convertRdata(const TypeDef& t, const std::string& input, Form to) {
  Result<Bytes> wire = makeError("");
  if (input.rfind("\\#", 0) == 0) {
    wire = parseGeneric(input);
    if (wire) {
      auto check = decodeParams(t, *wire);
      if (!check) return check.error();
    }
  } else if (input.rfind("{", 0) == 0) {
    nlohmann::json j = nlohmann::json::parse(input, nullptr, false);
    if (j.is_discarded()) return makeError("invalid JSON");
    wire = fromJson(t, j);
  } else {
    wire = parseText(t, input);
  }
  if (!wire) return wire.error();
  switch (to) {
    case Form::kText: return toText(t, *wire);
    case Form::kGeneric: return toGeneric(*wire);
    case Form::kJson: {
      auto j = toJson(t, *wire);
      if (!j) return j.error();
      return j->dump();
    }
  }
  return makeError("bad form");
}

// A member that becomes one token of the record's text: non-empty, no whitespace, no quote,
// no ';' '(' ')' and no control character, so it cannot split or swallow the tokens around it.
bool isPlainToken(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f || c == '"' || c == ';' || c == '(' || c == ')') return false;
  return true;
}

Result<RrPtr> rrFromJson(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object() || !j.contains("name") || !j.contains("type") || !j.contains("rdata"))
    return makeError("JSON record needs \"name\", \"type\" and \"rdata\"");
  if (!j["name"].is_string() || !j["type"].is_string()) return makeError("\"name\" and \"type\" must be strings");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name" && it.key() != "ttl" && it.key() != "class" && it.key() != "type" &&
        it.key() != "rdata")
      return makeError("JSON record: unexpected member \"" + it.key() + "\"");
  std::string name = j["name"].get<std::string>();
  if (!isPlainToken(name)) return makeError("\"name\" must be a domain name, got \"" + name + "\"");
  std::string type = j["type"].get<std::string>();
  if (!isPlainToken(type))
    return makeError("\"type\" must be a type mnemonic or TYPEnnn, got \"" + type + "\"");
  // RFC 2181 §8: a TTL is an unsigned 32-bit number of seconds of at most 2^31 - 1.
  uint32_t ttl = 3600;
  if (j.contains("ttl")) {
    const auto& t = j["ttl"];
    bool inRange = t.is_number_unsigned() ? t.get<uint64_t>() <= 2147483647
                                          : t.is_number_integer() && t.get<int64_t>() >= 0 &&
                                                t.get<int64_t>() <= 2147483647;
    if (!inRange)
      return makeError("\"ttl\" must be an integer from 0 to 2147483647, got " + t.dump());
    ttl = static_cast<uint32_t>(t.get<int64_t>());
  }
  std::string cls = "IN";
  if (j.contains("class")) {
    const auto& c = j["class"];
    if (!c.is_string())
      return makeError("\"class\" must be a string such as \"IN\", got " + c.dump());
    cls = c.get<std::string>();
    if (!isPlainToken(cls) || ldns_get_rr_class_by_name(cls.c_str()) == 0)
      return makeError("\"class\": unknown class \"" + cls + "\"");
  }
  std::string head = name + " " + std::to_string(ttl) + " " + cls + " ";
  if (const TypeDef* t = findType(type)) {
    auto wire = fromJson(*t, j["rdata"]);
    if (!wire) return wire.error();
    return parseRr(head + "TYPE" + std::to_string(t->code) + " " + toGeneric(*wire), origin);
  }
  if (!j["rdata"].is_string()) return makeError("rdata of " + type + " must be a string");
  return parseRr(head + type + " " + j["rdata"].get<std::string>(), origin);
}

Result<std::string> convertRr(const std::string& input, const std::string& origin, Form to) {
  Result<RrPtr> rr = makeError("");
  if (input[0] == '{') {
    nlohmann::json j = nlohmann::json::parse(input, nullptr, false);
    if (j.is_discarded()) return makeError("invalid JSON");
    rr = rrFromJson(j, origin);
  } else {
    rr = parseRr(input, origin);
  }
  if (!rr) return rr.error();
  const ldns_rr* r = rr->get();
  auto code = static_cast<uint16_t>(ldns_rr_get_type(r));
  const TypeDef* t = findType(code);
  switch (to) {
    case Form::kText:
      return rrToText(r);
    case Form::kGeneric: {
      if (!t) return rrToText(r);
      const ldns_rdf* rd = ldns_rr_rdf(r, 0);
      char* cls = ldns_rr_class2str(ldns_rr_get_class(r));
      std::string out = rdfToString(ldns_rr_owner(r)) + "\t" + std::to_string(ldns_rr_ttl(r)) + "\t" + cls +
                        "\tTYPE" + std::to_string(code) + "\t" +
                        toGeneric(std::span<const uint8_t>(ldns_rdf_data(rd), ldns_rdf_size(rd)));
      free(cls);
      return out;
    }
    case Form::kJson: {
      char* cls = ldns_rr_class2str(ldns_rr_get_class(r));
      nlohmann::json j{{"name", rdfToString(ldns_rr_owner(r))},
                       {"ttl", ldns_rr_ttl(r)},
                       {"class", cls},
                       {"type", typeName(code)}};
      free(cls);
      if (t) {
        const ldns_rdf* rd = ldns_rr_rdf(r, 0);
        auto rdata = toJson(*t, std::span<const uint8_t>(ldns_rdf_data(rd), ldns_rdf_size(rd)));
        if (!rdata) return rdata.error();
        j["rdata"] = std::move(*rdata);
      } else {
        std::string text = rrToText(r);
        // The rdata is what follows owner, TTL, class and type: the fifth tab-separated field on.
        size_t pos = 0;
        for (int n = 0; n < 4 && pos != std::string::npos; ++n) pos = text.find('\t', pos + 1);
        j["rdata"] = pos == std::string::npos ? "" : text.substr(pos + 1);
      }
      return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return makeError("bad form");
}

// The converters report every bad input as an Error; this is a backstop so that one that slips
// through (a library throwing) is reported like any other bad input, never a crash.
template <typename F>
Result<std::string> guarded(F&& convert) {
  try {
    return convert();
  } catch (const std::exception& e) {
    return makeError(std::string("cannot convert: ") + e.what());
  }
}

}  // namespace

int runRrconv(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  Form to = Form::kText;
  const TypeDef* type = nullptr;
  std::string origin;
  std::string zoneFile;
  std::vector<std::string> inputs;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&]() -> const std::string* {
      if (i + 1 >= args.size()) {
        err << "cdns-rrconv: " << a << " needs a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a == "--to") {
      const std::string* v = need();
      if (!v) return 2;
      if (*v == "text" || *v == "presentation") to = Form::kText;
      else if (*v == "generic") to = Form::kGeneric;
      else if (*v == "json") to = Form::kJson;
      else {
        err << "cdns-rrconv: --to: unknown form \"" << *v
            << "\" (text or presentation, generic, json)\n";
        return 2;
      }
    } else if (a == "--type") {
      const std::string* v = need();
      if (!v) return 2;
      type = findType(*v);
      if (!type) {
        err << "cdns-rrconv: --type: \"" << *v << "\" is not a compute type (SITE CAP PRICE ENERGY NETQ DATA TIER)\n";
        return 2;
      }
    } else if (a == "--zone") {
      const std::string* v = need();
      if (!v) return 2;
      zoneFile = *v;
    } else if (a == "--origin") {
      const std::string* v = need();
      if (!v) return 2;
      origin = *v;
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      err << "cdns-rrconv: unknown option " << a << " (see --help)\n";
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (!zoneFile.empty()) {
    if (type || !inputs.empty()) {
      err << "cdns-rrconv: --zone takes no records and no --type\n";
      return 2;
    }
    auto z = loadZoneFile(zoneFile, origin);
    if (!z) {
      err << "cdns-rrconv: " << z.error().message << "\n";
      return 1;
    }
    for (const auto& rr : z->records) {
      auto r = guarded([&] { return convertRr(rrToText(rr.get()), origin, to); });
      if (!r) {
        err << "cdns-rrconv: " << r.error().message << "\n";
        return 1;
      }
      out << *r << "\n";
    }
    return 0;
  }
  bool fromStdin = inputs.empty();
  int status = 0;
  size_t lineNo = 0;
  auto handle = [&](const std::string& raw) {
    ++lineNo;
    std::string line = trim(raw);
    if (line.empty() || line[0] == ';') return;
    auto r =
        guarded([&] { return type ? convertRdata(*type, line, to) : convertRr(line, origin, to); });
    if (r) {
      out << *r << "\n";
    } else {
      err << "cdns-rrconv: " << (fromStdin ? "line " + std::to_string(lineNo) + ": " : "") << r.error().message
          << "\n";
      status = 1;
    }
  };
  if (fromStdin) {
    std::string line;
    while (std::getline(in, line)) handle(line);
  } else {
    for (const auto& i : inputs) handle(i);
  }
  return status;
}

}  // namespace cdns::rrtypes
