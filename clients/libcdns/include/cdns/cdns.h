// libcdns: find compute through a cdns-resolver. Ask for a service with requirements, get the
// chosen center, its endpoint and addresses, and (on request) the resolver's explanation.
//
// Transport is c-ares (UDP, TCP after a truncated answer or with `tcp`). Two ways to call:
//   blocking     cdns::client::Client c(opts); auto r = c.resolve("train", {{"gpu", "4"}});
//   event loop   cdns::client::Client c(loop, opts); c.resolve("train", req, [](Result r) {...});
// The header needs nothing but the C++20 standard library (libuv's loop is only named).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

struct uv_loop_s;  // libuv's uv_loop_t

namespace cdns::client {

/// Where and how to ask.
struct Options {
  /// The resolver: "127.0.0.1", "127.0.0.1:5353", "[::1]:5353" (numeric addresses only).
  /// Empty: the environment's CDNS_RESOLVER, else the system's resolvers (/etc/resolv.conf).
  std::string server;
  /// The compute zone's apex ("gba.example"). Empty: the environment's CDNS_ZONE.
  std::string zone;
  int timeoutMs = 3000;  // per try
  int tries = 2;
  bool tcp = false;  // TCP from the start (otherwise only after a truncated UDP answer)
};

/// Requirements as key/value pairs, sent in EDNS option 65001 ("gpu=4,mem=64g,policy=price").
/// Keys the resolver knows: gpu (count or MODEL:count), cpu, mem (64g), policy (a chain name),
/// center (with the manual policy), peer, data.
using Requirements = std::vector<std::pair<std::string, std::string>>;

/// What went wrong, by kind, with a message that names the problem.
struct Error {
  enum class Kind {
    kBadArgument,   // our own input: an empty service, a bad server address, no zone
    kTimeout,       // nothing answered in time
    kUnreachable,   // connection refused, network error
    kRefused,       // the server answered REFUSED, SERVFAIL, NOTIMP, FORMERR, NOTAUTH
    kNotFound,      // NXDOMAIN (no such service), or no relay published for the center
    kNoFit,         // NOERROR without an answer: nothing fits; message is the resolver's reason
    kBadAnswer,     // an answer we cannot use (not DNS, no CNAME, no address)
  };
  Kind kind = Kind::kBadArgument;
  std::string message;
};

/// A value or an Error (shaped like std::expected).
template <typename T>
class Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}          // NOLINT: implicit
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT: implicit
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// One stage's verdict on one center ("fits" / "sz1" / "dropped: gpu 2 free < 4").
struct Verdict {
  std::string stage, center, verdict;
  std::optional<double> score;  // when the resolver sends one
};

/// The resolver's explanation (EDNS option 65002): the JSON text as sent, and its main parts.
struct Explanation {
  std::string json;
  std::string service, policy, chosen;
  std::vector<std::string> chain;
  std::vector<Verdict> verdicts;
};

/// The chosen endpoint of a service.
struct Resolution {
  std::string service;
  std::string center;     // "sz1"
  std::string endpoint;   // "train.sz1.centers.gba.example."
  std::vector<std::string> addresses;  // "192.0.2.10", "2001:db8::1"
  uint32_t ttl = 0;
  std::optional<Explanation> explanation;  // with `explain`
};

/// A center's relay, from `_relay._tcp.<center>.centers.<zone>` SRV and the target's address.
struct RelayEndpoint {
  std::string center;
  std::string host;     // the SRV target ("relay.sz1.centers.gba.example.")
  std::string address;  // its first address
  uint16_t port = 0;
};

/// A resolver client. Blocking calls run a private loop; on a libuv loop, calls return at once and
/// the callback runs on that loop's thread. One Client per thread; not copyable.
class Client {
 public:
  /// Blocking client. Bad options surface as kBadArgument errors of the first call.
  explicit Client(Options options = {});
  /// Client on a libuv loop (uv_loop_t*); the loop must outlive the client. Pending callbacks
  /// run with a kTimeout ("cancelled") error when the client is destroyed.
  Client(uv_loop_s* loop, Options options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Asks `<service>.svc.<zone>` A with the requirements; `explain` asks for the explanation.
  Result<Resolution> resolve(const std::string& service, const Requirements& req = {}, bool explain = false);
  void resolve(const std::string& service, const Requirements& req, bool explain,
               std::function<void(Result<Resolution>)> done);

  /// The relay of a center (SRV, then the target's A/AAAA when the answer does not carry it).
  Result<RelayEndpoint> findRelay(const std::string& center);
  void findRelay(const std::string& center, std::function<void(Result<RelayEndpoint>)> done);

  const Options& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Parses "gpu=4,mem=64g,policy=price" into requirements; an item without '=' is an error.
Result<Requirements> parseRequirements(std::string_view text);

/// Parses the explanation JSON (unknown fields are kept in `json` and otherwise ignored).
Result<Explanation> parseExplanation(std::string_view json);

/// The explanation as a table for people: one row per candidate center with each stage's verdict,
/// its score, and the outcome (chosen, or why it lost). Fields it does not know are listed after.
std::string explanationTable(std::string_view json);

}  // namespace cdns::client
