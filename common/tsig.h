// TSIG (RFC 8945): keys, request verification and response signing on raw DNS wire messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cdns {
class ConfigNode;
}

namespace cdns::tsig {

/// The HMAC algorithms of RFC 8945 §6 (HMAC-MD5 is deliberately not supported).
enum class Algorithm { kHmacSha1, kHmacSha224, kHmacSha256, kHmacSha384, kHmacSha512 };

/// "hmac-sha256" (also accepts the full "hmac-sha256." form, any case) -> Algorithm; false when
/// unknown.
bool parseAlgorithm(std::string_view name, Algorithm& out);
/// The algorithm's domain name as it appears in the TSIG RR: "hmac-sha256.".
std::string_view algorithmName(Algorithm a);
/// Length of the full (untruncated) MAC in bytes: 20 for SHA-1 ... 64 for SHA-512.
size_t macSize(Algorithm a);

/// A shared secret.
struct Key {
  std::string name;  ///< absolute presentation form, lower-case: "pub.sz1."
  Algorithm algorithm = Algorithm::kHmacSha256;
  std::vector<uint8_t> secret;
};

/// Parses "alg:name:base64secret" or "name:base64secret" (dig/kdig -y form; the algorithm
/// defaults to hmac-sha256) and a single BIND key block (`key "name" { algorithm ...; secret
/// "..."; };`). Errors name the problem ("unknown algorithm 'hmac-md4'", "bad base64 secret").
Result<Key> parseKeySpec(std::string_view spec);
/// A key from a configuration object {"name": ..., "algorithm": "hmac-sha256", "secret": base64}
/// (the algorithm may be left out); throws ConfigError naming the object's path.
Key keyFromConfig(const ConfigNode& node);
/// Reads a key file: BIND/tsig-keygen blocks (`key "name" { algorithm hmac-sha256; secret
/// "base64"; };`), Knot/keymgr YAML (`key:` / `- id: name` / `algorithm:` / `secret:`), or one
/// "alg:name:secret" spec per line. Errors start with "path:line:".
Result<std::vector<Key>> parseKeyFile(const std::string& path);

/// The keys a server accepts, by name. Pointers from find() stay valid until the keyring dies.
class Keyring {
 public:
  /// Adds a key (its name is normalised to lower-case, absolute); replaces one of the same name.
  void add(Key k);
  /// The key of that name (case-insensitive, trailing dot optional), or nullptr.
  const Key* find(std::string_view name) const;
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, Key, std::less<>> keys_;
};

/// TSIG RR error codes (RFC 8945 §5.3 / IANA): 0, BADSIG=16, BADKEY=17, BADTIME=18, BADTRUNC=22.
enum class TsigRcode : uint16_t {
  kNoError = 0,
  kBadSig = 16,
  kBadKey = 17,
  kBadTime = 18,
  kBadTrunc = 22
};

/// What verifyRequest found.
struct RequestInfo {
  bool present = false;  ///< a TSIG RR was the last additional record
  /// The key when known (also for BADSIG/BADTIME); points into the Keyring passed in.
  const Key* key = nullptr;
  std::string keyName;        ///< as in the message (lower-case, absolute)
  std::string algorithmName;  ///< as in the message (lower-case, absolute)
  /// Verification result to put in the response; when not kNoError the response RCODE is
  /// NOTAUTH (RFC 8945 §5.2) and signResponse() writes the TSIG the error calls for.
  TsigRcode error = TsigRcode::kNoError;
  std::vector<uint8_t> mac;  ///< the request MAC (needed to sign the response)
  uint64_t timeSigned = 0;
  uint16_t fudge = 0;
  uint16_t originalId = 0;
  Algorithm algorithm{};  ///< meaningful only when the algorithm is known
  size_t tsigOffset = 0;  ///< where the TSIG RR starts in the message
};

/// Finds and verifies the TSIG RR of a request (RFC 8945 §5.2): it must be the last RR of the
/// additional section, only one, class ANY, TTL 0. Unknown key or algorithm -> kBadKey (§5.2.1);
/// bad MAC -> kBadSig (§5.2.2); time outside fudge -> kBadTime, checked after the MAC (§5.2.3);
/// a valid MAC truncated below the full length -> kBadTrunc (§5.2.4: our local policy accepts only
/// full-length MACs). A malformed TSIG RR (bad lengths, not last, more than one, MAC longer than
/// the hash or shorter than the §5.2.2.1 minimum) -> Error (the caller answers FORMERR).
/// A message without TSIG -> present=false, no error.
Result<RequestInfo> verifyRequest(std::span<const uint8_t> msg, const Keyring& keys, uint64_t now);

/// Signs a response in place (appends the TSIG RR, increments ARCOUNT). For a response to a
/// signed request pass the request MAC (RFC 8945 §5.3). error != kNoError: for BADKEY/BADSIG the
/// MAC is empty and unsigned (§5.3.2); for BADTIME it is signed and the server time goes in Other
/// Data (§5.2.3; Time Signed is `now` here, signResponse() echoes the request's). `timersOnly` is
/// for the 2nd..nth message of a multi-message response (§5.3.1: digest = prior MAC + message +
/// timers only). Returns the MAC written (for chaining the next message of an AXFR/IXFR stream).
Result<std::vector<uint8_t>> sign(std::vector<uint8_t>& msg, const Key& key,
                                  std::span<const uint8_t> priorMac, uint64_t now,
                                  uint16_t fudge = 300, TsigRcode error = TsigRcode::kNoError,
                                  bool timersOnly = false);

/// Signs the response to a request verifyRequest() looked at, as its `error` requires: NOERROR and
/// BADTRUNC are signed with the request MAC; BADKEY/BADSIG get an unsigned TSIG echoing the key
/// and algorithm names (§5.3.2); BADTIME is signed, echoes the request's Time Signed and puts
/// `now` in Other Data (§5.2.3, as BIND and Knot do, so a client with a skewed clock can verify
/// it). The caller sets RCODE NOTAUTH for the error cases. Returns the MAC written.
Result<std::vector<uint8_t>> signResponse(std::vector<uint8_t>& msg, const RequestInfo& req,
                                          uint64_t now, uint16_t fudge = 300);

/// Signs a request (no prior MAC) — used by clients (publisher, cdig) and for NOTIFY out.
Result<std::vector<uint8_t>> signRequest(std::vector<uint8_t>& msg, const Key& key, uint64_t now,
                                         uint16_t fudge = 300);

/// Verifies a response to our signed request (client side, RFC 8945 §5.4), incl. multi-message
/// streams where every message is signed: pass the prior MAC (the request MAC for the first
/// message) and whether this is a subsequent message. A TSIG error in the response (BADKEY,
/// BADSIG, BADTIME, ...) is an Error naming it. Returns the response MAC.
Result<std::vector<uint8_t>> verifyResponse(std::span<const uint8_t> msg, const Key& key,
                                            std::span<const uint8_t> priorMac, uint64_t now,
                                            bool subsequent = false);

/// Verifies an AXFR/IXFR response stream (RFC 8945 §5.3.1). Servers following RFC 2845 may leave
/// up to 99 messages in a row unsigned (older NSD signed every 96th): those are folded into the
/// digest of the next signed message. The first message must be signed, and so must the last (check
/// lastSigned() when the stream ends). Keeps its own copy of the key.
class StreamVerifier {
 public:
  StreamVerifier(const Key& key, std::vector<uint8_t> requestMac);
  ~StreamVerifier();
  StreamVerifier(StreamVerifier&&) noexcept;
  StreamVerifier& operator=(StreamVerifier&&) noexcept;

  /// Feeds the next message of the stream; an Error ends the transfer.
  Status next(std::span<const uint8_t> msg, uint64_t now);
  /// True when the last message fed carried a valid TSIG.
  bool lastSigned() const { return lastSigned_; }

 private:
  struct Pending;
  Key key_;
  std::vector<uint8_t> priorMac_;
  std::unique_ptr<Pending> pending_;  // running HMAC over unsigned messages since the last TSIG
  int unsigned_ = 0;
  bool first_ = true;
  bool lastSigned_ = false;
};

}  // namespace cdns::tsig
