// cdig: query, print dig-style with our types decoded, or as JSON, or as a table of centers.
#include "clients/cdig.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "clients/libcdns/dns_message.h"
#include "common/dns.h"
#include "common/ldns_handles.h"
#include "common/net.h"
#include "common/tsig.h"
#include "rrtypes/rdata.h"
#include "rrtypes/registry.h"
#include "rrtypes/zone_loader.h"

namespace cdns::clients {
namespace {

constexpr const char* kUsage = R"(usage: cdig [@server] [-p port] [-t type] [-y [alg:]name:secret | -k keyfile] name [type] [+options]

A dig-style DNS query tool that prints the compute record types (SITE CAP PRICE ENERGY NETQ DATA
TIER) decoded, in the units people read.

  @server         server address (default 127.0.0.1)
  -p port         port (default 53)
  -t type         query type (default A; or the second bare argument)
  -y alg:name:secret, -k keyfile
                  sign the query with TSIG and verify the answer
  +tcp            use TCP          +tls     DNS over TLS (port 853 by default)
  +short          only the rdata   +json    the whole response as JSON (types decoded)
  +norec          clear RD         +dnssec  set the DO bit
  +timeout=N      seconds per try (default 3)
  +centers        list the centers of a compute zone (AXFR): one row per center
  +req=K=V,...    requirements for a cdns resolver (EDNS option 65001): gpu=4,mem=64g,policy=price
  +explain        ask a cdns resolver why it chose (EDNS option 65002); printed as a table
  +subnet=ADDR[/LEN]  EDNS Client Subnet (RFC 7871)
  -h, --help      this text

Exit status: 0 answered (NOERROR, NXDOMAIN), 1 bad arguments, 3 the server refused or failed
(REFUSED, NOTAUTH, SERVFAIL, FORMERR, NOTIMP), 9 no answer (timeout, nothing listening).
)";

struct Options {
  std::string server = "127.0.0.1";
  int port = -1;
  std::string name;
  uint16_t type = dns::kA;
  bool tcp = false, tls = false, shortOut = false, json = false, rd = true, dnssec = false, centers = false;
  bool explain = false;
  std::string req;                 // "gpu=4,policy=price"
  std::vector<uint8_t> subnet;     // the ECS option's data
  std::string subnetText;
  int timeoutS = 3;
  std::optional<tsig::Key> key;
};

uint16_t parseType(const std::string& t) {
  if (const auto* ours = rrtypes::findType(t)) return ours->code;
  ldns_rr_type v = ldns_get_rr_type_by_name(t.c_str());
  return static_cast<uint16_t>(v);
}

std::string typeName(uint16_t code) {
  if (const auto* t = rrtypes::findType(code)) return std::string(t->name);
  return dns::typeToText(code);
}

// ---------------------------------------------------------------- transport
struct Reply {
  std::vector<std::vector<uint8_t>> messages;  // several for AXFR
  std::string transport;
  double ms = 0;
};

Result<int> connectTo(const sockaddr_storage& a, int type, int timeoutS) {
  int fd = socket(a.ss_family, type | SOCK_CLOEXEC, 0);
  timeval tv{timeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), net::addrLen(a)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return makeError(why);
  }
  return fd;
}

// A stream: plain TCP, or TLS over it.
class Stream {
 public:
  ~Stream() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }
  Status open(const sockaddr_storage& a, bool tls, int timeoutS) {
    auto fd = connectTo(a, SOCK_STREAM, timeoutS);
    if (!fd) return fd.error();
    fd_ = *fd;
    if (!tls) return {};
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    // Opportunistic privacy (RFC 7858 §4.1): the certificate is not authenticated here.
    if (SSL_connect(ssl_) != 1) {
      char why[256];
      ERR_error_string_n(ERR_get_error(), why, sizeof why);
      return makeError(std::string("TLS handshake failed: ") + why);
    }
    return {};
  }
  bool write(const std::vector<uint8_t>& b) {
    return ssl_ ? SSL_write(ssl_, b.data(), static_cast<int>(b.size())) == static_cast<int>(b.size())
                : send(fd_, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
  }
  bool readExact(uint8_t* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ssl_ ? SSL_read(ssl_, p + got, static_cast<int>(n - got)) : recv(fd_, p + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  Result<std::vector<uint8_t>> readMessage() {
    uint8_t len[2];
    if (!readExact(len, 2)) return makeError("timed out");
    std::vector<uint8_t> m(static_cast<size_t>(len[0] << 8 | len[1]));
    if (!readExact(m.data(), m.size())) return makeError("answer cut short");
    return m;
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

Result<Reply> query(const Options& o, const std::vector<uint8_t>& msg, std::vector<uint8_t> mac) {
  auto addr = net::parseHostPort(o.server, o.port);
  if (!addr) return addr.error();
  Reply r;
  auto t0 = std::chrono::steady_clock::now();
  bool stream = o.tcp || o.tls || o.type == dns::kAXFR || o.type == dns::kIXFR;
  if (!stream) {
    auto fd = connectTo(*addr, SOCK_DGRAM, o.timeoutS);
    if (!fd) return fd.error();
    send(*fd, msg.data(), msg.size(), 0);
    std::vector<uint8_t> buf(65535);
    pollfd p{*fd, POLLIN, 0};
    ssize_t n = -1;
    if (poll(&p, 1, o.timeoutS * 1000) == 1) n = recv(*fd, buf.data(), buf.size(), 0);
    std::string why = n < 0 ? (errno ? std::strerror(errno) : "timed out") : "";
    close(*fd);
    if (n < 12) return makeError(why.empty() || why == "Success" ? "timed out" : why);
    buf.resize(static_cast<size_t>(n));
    r.transport = "UDP";
    if (!(buf[2] & 0x02)) {
      r.messages.push_back(std::move(buf));
      r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return r;
    }
  }
  // TCP (also after a truncated UDP answer), or TLS.
  Stream s;
  if (auto st = s.open(*addr, o.tls, o.timeoutS); !st) return st.error();
  std::vector<uint8_t> f{static_cast<uint8_t>(msg.size() >> 8), static_cast<uint8_t>(msg.size())};
  f.insert(f.end(), msg.begin(), msg.end());
  if (!s.write(f)) return makeError("send failed");
  r.transport = o.tls ? "TLS" : "TCP";
  int soas = 0;
  while (true) {
    auto m = s.readMessage();
    if (!m) return m.error();
    bool xfr = o.type == dns::kAXFR || o.type == dns::kIXFR;
    // A transfer ends with its second SOA (RFC 5936 §2.2); count SOAs in the answers.
    if (xfr) {
      ldns_pkt* p = nullptr;
      if (ldns_wire2pkt(&p, m->data(), m->size()) == LDNS_STATUS_OK) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); ++i)
          if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), i)) == LDNS_RR_TYPE_SOA) ++soas;
        bool error = ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR;
        ldns_pkt_free(p);
        r.messages.push_back(std::move(*m));
        if (error || soas >= 2) break;
        continue;
      }
    }
    r.messages.push_back(std::move(*m));
    break;
  }
  (void)mac;
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// ---------------------------------------------------------------- printing
std::string rrText(const ldns_rr* rr) { return rrtypes::rrToText(rr); }

std::string rdataOnly(const ldns_rr* rr) {
  std::string t = rrText(rr);
  size_t pos = 0;
  for (int n = 0; n < 4 && pos != std::string::npos; ++n) pos = t.find('\t', pos + 1);
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

nlohmann::json rrJson(const ldns_rr* rr) {
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  char* cls = ldns_rr_class2str(ldns_rr_get_class(rr));
  auto type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  nlohmann::json j{{"name", owner}, {"ttl", ldns_rr_ttl(rr)}, {"class", cls}, {"type", typeName(type)}};
  free(owner);
  free(cls);
  const rrtypes::TypeDef* t = rrtypes::findType(type);
  if (t && ldns_rr_rd_count(rr) == 1) {
    const ldns_rdf* rd = ldns_rr_rdf(rr, 0);
    auto decoded = rrtypes::toJson(*t, std::span<const uint8_t>(ldns_rdf_data(rd), ldns_rdf_size(rd)));
    if (decoded) j["rdata"] = *decoded;
    else j["rdata_error"] = decoded.error().message;
  } else {
    j["rdata"] = rdataOnly(rr);
  }
  return j;
}

void printSection(std::ostream& out, const char* title, ldns_rr_list* l) {
  if (!ldns_rr_list_rr_count(l)) return;
  out << "\n;; " << title << " SECTION:\n";
  for (size_t i = 0; i < ldns_rr_list_rr_count(l); ++i) out << rrText(ldns_rr_list_rr(l, i)) << "\n";
}

std::string flagsText(const ldns_pkt* p) {
  std::string f;
  if (ldns_pkt_qr(p)) f += " qr";
  if (ldns_pkt_aa(p)) f += " aa";
  if (ldns_pkt_tc(p)) f += " tc";
  if (ldns_pkt_rd(p)) f += " rd";
  if (ldns_pkt_ra(p)) f += " ra";
  if (ldns_pkt_ad(p)) f += " ad";
  if (ldns_pkt_cd(p)) f += " cd";
  return f.empty() ? "" : f.substr(1);
}

// One row per center: the operator's glance at a compute zone.
void printCenters(std::ostream& out, const std::vector<ldns_pkt*>& pkts, const std::string& zone) {
  struct Row {
    std::map<std::string, nlohmann::json> rec;
  };
  std::map<std::string, Row> centers;
  std::string suffix = ".centers." + zone;
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  for (ldns_pkt* p : pkts)
    for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
      auto type = static_cast<uint16_t>(ldns_rr_get_type(rr));
      const rrtypes::TypeDef* t = rrtypes::findType(type);
      if (!t) continue;
      char* o = ldns_rdf2str(ldns_rr_owner(rr));
      std::string owner = o;
      free(o);
      for (auto& c : owner) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (owner.size() <= suffix.size() || owner.compare(owner.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      std::string center = owner.substr(0, owner.size() - suffix.size());
      if (center.find('.') != std::string::npos) continue;
      centers[center].rec[std::string(t->name)] = rrJson(rr)["rdata"];
    }
  auto pair = [](const nlohmann::json& j) -> std::string {
    if (!j.is_object() || !j.contains("free")) return "-";
    return std::to_string(j["free"].get<uint64_t>()) + "/" + std::to_string(j["total"].get<uint64_t>());
  };
  auto text = [](const nlohmann::json& j, const char* key) -> std::string {
    if (!j.is_object() || !j.contains(key)) return "-";
    const auto& v = j[key];
    if (v.is_string()) return v.get<std::string>();
    std::ostringstream s;
    s << v;
    return s.str();
  };
  out << std::left << std::setw(10) << "CENTER" << std::setw(7) << "KIND" << std::setw(12) << "REGION" << std::setw(12)
      << "CPU" << std::setw(18) << "GPU" << std::setw(6) << "LOAD" << std::setw(6) << "QUEUE" << std::setw(10) << "CPU-HOUR"
      << std::setw(8) << "CARBON" << std::setw(12) << "GRADE" << "AGE\n";
  for (const auto& [name, row] : centers) {
    auto get = [&](const char* t) { auto it = row.rec.find(t); return it == row.rec.end() ? nlohmann::json() : it->second; };
    nlohmann::json site = get("SITE"), cap = get("CAP"), price = get("PRICE"), energy = get("ENERGY"), tier = get("TIER");
    std::string gpu = "-";
    if (cap.is_object() && cap.contains("gpu")) {
      gpu.clear();
      for (const auto& g : cap["gpu"])
        gpu += (gpu.empty() ? "" : ",") + g["model"].get<std::string>() + ":" + std::to_string(g["free"].get<uint64_t>()) + "/" +
               std::to_string(g["total"].get<uint64_t>());
    }
    std::string age = "-";
    if (cap.is_object() && cap.contains("ts")) {
      uint64_t ts = cap["ts"].get<uint64_t>();
      age = ts > now ? "0s" : std::to_string(now - ts) + "s";
    }
    std::string cpuHour = text(price, "cpu-hour");
    if (cpuHour != "-" && price.contains("currency")) cpuHour += " " + price["currency"].get<std::string>();
    out << std::left << std::setw(10) << name << std::setw(7) << text(site, "kind") << std::setw(12) << text(site, "region")
        << std::setw(12) << pair(cap.is_object() && cap.contains("cpu") ? cap["cpu"] : nlohmann::json()) << std::setw(18) << gpu
        << std::setw(6) << text(cap, "load") << std::setw(6) << text(cap, "queue") << std::setw(10) << cpuHour << std::setw(8)
        << text(energy, "carbon") << std::setw(12) << text(tier, "class") << age << "\n";
  }
  if (centers.empty()) out << ";; no centers under " << suffix.substr(1) << "\n";
}

// "+subnet=192.0.2.0/24": the ECS option's data (RFC 7871 §6): family, source prefix, scope 0,
// and the address cut to the prefix.
Result<std::vector<uint8_t>> parseSubnet(const std::string& text) {
  std::string addr = text;
  int len = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    char* end = nullptr;
    len = static_cast<int>(std::strtol(text.c_str() + slash + 1, &end, 10));
    if (*end || slash + 1 == text.size()) return makeError("+subnet=" + text + ": bad prefix length");
  }
  uint8_t buf[16];
  uint16_t family = 1;
  size_t bytes = 4;
  if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) family = 2, bytes = 16;
  else if (inet_pton(AF_INET, addr.c_str(), buf) != 1) return makeError("+subnet=" + text + ": not an IP address");
  if (len < 0) len = static_cast<int>(bytes * 8);
  if (len > static_cast<int>(bytes * 8)) return makeError("+subnet=" + text + ": prefix longer than the address");
  std::vector<uint8_t> o{static_cast<uint8_t>(family >> 8), static_cast<uint8_t>(family), static_cast<uint8_t>(len), 0};
  size_t keep = static_cast<size_t>((len + 7) / 8);
  for (size_t i = 0; i < keep; ++i) o.push_back(buf[i]);
  if (len % 8) o.back() &= static_cast<uint8_t>(0xFF << (8 - len % 8));
  return o;
}

std::string subnetText(const std::string& data) {
  if (data.size() < 4) return "(malformed)";
  uint16_t family = static_cast<uint16_t>(static_cast<uint8_t>(data[0]) << 8 | static_cast<uint8_t>(data[1]));
  uint8_t a[16] = {};
  std::memcpy(a, data.data() + 4, std::min<size_t>(data.size() - 4, family == 2 ? 16 : 4));
  char t[INET6_ADDRSTRLEN] = "?";
  inet_ntop(family == 2 ? AF_INET6 : AF_INET, a, t, sizeof t);
  return std::string(t) + "/" + std::to_string(static_cast<uint8_t>(data[2])) + "/" + std::to_string(static_cast<uint8_t>(data[3]));
}

// RFC 8914 §5.2 names of the info-codes dig prints.
std::string edeName(uint16_t code) {
  static const char* names[] = {"Other", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type", "Stale Answer",
                                "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus", "Signature Expired",
                                "Signature Not Yet Valid", "DNSKEY Missing", "RRSIGs Missing", "No Zone Key Bit Set",
                                "NSEC Missing", "Cached Error", "Not Ready", "Blocked", "Censored", "Filtered",
                                "Prohibited", "Stale NXDOMAIN Answer", "Not Authoritative", "Not Supported",
                                "No Reachable Authority", "Network Error", "Invalid Data"};
  return code < std::size(names) ? names[code] : "Unknown";
}

// The EDNS options of an answer, dig-style ("; EDE: 0 (Other): (text)"); the explanation is
// printed as its own section.
void printOptions(std::ostream& out, const ldns_pkt* p) {
  for (const auto& [code, data] : client::detail::ednsOptions(p)) {
    if (code == client::detail::kOptEde && data.size() >= 2) {
      uint16_t info = static_cast<uint16_t>(static_cast<uint8_t>(data[0]) << 8 | static_cast<uint8_t>(data[1]));
      out << "; EDE: " << info << " (" << edeName(info) << ")" << (data.size() > 2 ? ": (" + data.substr(2) + ")" : "") << "\n";
    } else if (code == client::detail::kOptSubnet) {
      out << "; CLIENT-SUBNET: " << subnetText(data) << "\n";
    } else if (code == client::detail::kOptExplain) {
      out << "; EXPLANATION: " << data.size() << " bytes (see below)\n";
    } else {
      out << "; OPT=" << code << ": " << data.size() << " bytes\n";
    }
  }
}

nlohmann::json optionsJson(const ldns_pkt* p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [code, data] : client::detail::ednsOptions(p)) {
    if (code == client::detail::kOptEde && data.size() >= 2) {
      uint16_t info = static_cast<uint16_t>(static_cast<uint8_t>(data[0]) << 8 | static_cast<uint8_t>(data[1]));
      j["ede"].push_back({{"code", info}, {"name", edeName(info)}, {"text", data.substr(2)}});
    } else if (code == client::detail::kOptSubnet) {
      j["client_subnet"] = subnetText(data);
    } else if (code == client::detail::kOptExplain) {
      auto e = nlohmann::json::parse(data, nullptr, false);
      j["explanation"] = e.is_discarded() ? nlohmann::json(data) : e;
    }
  }
  return j;
}

// The explanation as a table; `dig` layout puts it in a section of its own.
void printExplanation(std::ostream& out, const ldns_pkt* p, bool section) {
  std::string text;
  for (const auto& [code, data] : client::detail::ednsOptions(p))
    if (code == client::detail::kOptExplain) text = data;
  if (section) out << "\n;; EXPLANATION:\n";
  if (text.empty()) {
    out << ";; no explanation in the answer (only a cdns resolver gives one, for service names)\n";
    return;
  }
  out << client::explanationTable(text);
}

}  // namespace

int runCdig(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  std::vector<std::string> bare;
  std::string typeArg;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* {
      if (i + 1 >= args.size()) {
        err << "cdig: " << a << " needs a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '@') {
      o.server = a.substr(1);
    } else if (a == "-p") {
      auto v = value();
      if (!v) return 1;
      char* end = nullptr;
      long p = std::strtol(v->c_str(), &end, 10);
      if (*end || p < 1 || p > 65535) {
        err << "cdig: -p: bad port \"" << *v << "\"\n";
        return 1;
      }
      o.port = static_cast<int>(p);
    } else if (a == "-t") {
      auto v = value();
      if (!v) return 1;
      typeArg = *v;
    } else if (a == "-y") {
      auto v = value();
      if (!v) return 1;
      auto k = tsig::parseKeySpec(*v);
      if (!k) {
        err << "cdig: -y: " << k.error().message << "\n";
        return 1;
      }
      o.key = *k;
    } else if (a == "-k") {
      auto v = value();
      if (!v) return 1;
      auto ks = tsig::parseKeyFile(*v);
      if (!ks || ks->empty()) {
        err << "cdig: -k: " << (ks ? *v + ": no key" : ks.error().message) << "\n";
        return 1;
      }
      o.key = (*ks)[0];
    } else if (a == "+tcp") o.tcp = true;
    else if (a == "+notcp") o.tcp = false;
    else if (a == "+tls") o.tls = true;
    else if (a == "+short") o.shortOut = true;
    else if (a == "+json") o.json = true;
    else if (a == "+norec" || a == "+norecurse") o.rd = false;
    else if (a == "+rec" || a == "+recurse") o.rd = true;
    else if (a == "+dnssec") o.dnssec = true;
    else if (a == "+centers") o.centers = true;
    else if (a == "+explain") o.explain = true;
    else if (a == "+noexplain") o.explain = false;
    else if (a.rfind("+req=", 0) == 0) {
      auto r = client::parseRequirements(a.substr(5));
      if (!r || r->empty()) {
        err << "cdig: " << a << ": " << (r ? "empty" : r.error().message) << "\n";
        return 1;
      }
      o.req = client::detail::requirementsText(*r);
    } else if (a.rfind("+subnet=", 0) == 0) {
      auto e = parseSubnet(a.substr(8));
      if (!e) {
        err << "cdig: " << e.error().message << "\n";
        return 1;
      }
      o.subnet = *e;
      o.subnetText = a.substr(8);
    }
    else if (a.rfind("+timeout=", 0) == 0) {
      o.timeoutS = std::atoi(a.c_str() + 9);
      if (o.timeoutS < 1) {
        err << "cdig: bad " << a << "\n";
        return 1;
      }
    } else if (!a.empty() && (a[0] == '+' || a[0] == '-')) {
      err << "cdig: unknown option " << a << " (see --help)\n";
      return 1;
    } else {
      bare.push_back(a);
    }
  }
  if (bare.empty()) {
    err << "cdig: no name to query (see --help)\n";
    return 1;
  }
  if (bare.size() > 2) {
    err << "cdig: too many arguments: " << bare[2] << "\n";
    return 1;
  }
  o.name = bare[0];
  if (o.name.empty()) {
    err << "cdig: empty name\n";
    return 1;
  }
  if (o.name.back() != '.') o.name += '.';
  if (bare.size() == 2) typeArg = bare[1];
  if (o.centers) typeArg = "AXFR";
  if (!typeArg.empty()) {
    o.type = parseType(typeArg);
    if (o.type == 0) {
      err << "cdig: unknown type \"" << typeArg << "\"\n";
      return 1;
    }
  }
  if (o.port < 0) o.port = o.tls ? 853 : 53;
  if (!net::parseHostPort(o.server, o.port)) {
    err << "cdig: @" << o.server << ": not an IP address\n";
    return 1;
  }
  auto qname = dns::nameFromText(o.name);
  if (!qname) {
    err << "cdig: " << qname.error().message << "\n";
    return 1;
  }
  // The query.
  ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(o.name.c_str()), static_cast<ldns_rr_type>(o.type),
                                   LDNS_RR_CLASS_IN, o.rd ? LDNS_RD : 0);
  std::random_device rd;
  ldns_pkt_set_id(q, static_cast<uint16_t>(rd()));
  ldns_pkt_set_edns_udp_size(q, 1232);
  if (o.dnssec) ldns_pkt_set_edns_do(q, true);
  std::vector<uint8_t> opts;
  if (!o.req.empty()) client::detail::appendOption(opts, client::detail::kOptRequirements, o.req);
  if (o.explain) client::detail::appendOption(opts, client::detail::kOptExplain, "");
  if (!o.subnet.empty())
    client::detail::appendOption(opts, client::detail::kOptSubnet, std::string(o.subnet.begin(), o.subnet.end()));
  if (!opts.empty() || !o.dnssec)  // EDNS, with our options or none
    ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, opts.size(), opts.data()));
  std::vector<uint8_t> msg = toWire(q);
  ldns_pkt_free(q);
  std::vector<uint8_t> mac;
  if (o.key) {
    auto m = tsig::signRequest(msg, *o.key, static_cast<uint64_t>(time(nullptr)));
    if (!m) {
      err << "cdig: " << m.error().message << "\n";
      return 1;
    }
    mac = *m;
  }
  auto reply = query(o, msg, mac);
  if (!reply) {
    err << ";; connection to " << o.server << "#" << o.port << " failed: " << reply.error().message << "\n";
    return 9;
  }
  // TSIG on the answer.
  std::string tsigNote;
  if (o.key) {
    std::vector<uint8_t> prior = mac;
    for (size_t i = 0; i < reply->messages.size(); ++i) {
      auto v = tsig::verifyResponse(reply->messages[i], *o.key, prior, static_cast<uint64_t>(time(nullptr)), i > 0);
      if (!v) {
        tsigNote = ";; WARNING: TSIG verification failed: " + v.error().message;
        break;
      }
      prior = *v;
    }
    if (tsigNote.empty()) tsigNote = ";; TSIG: verified with key " + o.key->name;
  }
  std::vector<ldns_pkt*> pkts;
  for (const auto& m : reply->messages) {
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, m.data(), m.size()) != LDNS_STATUS_OK) {
      err << ";; the answer is not a DNS message\n";
      for (auto* x : pkts) ldns_pkt_free(x);
      return 9;
    }
    pkts.push_back(p);
  }
  ldns_pkt* first = pkts[0];
  uint16_t rcode = static_cast<uint16_t>(ldns_pkt_get_rcode(first));
  size_t bytes = 0;
  for (const auto& m : reply->messages) bytes += m.size();
  if (o.centers) {
    if (rcode == 0) printCenters(out, pkts, o.name);
  } else if (o.json) {
    nlohmann::json j{{"id", ldns_pkt_id(first)},
                     {"rcode", dns::rcodeToText(rcode)},
                     {"flags", flagsText(first)},
                     {"question", {{"name", o.name}, {"type", typeName(o.type)}}},
                     {"answer", nlohmann::json::array()},
                     {"authority", nlohmann::json::array()},
                     {"additional", nlohmann::json::array()},
                     {"server", o.server + "#" + std::to_string(o.port)},
                     {"transport", reply->transport},
                     {"time_ms", reply->ms},
                     {"size", bytes}};
    for (ldns_pkt* p : pkts) {
      for (auto [key, list] : {std::pair{"answer", ldns_pkt_answer(p)}, std::pair{"authority", ldns_pkt_authority(p)},
                               std::pair{"additional", ldns_pkt_additional(p)}})
        for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) j[key].push_back(rrJson(ldns_rr_list_rr(list, i)));
    }
    if (o.key) j["tsig"] = tsigNote.find("verified") != std::string::npos ? "verified" : "failed";
    nlohmann::json options = optionsJson(first);
    for (const auto& [k, v] : options.items()) j[k] = v;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";  // TXT and names may be any bytes
  } else if (o.shortOut) {
    for (ldns_pkt* p : pkts)
      for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); ++i) out << rdataOnly(ldns_rr_list_rr(ldns_pkt_answer(p), i)) << "\n";
    if (o.explain) printExplanation(out, first, false);
  } else {
    out << "; <<>> cdig <<>> @" << o.server << " -p " << o.port << " " << o.name << " " << typeName(o.type) << "\n";
    out << ";; ->>HEADER<<- opcode: QUERY, status: " << dns::rcodeToText(rcode) << ", id: " << ldns_pkt_id(first) << "\n";
    out << ";; flags: " << flagsText(first) << "; QUERY: " << ldns_pkt_qdcount(first) << ", ANSWER: " << ldns_pkt_ancount(first)
        << ", AUTHORITY: " << ldns_pkt_nscount(first) << ", ADDITIONAL: " << ldns_pkt_arcount(first) << "\n";
    if (ldns_pkt_edns(first))
      out << "\n;; OPT PSEUDOSECTION:\n; EDNS: version: " << static_cast<int>(ldns_pkt_edns_version(first))
          << ", flags:" << (ldns_pkt_edns_do(first) ? " do" : "") << "; udp: " << ldns_pkt_edns_udp_size(first) << "\n";
    if (ldns_pkt_edns(first)) printOptions(out, first);
    out << "\n;; QUESTION SECTION:\n;" << o.name << "\t\tIN\t" << typeName(o.type) << "\n";
    for (ldns_pkt* p : pkts) {
      printSection(out, "ANSWER", ldns_pkt_answer(p));
      printSection(out, "AUTHORITY", ldns_pkt_authority(p));
      printSection(out, "ADDITIONAL", ldns_pkt_additional(p));
    }
    if (o.explain) printExplanation(out, first, true);
    if (!tsigNote.empty()) out << "\n" << tsigNote << "\n";
    out << "\n;; Query time: " << static_cast<int>(reply->ms) << " msec\n";
    out << ";; SERVER: " << o.server << "#" << o.port << "(" << o.server << ") (" << reply->transport << ")\n";
    out << ";; MSG SIZE  rcvd: " << bytes << "\n";
  }
  for (auto* p : pkts) ldns_pkt_free(p);
  if (!tsigNote.empty() && tsigNote.find("WARNING") != std::string::npos) {
    err << tsigNote << "\n";
    return 3;
  }
  if (rcode == 0 || rcode == 3) return 0;
  if (!o.json) err << ";; the server answered " << dns::rcodeToText(rcode) << "\n";
  return 3;
}

}  // namespace cdns::clients
