// qos: service quality towards the client. Hard limits first (max_rtt_ms, max_jitter_ms,
// max_loss, min_bw in bit/s — the query may tighten them with "rtt-20", "bw-1g"), then a weighted
// composite of rtt, jitter, loss, bandwidth and load, each normalised across the candidates.
// The path is found as the network policy finds it.
#include "resolver/policies/helpers.h"

namespace cdns::resolver::policies {
namespace {

// "20" or "20ms" -> 20; "1g" -> 1e9 (bit/s); false when not a number.
bool parseFigure(const std::string& s, double& out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0) return false;
  std::string u(end);
  if (u.empty() || u == "ms" || u == "%") out = v;
  else if (u == "k" || u == "K") out = v * 1e3;
  else if (u == "m" || u == "M") out = v * 1e6;
  else if (u == "g" || u == "G") out = v * 1e9;
  else return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<Policy>> makeQos(const nlohmann::json& j) {
  if (auto s = checkKeys("qos", j,
                         {"weight", "max_rtt_ms", "max_jitter_ms", "max_loss", "min_bw", "weights", "unknown_rtt_ms"});
      !s)
    return s.error();
  struct Limits {
    double rtt = 0, jitter = 0, loss = 0, bw = 0;  // 0: no limit
  } lim;
  auto wgt = weightOf("qos", j);
  auto rtt = numberOf("qos", j, "max_rtt_ms", 0), jit = numberOf("qos", j, "max_jitter_ms", 0),
       loss = numberOf("qos", j, "max_loss", 0), bw = numberOf("qos", j, "min_bw", 0),
       unknown = numberOf("qos", j, "unknown_rtt_ms", 1000.0);
  for (const auto* r : {&wgt, &rtt, &jit, &loss, &bw, &unknown})
    if (!*r) return r->error();
  lim = {*rtt, *jit, *loss, *bw};
  struct Weights {
    double rtt = 1, jitter = 0.5, loss = 1, bw = 0.5, load = 0.5;
  } ws;
  if (j.contains("weights")) {
    const auto& x = j["weights"];
    if (!x.is_object()) return makeError("qos: \"weights\" must be an object");
    for (auto it = x.begin(); it != x.end(); ++it) {
      if (!it.value().is_number() || it.value().get<double>() < 0)
        return makeError("qos: weights/" + it.key() + " must be a number >= 0");
      double v = it.value().get<double>();
      if (it.key() == "rtt") ws.rtt = v;
      else if (it.key() == "jitter") ws.jitter = v;
      else if (it.key() == "loss") ws.loss = v;
      else if (it.key() == "bw") ws.bw = v;
      else if (it.key() == "load") ws.load = v;
      else return makeError("qos: weights: unknown key \"" + it.key() + "\" (rtt, jitter, loss, bw, load)");
    }
  }
  return makePolicy("qos", [lim, ws, wgt = *wgt, unknown = *unknown](const Requirements& q, std::vector<Candidate>& c,
                                                                     Explanation* w) {
    Limits l = lim;  // the query may only tighten them
    double v;
    if (parseFigure(q.get("rtt"), v) && (l.rtt == 0 || v < l.rtt)) l.rtt = v;
    if (parseFigure(q.get("bw"), v) && v > l.bw) l.bw = v;
    auto link = [&](const Candidate& x) { return linkFor(x, q, unknown); };
    filterBy(
        "qos", c, w,
        [&](const Candidate& x) {
          Center::Link p = link(x);
          return !(l.rtt > 0 && p.rtt > l.rtt) && !(l.jitter > 0 && p.jitter > l.jitter) && !(l.loss > 0 && p.loss > l.loss) &&
                 !(l.bw > 0 && p.bw < l.bw);
        },
        [&](const Candidate& x) -> std::string {
          Center::Link p = link(x);
          if (l.rtt > 0 && p.rtt > l.rtt) return "rtt " + fmt(p.rtt) + " ms > " + fmt(l.rtt);
          if (l.jitter > 0 && p.jitter > l.jitter) return "jitter " + fmt(p.jitter) + " ms > " + fmt(l.jitter);
          if (l.loss > 0 && p.loss > l.loss) return "loss " + fmt(p.loss) + "% > " + fmt(l.loss);
          return "bandwidth " + fmt(p.bw) + " < " + fmt(l.bw);
        });
    rankByCost("qos/rtt", wgt * ws.rtt, c, w, [&](const Candidate& x) { return link(x).rtt; });
    rankByCost("qos/jitter", wgt * ws.jitter, c, w, [&](const Candidate& x) { return link(x).jitter; });
    rankByCost("qos/loss", wgt * ws.loss, c, w, [&](const Candidate& x) { return link(x).loss; });
    rankByCost("qos/bw", wgt * ws.bw, c, w, [&](const Candidate& x) { return -link(x).bw; });
    rankByCost("qos/load", wgt * ws.load, c, w, [&](const Candidate& x) { return x.hot->load; });
    return Policy::Flow::kContinue;
  });
}

}  // namespace cdns::resolver::policies
