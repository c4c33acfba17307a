// The HTTP/1.1 messages of the server (http_server.h): the request head parser and the response
// builder, with the character classes of RFC 9110. Internal to cdns_http.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/http_server.h"

namespace cdns::http::detail {

bool isDigit(char c);
bool isDigits(std::string_view s);
bool isToken(std::string_view s);
/// Field values: visible ASCII, SP, HTAB and obs-text; no other control characters.
bool isFieldValue(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trimOws(std::string_view s);
/// Whether a comma-separated list ("keep-alive, Upgrade") holds the token (case-insensitive).
bool hasToken(std::string_view list, std::string_view token);

struct HeadInfo {
  size_t contentLength = 0;
  bool keepAlive = true;
  bool expectContinue = false;
};

/// Parses the request line and header fields (`head` ends with the empty line). Returns 0 or the
/// status to answer with, setting `problem`.
int parseHead(std::string_view head, const ServerOptions& opts, Request& req, HeadInfo& info, std::string& problem);

/// Serializes a response. `head`: no body; `close`: "Connection: close"; `keepAlive10`: answer an
/// HTTP/1.0 keep-alive request with "Connection: keep-alive".
std::string buildResponse(const Response& r, bool head, bool close, bool keepAlive10);

Response plainResponse(int status, std::string body);

}  // namespace cdns::http::detail
