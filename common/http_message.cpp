// The HTTP/1.1 messages of the server: the request head parser (RFC 9112 §2–§6, RFC 9110's
// field rules) and the response builder.
#include "common/http_message.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace cdns::http {
namespace detail {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isDigit); }

namespace {

bool isTchar(char c) {
  if (isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

}  // namespace

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTchar(c); });
}

bool isFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool hasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (iequals(trimOws(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

int parseHead(std::string_view head, const ServerOptions& opts, Request& req, HeadInfo& info,
              std::string& problem) {
  auto nextLine = [&head](std::string_view& line) {
    size_t nl = head.find('\n');
    line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  };
  auto bad = [&problem](int status, std::string text) {
    problem = std::move(text);
    return status;
  };
  std::string_view line;
  nextLine(line);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return bad(400, "malformed request line");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) return bad(400, "bad method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      }))
    return bad(400, "bad request target");
  if (version == "HTTP/1.1") {
    req.versionMinor = 1;
  } else if (version == "HTTP/1.0") {
    req.versionMinor = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && isDigit(version[5]) &&
             version[6] == '.' && isDigit(version[7])) {
    return bad(505, "unsupported HTTP version " + std::string(version));
  } else {
    return bad(400, "malformed HTTP version");
  }
  req.method = method;
  req.target = target;
  std::string_view pathQuery = target;
  if (target[0] != '/') {
    size_t scheme = target.find("://");
    if (target == "*" && method == "OPTIONS") {
      pathQuery = target;
    } else if (scheme != std::string_view::npos && (iequals(target.substr(0, scheme), "http") ||
                                                    iequals(target.substr(0, scheme), "https"))) {
      size_t slash = target.find('/', scheme + 3);
      pathQuery = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    } else {
      return bad(400, "bad request target");
    }
  }
  size_t q = pathQuery.find('?');
  req.path = pathQuery.substr(0, q);
  if (q != std::string_view::npos) req.query = pathQuery.substr(q + 1);

  int hosts = 0;
  bool haveLength = false, tooLarge = false, haveTe = false, close = false, keepAlive = false;
  std::string_view te, expect;
  while (!head.empty()) {
    nextLine(line);
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') return bad(400, "obsolete header line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
      return bad(400, "malformed header field");
    std::string_view name = line.substr(0, colon), value = trimOws(line.substr(colon + 1));
    if (!isFieldValue(value)) return bad(400, "bad header value");
    if (iequals(name, "host")) {
      ++hosts;
    } else if (iequals(name, "content-length")) {
      if (!isDigits(value)) return bad(400, "bad Content-Length");
      size_t n = 0;
      bool big = value.size() > 18;
      for (char c : value) n = big ? n : n * 10 + static_cast<size_t>(c - '0');
      if (haveLength && (big || tooLarge || n != info.contentLength))
        return bad(400, "conflicting Content-Length");
      haveLength = true;
      tooLarge = big || n > opts.maxBodyBytes;
      info.contentLength = n;
    } else if (iequals(name, "transfer-encoding")) {
      haveTe = true;
      te = value;
    } else if (iequals(name, "connection")) {
      close = close || hasToken(value, "close");
      keepAlive = keepAlive || hasToken(value, "keep-alive");
    } else if (iequals(name, "expect")) {
      expect = value;
    }
    req.headers.emplace_back(std::string(name), std::string(value));
  }
  if (req.versionMinor == 1 && hosts == 0) return bad(400, "missing Host header");
  if (hosts > 1) return bad(400, "duplicate Host header");
  if (haveTe) {
    if (req.versionMinor == 0) return bad(400, "Transfer-Encoding in HTTP/1.0");
    size_t comma = te.rfind(',');
    std::string_view last = trimOws(comma == std::string_view::npos ? te : te.substr(comma + 1));
    if (iequals(last, "chunked"))
      return bad(411, "chunked bodies are not supported; send Content-Length");
    return bad(501, "unsupported Transfer-Encoding");
  }
  if (tooLarge) {
    return bad(413, "body over " + std::to_string(opts.maxBodyBytes) + " bytes");
  }
  info.keepAlive = !close && (req.versionMinor == 1 || keepAlive);
  if (!expect.empty()) {
    if (!iequals(expect, "100-continue")) return bad(417, "unsupported Expect");
    info.expectContinue = req.versionMinor == 1;
  }
  return 0;
}

std::string buildResponse(const Response& r, bool head, bool close, bool keepAlive10) {
  std::string out;
  out.reserve(160 + r.body.size());
  out.append("HTTP/1.1 " + std::to_string(r.status) + " ").append(reasonPhrase(r.status));
  out += "\r\n";
  bool haveType = false;
  for (const auto& [name, value] : r.headers) {
    if (!isToken(name) || !isFieldValue(value)) {
      log::warn("http").msg("dropped invalid response header").kv("name", name);
      continue;
    }
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "connection"))
      continue;
    haveType = haveType || iequals(name, "content-type");
    out += name + ": " + value + "\r\n";
  }
  if (!haveType && !r.contentType.empty() && isFieldValue(r.contentType))
    out += "Content-Type: " + r.contentType + "\r\n";
  bool noBody = r.status == 204 || r.status == 304;
  if (!noBody) out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (close)
    out += "Connection: close\r\n";
  else if (keepAlive10)
    out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head && !noBody) out += r.body;
  return out;
}

Response plainResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace detail

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (detail::iequals(k, name)) return &v;
  return nullptr;
}

std::string_view reasonPhrase(int status) {
  static constexpr std::string_view kTable =  // "|code reason" entries
      "|100 Continue|200 OK|201 Created|202 Accepted|204 No Content|301 Moved Permanently"
      "|302 Found|303 See Other|304 Not Modified|307 Temporary Redirect|308 Permanent Redirect"
      "|400 Bad Request|401 Unauthorized|403 Forbidden|404 Not Found|405 Method Not Allowed"
      "|406 Not Acceptable|408 Request Timeout|409 Conflict|410 Gone|411 Length Required"
      "|413 Content Too Large|414 URI Too Long|415 Unsupported Media Type|417 Expectation Failed"
      "|422 Unprocessable Content|429 Too Many Requests|431 Request Header Fields Too Large"
      "|500 Internal Server Error|501 Not Implemented|502 Bad Gateway|503 Service Unavailable"
      "|504 Gateway Timeout|505 HTTP Version Not Supported|";
  std::string key = "|" + std::to_string(status) + " ";
  size_t at = kTable.find(key);
  if (at == std::string_view::npos) return "Status";
  at += key.size();
  return kTable.substr(at, kTable.find('|', at) - at);
}

}  // namespace cdns::http
