// DNS name helpers on raw wire data.
#include "common/dns.h"

#include <cstring>

#include "common/ldns_handles.h"

namespace cdns::dns {

Result<size_t> readName(WireReader& r, uint8_t* out, bool allowCompression) {
  size_t len = 0;
  size_t resumeAt = 0;
  bool jumped = false;
  size_t lowestTarget = r.offset();  // pointers must go strictly backwards from here
  while (true) {
    uint8_t l = r.u8();
    if (r.failed()) return makeError("name runs past the end of the message");
    if ((l & 0xC0) == 0xC0) {
      if (!allowCompression) return makeError("compression pointer where none is allowed");
      uint8_t lo = r.u8();
      if (r.failed()) return makeError("name runs past the end of the message");
      size_t target = static_cast<size_t>(l & 0x3F) << 8 | lo;
      // Each jump must land strictly before the name's start and before every earlier target,
      // so that decoding always terminates (no loops).
      if (target >= lowestTarget) return makeError("compression pointer does not point backwards");
      lowestTarget = target;
      if (!jumped) resumeAt = r.offset();
      jumped = true;
      r.seek(target);
      continue;
    }
    if ((l & 0xC0) != 0) return makeError("reserved label type");
    if (len + 1 + l > kMaxName) return makeError("name longer than 255 bytes");
    out[len++] = l;
    if (l == 0) break;
    auto b = r.bytes(l);
    if (r.failed()) return makeError("name runs past the end of the message");
    std::memcpy(out + len, b.data(), l);
    len += l;
  }
  if (jumped) r.seek(resumeAt);
  return len;
}

Status readName(WireReader& r, std::string& out, bool allowCompression) {
  uint8_t buf[kMaxName];
  auto n = readName(r, buf, allowCompression);
  if (!n) return n.error();
  out.assign(reinterpret_cast<const char*>(buf), *n);
  return {};
}

void lowerName(uint8_t* name, size_t len) {
  size_t i = 0;
  while (i < len && name[i] != 0) {
    size_t l = name[i];
    for (size_t j = i + 1; j <= i + l && j < len; ++j) name[j] = lowerByte(name[j]);
    i += l + 1;
  }
}

std::string lowerName(std::string_view name) {
  std::string s(name);
  lowerName(reinterpret_cast<uint8_t*>(s.data()), s.size());
  return s;
}

bool nameEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lowerByte(static_cast<uint8_t>(a[i])) != lowerByte(static_cast<uint8_t>(b[i]))) return false;
  return true;
}

int labelCount(std::string_view name) {
  int n = 0;
  size_t i = 0;
  while (i < name.size() && name[i] != 0) {
    i += static_cast<uint8_t>(name[i]) + 1;
    ++n;
  }
  return n;
}

std::string_view parentName(std::string_view name) {
  if (name.empty() || name[0] == 0) return name;
  size_t skip = static_cast<size_t>(static_cast<uint8_t>(name[0])) + 1;
  return skip < name.size() ? name.substr(skip) : std::string_view();  // a label past the end: no parent
}

std::string validUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<uint8_t>(text[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<uint8_t>(text[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      uint32_t cp = b & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<uint8_t>(text[i + k]) & 0x3F);
      ok = cp >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

bool isSubdomain(std::string_view name, std::string_view zone) {
  if (name.size() < zone.size()) return false;
  // Walk label boundaries of `name` until the remaining suffix has zone's length (a malformed
  // name, with a zero length or a label past its end, stops the walk: not a subdomain).
  std::string_view s = name;
  while (s.size() > zone.size()) {
    std::string_view p = parentName(s);
    if (p.size() >= s.size()) return false;
    s = p;
  }
  return s.size() == zone.size() && nameEqual(s, zone);
}

Result<std::string> nameFromText(std::string_view text) {
  ldns_rdf* rdf = nullptr;
  std::string t(text);
  if (t.empty() || t.back() != '.') t += '.';
  if (ldns_str2rdf_dname(&rdf, t.c_str()) != LDNS_STATUS_OK || !rdf)
    return makeError("bad domain name \"" + std::string(text) + "\"");
  std::string out(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
  ldns_rdf_deep_free(rdf);
  return out;
}

std::string nameToText(std::string_view wire) {
  if (wire.empty() || wire[0] == 0) return ".";
  std::string out;
  size_t i = 0;
  while (i < wire.size() && wire[i] != 0) {
    size_t l = static_cast<uint8_t>(wire[i]);
    for (size_t j = i + 1; j <= i + l && j < wire.size(); ++j) {
      auto c = static_cast<unsigned char>(wire[j]);
      if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
    i += l + 1;
  }
  return out;
}

static size_t soaFieldsOffset(std::string_view rd) {
  size_t off = 0;
  for (int n = 0; n < 2; ++n) {
    while (off < rd.size() && rd[off] != 0) off += static_cast<uint8_t>(rd[off]) + 1u;
    ++off;
  }
  return off;
}

uint32_t soaField(std::string_view rd, int field, uint32_t fallback) {
  size_t off = soaFieldsOffset(rd) + 4u * static_cast<size_t>(field);
  return off + 4 <= rd.size() ? get32(reinterpret_cast<const uint8_t*>(rd.data() + off)) : fallback;
}

std::string withSoaSerial(std::string rd, uint32_t serial) {
  size_t off = soaFieldsOffset(rd);
  if (off + 4 <= rd.size()) put32(reinterpret_cast<uint8_t*>(rd.data() + off), serial);
  return rd;
}

std::string typeToText(uint16_t type) {
  char* s = ldns_rr_type2str(static_cast<ldns_rr_type>(type));
  std::string out = s ? s : "TYPE" + std::to_string(type);
  free(s);
  return out;
}

std::string rcodeToText(uint16_t rcode) {
  static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  if (rcode == 16) return "BADVERS";
  return "RCODE" + std::to_string(rcode);
}

}  // namespace cdns::dns
