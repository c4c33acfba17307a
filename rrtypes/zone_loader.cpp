// Master-file loading with the compute types in presentation form.
#include "rrtypes/zone_loader.h"

#include <strings.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/wire.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"

namespace cdns::rrtypes {
namespace {

struct Entry {
  std::string text;
  size_t line;
  bool ownerOmitted;  // entry starts with whitespace: owner is the previous one
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits a master file into entries: comments removed, parenthesised lines joined (RFC 1035 §5.1).
Result<std::vector<Entry>> splitEntries(std::string_view text, std::string_view name) {
  std::vector<Entry> out;
  std::string cur;
  size_t line = 1, startLine = 1;
  int depth = 0;
  bool inQuote = false, atLineStart = true, ownerOmitted = false;
  auto flush = [&]() {
    size_t a = 0;
    while (a < cur.size() && isSpace(cur[a])) ++a;
    if (a < cur.size()) out.push_back(Entry{cur, startLine, ownerOmitted});
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (atLineStart && depth == 0) {
      startLine = line;
      ownerOmitted = (c == ' ' || c == '\t');
      atLineStart = false;
    }
    if (inQuote) {
      cur += c;
      if (c == '\\' && i + 1 < text.size()) {
        cur += text[++i];
        if (text[i] == '\n') ++line;
      } else if (c == '"') {
        inQuote = false;
      } else if (c == '\n') {
        return makeError(std::string(name) + ":" + std::to_string(line) + ": unterminated quoted string");
      }
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      cur += c;
      cur += text[++i];
      if (text[i] == '\n') ++line;
      continue;
    }
    if (c == '"') {
      inQuote = true;
      cur += c;
    } else if (c == ';') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '(') {
      ++depth;
      cur += ' ';
    } else if (c == ')') {
      if (depth == 0) return makeError(std::string(name) + ":" + std::to_string(line) + ": unbalanced ')'");
      --depth;
      cur += ' ';
    } else if (c == '\n') {
      ++line;
      if (depth == 0) {
        flush();
        atLineStart = true;
      } else {
        cur += ' ';
      }
    } else {
      cur += c;
    }
  }
  if (depth != 0) return makeError(std::string(name) + ":" + std::to_string(startLine) + ": unbalanced '('");
  if (inQuote) return makeError(std::string(name) + ":" + std::to_string(startLine) + ": unterminated quoted string");
  flush();
  return out;
}

// Splits an entry into tokens with their offsets (quoted strings kept whole).
struct Token {
  std::string_view text;
  size_t offset;
};

std::vector<Token> tokenize(std::string_view s, size_t maxTokens) {
  std::vector<Token> toks;
  size_t i = 0;
  while (i < s.size() && toks.size() < maxTokens) {
    while (i < s.size() && isSpace(s[i])) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    bool q = false;
    while (i < s.size() && (q || !isSpace(s[i]))) {
      if (s[i] == '\\') ++i;
      else if (s[i] == '"') q = !q;
      ++i;
    }
    i = std::min(i, s.size());
    toks.push_back(Token{s.substr(start, i - start), start});
  }
  return toks;
}

bool isClass(std::string_view t) {
  for (std::string_view c : {"IN", "CH", "HS", "CS"})
    if (t.size() == 2 && strncasecmp(t.data(), c.data(), 2) == 0) return true;
  return t.size() > 5 && strncasecmp(t.data(), "CLASS", 5) == 0;
}

bool isTtl(std::string_view t) { return !t.empty() && std::isdigit(static_cast<unsigned char>(t[0])); }

std::string lineError(std::string_view name, size_t line, const std::string& msg) {
  return std::string(name) + ":" + std::to_string(line) + ": " + msg;
}

struct LoadState {
  std::string origin;
  uint32_t ttl;
  RdfPtr prev;
  std::vector<RrPtr> records;
  const std::function<Status(RrPtr)>* sink = nullptr;  // streaming: each record goes here instead
  int depth = 0;
};

Status loadInto(std::string_view text, const std::string& name, LoadState& st);

Status loadFileInto(const std::string& path, LoadState& st) {
  std::ifstream in(path);
  if (!in) return makeError(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return loadInto(ss.str(), path, st);
}

Result<RdfPtr> makeName(const std::string& name, const std::string& origin) {
  ldns_rdf* rdf = nullptr;
  if (ldns_str2rdf_dname(&rdf, name.c_str()) != LDNS_STATUS_OK || !rdf) return makeError("bad domain name \"" + name + "\"");
  RdfPtr p(rdf);
  if (!ldns_dname_str_absolute(name.c_str())) {
    if (origin.empty()) return makeError("relative name \"" + name + "\" with no origin");
    ldns_rdf* o = nullptr;
    if (ldns_str2rdf_dname(&o, origin.c_str()) != LDNS_STATUS_OK) return makeError("bad origin");
    RdfPtr op(o);
    if (ldns_dname_cat(p.get(), op.get()) != LDNS_STATUS_OK) return makeError("name too long");
  }
  return p;
}

Status loadInto(std::string_view text, const std::string& name, LoadState& st) {
  auto entries = splitEntries(text, name);
  if (!entries) return entries.error();
  for (const auto& e : *entries) {
    auto toks = tokenize(e.text, 4);
    if (!e.ownerOmitted && !toks.empty() && toks[0].text[0] == '$') {
      std::string_view dir = toks[0].text;
      if (toks.size() < 2) return makeError(lineError(name, e.line, std::string(dir) + " needs an argument"));
      // RFC 1035 §5.1: $ORIGIN <domain-name>, $INCLUDE <file-name> [<domain-name>]; RFC 2308 §4:
      // $TTL <ttl>. (Comments are already gone.)
      bool include = strncasecmp(dir.data(), "$INCLUDE", dir.size()) == 0 && dir.size() == 8;
      if (toks.size() > (include ? 3u : 2u))
        return makeError(lineError(name, e.line, "too many arguments to " + std::string(dir)));
      std::string arg(toks[1].text);
      if (strncasecmp(dir.data(), "$ORIGIN", dir.size()) == 0 && dir.size() == 7) {
        auto n = makeName(arg, st.origin);
        if (!n) return makeError(lineError(name, e.line, n.error().message));
        char* s = ldns_rdf2str(n->get());
        st.origin = s;
        free(s);
      } else if (strncasecmp(dir.data(), "$TTL", dir.size()) == 0 && dir.size() == 4) {
        const char* end = nullptr;
        uint32_t ttl = ldns_str2period(arg.c_str(), &end);
        if (!end || *end != '\0') return makeError(lineError(name, e.line, "bad $TTL \"" + arg + "\""));
        st.ttl = ttl;
      } else if (include) {
        if (st.depth >= 8) return makeError(lineError(name, e.line, "$INCLUDE nested too deeply"));
        std::string path = arg;
        if (path[0] != '/') {
          size_t slash = name.rfind('/');
          if (slash != std::string::npos) path = name.substr(0, slash + 1) + path;
        }
        std::string savedOrigin = st.origin;
        if (toks.size() > 2) {
          // RFC 1035 §5.1: the included file's origin; a relative name is relative to the
          // current origin, like any other domain name in the file.
          auto n = makeName(std::string(toks[2].text), st.origin);
          if (!n) return makeError(lineError(name, e.line, n.error().message));
          char* o = ldns_rdf2str(n->get());
          st.origin = o;
          free(o);
        }
        ++st.depth;
        Status s = loadFileInto(path, st);
        --st.depth;
        st.origin = savedOrigin;  // RFC 1035 §5.1: $INCLUDE does not change the parent's origin
        if (!s) return makeError(lineError(name, e.line, s.error().message));
      } else {
        return makeError(lineError(name, e.line, "unknown directive " + std::string(dir)));
      }
      continue;
    }
    // With no origin ldns would silently make a relative owner absolute under the root.
    if (!e.ownerOmitted && st.origin.empty() && !toks.empty()) {
      std::string owner(toks[0].text);
      if (owner == "@" || !ldns_dname_str_absolute(owner.c_str()))
        return makeError(lineError(name, e.line, "relative name \"" + owner + "\" with no origin"));
    }
    auto translated = translateEntry(e.ownerOmitted ? " " + e.text : e.text);
    if (!translated) return makeError(lineError(name, e.line, translated.error().message));
    ldns_rr* rr = nullptr;
    ldns_rdf* origin = nullptr;
    RdfPtr originPtr;
    if (!st.origin.empty()) {
      if (ldns_str2rdf_dname(&origin, st.origin.c_str()) != LDNS_STATUS_OK)
        return makeError(lineError(name, e.line, "bad origin " + st.origin));
      originPtr.reset(origin);
    }
    ldns_rdf* prev = st.prev.get();
    ldns_rdf* prevIn = prev;
    ldns_status s = ldns_rr_new_frm_str(&rr, translated->c_str(), st.ttl, origin, &prev);
    // ldns frees the old *prev and stores a copy of the owner as soon as it has read the owner,
    // before the rdata (rr.c), so take the new one over even when the entry then fails.
    if (prev != prevIn) {
      (void)st.prev.release();
      st.prev.reset(prev);
    }
    if (s != LDNS_STATUS_OK)
      return makeError(lineError(name, e.line, std::string(ldns_get_errorstr_by_id(s))));
    if (e.ownerOmitted && !st.prev) {
      ldns_rr_free(rr);
      return makeError(lineError(name, e.line, "no previous owner name"));
    }
    if (st.sink) {
      if (auto r = (*st.sink)(RrPtr(rr)); !r) return makeError(lineError(name, e.line, r.error().message));
    } else {
      st.records.emplace_back(rr);
    }
  }
  return {};
}

}  // namespace

Result<std::string> translateEntry(std::string_view entry) {
  bool ownerOmitted = !entry.empty() && isSpace(entry[0]);
  auto toks = tokenize(entry, 5);
  size_t i = ownerOmitted ? 0 : 1;
  for (int n = 0; n < 2 && i < toks.size() && (isTtl(toks[i].text) || isClass(toks[i].text)); ++n) ++i;
  if (i >= toks.size()) return std::string(entry);
  const TypeDef* t = findType(toks[i].text);
  if (!t) return std::string(entry);
  std::string_view rdata = entry.substr(toks[i].offset + toks[i].text.size());
  size_t a = 0;
  while (a < rdata.size() && isSpace(rdata[a])) ++a;
  Bytes wire;
  if (rdata.substr(a, 2) == "\\#") {
    auto g = parseGeneric(rdata);
    if (!g) return g.error();
    auto check = decodeParams(*t, *g);
    if (!check) return check.error();
    wire = std::move(*g);
  } else {
    auto w = parseText(*t, rdata);
    if (!w) return w.error();
    wire = std::move(*w);
  }
  return std::string(entry.substr(0, toks[i].offset)) + "TYPE" + std::to_string(t->code) + " " + toGeneric(wire);
}

Result<ZoneFile> loadZoneText(std::string_view text, std::string_view name, std::string_view origin,
                              uint32_t defaultTtl) {
  LoadState st;
  st.origin = origin;
  st.ttl = defaultTtl;
  if (auto s = loadInto(text, std::string(name), st); !s) return s.error();
  ZoneFile z;
  z.records = std::move(st.records);
  if (!st.origin.empty()) {
    ldns_rdf* o = nullptr;
    if (ldns_str2rdf_dname(&o, st.origin.c_str()) == LDNS_STATUS_OK) z.origin.reset(o);
  }
  return z;
}

Status forEachRecord(const std::string& path, std::string_view origin, const std::function<Status(RrPtr)>& sink,
                     uint32_t defaultTtl) {
  LoadState st;
  st.origin = origin;
  st.ttl = defaultTtl;
  st.sink = &sink;
  return loadFileInto(path, st);
}

Result<ZoneFile> loadZoneFile(const std::string& path, std::string_view origin, uint32_t defaultTtl) {
  std::ifstream in(path);
  if (!in) return makeError(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return loadZoneText(ss.str(), path, origin, defaultTtl);
}

Result<RrPtr> parseRr(std::string_view text, std::string_view origin, uint32_t defaultTtl) {
  auto translated = translateEntry(text);
  if (!translated) return translated.error();
  RdfPtr o;
  if (!origin.empty()) {
    ldns_rdf* r = nullptr;
    if (ldns_str2rdf_dname(&r, std::string(origin).c_str()) != LDNS_STATUS_OK) return makeError("bad origin");
    o.reset(r);
  }
  ldns_rr* rr = nullptr;
  ldns_status s = ldns_rr_new_frm_str(&rr, translated->c_str(), defaultTtl, o.get(), nullptr);
  if (s != LDNS_STATUS_OK) return makeError(ldns_get_errorstr_by_id(s));
  return RrPtr(rr);
}

std::string rrToText(const ldns_rr* rr) {
  const TypeDef* t = findType(static_cast<uint16_t>(ldns_rr_get_type(rr)));
  if (!t || ldns_rr_rd_count(rr) != 1) {
    char* s = ldns_rr2str(rr);
    std::string out = s ? s : "";
    free(s);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  char* cls = ldns_rr_class2str(ldns_rr_get_class(rr));
  const ldns_rdf* rd = ldns_rr_rdf(rr, 0);
  std::span<const uint8_t> wire(ldns_rdf_data(rd), ldns_rdf_size(rd));
  auto text = toText(*t, wire);
  std::string out = std::string(owner) + "\t" + std::to_string(ldns_rr_ttl(rr)) + "\t" + cls + "\t" +
                    (text ? std::string(t->name) + "\t" + *text
                          : "TYPE" + std::to_string(t->code) + "\t" + toGeneric(wire));
  free(owner);
  free(cls);
  return out;
}

}  // namespace cdns::rrtypes

namespace cdns::rrtypes {

std::string rrToText(std::string_view ownerWire, uint16_t type, uint32_t ttl, std::string_view rdata) {
  std::vector<uint8_t> wire(ownerWire.begin(), ownerWire.end());
  WireWriter w(wire);
  w.u16(type);
  w.u16(1);  // IN
  w.u32(ttl);
  w.u16(static_cast<uint16_t>(rdata.size()));
  w.bytes(rdata);
  ldns_rr* rr = nullptr;
  size_t pos = 0;
  if (ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) return "";
  std::string s = rrToText(rr);
  ldns_rr_free(rr);
  return s;
}

}  // namespace cdns::rrtypes
