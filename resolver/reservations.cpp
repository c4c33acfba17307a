#include "resolver/reservations.h"

#include <algorithm>
#include <map>

namespace cdns::resolver {

void Reservations::follow(const Index& index) {
  std::map<std::string, size_t> old;
  for (size_t i = 0; i < names_.size(); ++i) old[names_[i]] = i;
  size_t n = index.byId().size();
  std::vector<Held> held(n);
  std::vector<uint64_t> ts(n), since(n);
  std::vector<std::string> names(n);
  for (const Center* c : index.byId()) {
    names[c->id] = c->name;
    ts[c->id] = c->ts;
    auto it = old.find(c->name);
    if (it != old.end() && ts_[it->second] == c->ts) {  // same data: what was handed out still counts
      held[c->id] = held_[it->second];
      since[c->id] = since_[it->second];
    }
  }
  held_ = std::move(held);
  ts_ = std::move(ts);
  since_ = std::move(since);
  names_ = std::move(names);
  seq_ += kLog + 1;  // the ids changed meaning: whoever follows the log starts over
}

void Reservations::hold(const Center& c, const Requirements& q, uint64_t now, uint64_t minCpus) {
  if (c.id >= held_.size() || names_[c.id] != c.name) return;
  Held& h = held_[c.id];
  if (!h.cpus && !h.gpus && !h.mem) since_[c.id] = now;
  h.cpus += std::max(q.cpus, minCpus);
  h.gpus += q.gpus;
  h.mem += q.mem;
  changed(c.id);
}

void Reservations::expire(uint64_t now, uint64_t holdSeconds) {
  for (size_t i = 0; i < held_.size(); ++i)
    if ((held_[i].cpus || held_[i].gpus || held_[i].mem) && now >= since_[i] + holdSeconds) {
      held_[i] = Held{};
      changed(static_cast<uint32_t>(i));
    }
}

}  // namespace cdns::resolver
