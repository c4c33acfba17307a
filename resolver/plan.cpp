#include "resolver/plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cdns::resolver {

bool Plans::better(const Plan& p, uint32_t a, uint32_t b) {
  // A candidate that still fits beats one that does not (and padding), whatever the scores.
  if (p.fits[a] != p.fits[b]) return p.fits[a] > p.fits[b];
  return p.score[a] > p.score[b] || (p.score[a] == p.score[b] && a < b);  // ties: the earlier, as Best::pick does
}

void Plans::buildTree(Plan& p) {
  size_t n = p.cands.size();
  p.leaves = 1;
  while (p.leaves < n) p.leaves <<= 1;
  p.fits.resize(p.leaves, 0);  // padding leaves never fit
  p.score.resize(p.leaves, -INFINITY);
  p.tree.resize(2 * p.leaves);
  for (size_t i = 0; i < p.leaves; ++i) p.tree[p.leaves + i] = static_cast<uint32_t>(i);
  for (size_t k = p.leaves - 1; k >= 1; --k) {
    uint32_t a = p.tree[2 * k], b = p.tree[2 * k + 1];
    p.tree[k] = better(p, b, a) ? b : a;
  }
}

void Plans::settle(Plan& p, size_t i) {
  for (size_t k = (p.leaves + i) >> 1; k >= 1; k >>= 1) {
    uint32_t a = p.tree[2 * k], b = p.tree[2 * k + 1];
    p.tree[k] = better(p, b, a) ? b : a;
  }
}

void Plans::refresh(Plan& p, size_t i, const Chain& chain, const Requirements& req, const Reservations& held) {
  const Candidate& c = p.cands[i];
  Held h = c.center->id < held.table().size() ? held.table()[c.center->id] : Held{};
  double s = c.score;
  bool fits = !(h.cpus || h.gpus || h.mem) || chain.adjust(req, p.eval, c, h, s, nullptr);
  p.fitting += static_cast<size_t>(fits) - static_cast<size_t>(p.fits[i]);
  p.fits[i] = fits;
  p.score[i] = s;
}

void Plans::build(Plan& p, const Index& index, const std::string& service, const Chain& chain, const Requirements& req,
                  const Reservations* held) {
  index.candidates(service, p.cands);
  p.eval = chain.evaluate(req, p.cands, nullptr);
  size_t n = p.cands.size();
  p.score.resize(n);
  p.fits.assign(n, 1);
  p.fitting = n;
  p.pos.assign(index.byId().size(), -1);
  p.repeated = false;
  for (size_t i = 0; i < n; ++i) {
    p.score[i] = p.cands[i].score;
    uint32_t id = p.cands[i].center->id;
    if (id >= p.pos.size() || p.pos[id] >= 0)
      p.repeated = true;
    else
      p.pos[id] = static_cast<int32_t>(i);
  }
  if (held) {
    for (size_t i = 0; i < n; ++i) refresh(p, i, chain, req, *held);
    p.seq = held->seq();
  }
  buildTree(p);
}

void Plans::catchUp(Plan& p, const Chain& chain, const Requirements& req, const Reservations* held) {
  if (!held || p.seq == held->seq()) return;
  uint32_t last = UINT32_MAX;
  bool followed = !p.repeated && held->changesSince(p.seq, [&](uint32_t id) {
    if (id == last) return;  // a center picked again: once is enough, from the table as it is now
    last = id;
    if (id < p.pos.size() && p.pos[id] >= 0) {
      refresh(p, static_cast<size_t>(p.pos[id]), chain, req, *held);
      settle(p, static_cast<size_t>(p.pos[id]));
    }
  });
  if (!followed) {  // too much changed since: look at every candidate
    for (size_t i = 0; i < p.cands.size(); ++i) refresh(p, i, chain, req, *held);
    buildTree(p);
  }
  p.seq = held->seq();
}

Result<Candidate> Plans::decide(const std::shared_ptr<const Index>& indexPtr, const std::string& service, const Chain& chain,
                                const Requirements& req, const Reservations* held, uint64_t probeEpoch) {
  const Index& index = *indexPtr;
  if (!chain.cacheable()) {
    thread_local std::vector<Candidate> cands;
    index.candidates(service, cands);
    return chain.decide(req, cands, nullptr);
  }
  // A plan holds for one index version, one second, one set of probe results.
  if (indexPtr != index_ || held != held_ || req.now != now_ || probeEpoch != probeEpoch_) {
    plans_.clear();
    index_ = indexPtr;
    held_ = held;
    now_ = req.now;
    probeEpoch_ = probeEpoch;
  }
  // The kind of request: everything step one may read (not the nonce, the client key or holds).
  // Each part goes in with its length first: requirement keys and values may hold any bytes
  // (labels and the EDNS option carry "=", "," and NUL as well), so no separator is safe.
  key_.clear();
  auto part = [this](std::string_view v) {
    uint32_t len = static_cast<uint32_t>(v.size());
    key_.append(reinterpret_cast<const char*>(&len), sizeof len);
    key_.append(v);
  };
  uint64_t serial = chain.serial();
  key_.append(reinterpret_cast<const char*>(&serial), sizeof serial);
  part(service);
  for (const auto& [k, v] : req.kv) {
    part(k);
    part(v);
  }
  part(req.peer);  // after the list: the list's length is known from the parts it has
  auto it = plans_.find(key_);
  bool fresh = it == plans_.end();
  if (fresh) {
    // A plan takes about 64 bytes per candidate: at most kBudget bytes of them per zone, so that
    // requests of ever new kinds cannot make the resolver grow without bound. Only to make room:
    // a hit never clears.
    size_t limit = std::min(max_, std::max<size_t>(8, kBudget / (64 * std::max<size_t>(index.byId().size(), 1))));
    if (plans_.size() >= limit) plans_.clear();
    it = plans_.try_emplace(key_).first;
  }
  Plan& p = it->second;
  if (fresh) {
    build(p, index, service, chain, req, held);
    ++stats_.built;
  } else {
    catchUp(p, chain, req, held);
    ++stats_.reused;
  }
  if (!p.eval.error.empty()) return makeError(p.eval.error);
  size_t n = p.cands.size();
  if (chain.selectsBest() && p.fitting) {
    Candidate c = p.cands[p.tree[1]];
    c.score = p.score[p.tree[1]];
    return c;
  }
  // Another selector, or no candidate fits after holds (then all stay, on published figures).
  thread_local std::vector<Candidate> left;
  left.clear();
  for (size_t i = 0; i < n; ++i)
    if (p.fits[i] || !p.fitting) {
      left.push_back(p.cands[i]);
      left.back().score = p.score[i];
    }
  return left[chain.select(req, left, nullptr)];
}

}  // namespace cdns::resolver
