// libcdns: the resolver's explanation (EDNS option 65002), parsed and drawn as a table.
#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cdns/cdns.h"

namespace cdns::client {
namespace {

std::string scalarText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string num(double v) {
  char b[32];
  snprintf(b, sizeof b, "%.3g", v);
  return b;
}

// The score a verdict text carries: "cost 0.3 -> +0.5" adds 0.5; "chosen, score 1.5" is 1.5.
std::optional<double> addedScore(const std::string& verdict) {
  auto arrow = verdict.find("-> ");
  if (arrow == std::string::npos) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(verdict.c_str() + arrow + 3, &end);
  if (end == verdict.c_str() + arrow + 3) return std::nullopt;
  return v;
}

}  // namespace

Result<Explanation> parseExplanation(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{Error::Kind::kBadAnswer, "the explanation is not a JSON object"};
  Explanation e;
  e.json = std::string(text);
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  e.service = str("service");
  e.policy = str("policy");
  e.chosen = str("chosen");
  if (j.contains("chain") && j["chain"].is_array())
    for (const auto& s : j["chain"]) e.chain.push_back(scalarText(s));
  if (j.contains("verdicts") && j["verdicts"].is_array())
    for (const auto& v : j["verdicts"]) {
      if (!v.is_object()) continue;
      Verdict x;
      x.stage = v.contains("stage") ? scalarText(v["stage"]) : "";
      x.center = v.contains("center") ? scalarText(v["center"]) : "";
      x.verdict = v.contains("verdict") ? scalarText(v["verdict"]) : "";
      if (v.contains("score") && v["score"].is_number()) x.score = v["score"].get<double>();
      e.verdicts.push_back(std::move(x));
    }
  return e;
}

std::string explanationTable(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "(explanation not readable: " + std::string(text) + ")\n";
  auto e = parseExplanation(text);
  std::ostringstream out;
  // Header: what was asked and how it was decided.
  out << "service " << (e->service.empty() ? "?" : e->service) << ", policy " << (e->policy.empty() ? "?" : e->policy);
  if (!e->chain.empty()) {
    out << " (";
    for (size_t i = 0; i < e->chain.size(); ++i) out << (i ? " -> " : "") << e->chain[i];
    out << ")";
  }
  if (j.contains("serial")) out << ", zone serial " << scalarText(j["serial"]);
  out << ", chosen: " << (e->chosen.empty() ? "none" : e->chosen) << "\n";

  // One row per center, one column per stage ("select" goes into the outcome).
  std::vector<std::string> stages, centers;
  struct Row {
    std::map<std::string, std::string> cells;
    std::string droppedAt, droppedWhy, selected;  // selected: the selector's verdict
    std::optional<double> score, explicitScore;
  };
  std::map<std::string, Row> rows;
  std::optional<double> chosenScore;
  for (size_t i = 0; i < e->verdicts.size(); ++i) {
    const auto& v = e->verdicts[i];
    const auto& raw = j["verdicts"][i];
    if (std::find(centers.begin(), centers.end(), v.center) == centers.end()) centers.push_back(v.center);
    Row& r = rows[v.center];
    if (v.score) r.explicitScore = v.score;
    if (v.stage == "select") {
      r.selected = v.verdict;
      auto at = v.verdict.find("score ");
      if (at != std::string::npos) chosenScore = std::strtod(v.verdict.c_str() + at + 6, nullptr);
      continue;
    }
    if (std::find(stages.begin(), stages.end(), v.stage) == stages.end()) stages.push_back(v.stage);
    std::string cell = v.verdict;
    for (const auto& [k, val] : raw.items())  // fields we do not know, shown beside the verdict
      if (k != "stage" && k != "center" && k != "verdict" && k != "score") cell += " [" + k + "=" + scalarText(val) + "]";
    r.cells[v.stage] = cell;
    if (v.verdict.rfind("dropped", 0) == 0 && r.droppedAt.empty()) {
      r.droppedAt = v.stage;
      r.droppedWhy = v.verdict.size() > 9 ? v.verdict.substr(9) : v.verdict;
    }
    if (auto s = addedScore(v.verdict)) r.score = r.score.value_or(0) + *s;
  }
  if (!e->chosen.empty() && !chosenScore) chosenScore = rows[e->chosen].explicitScore ? rows[e->chosen].explicitScore : rows[e->chosen].score;
  std::vector<std::string> header{"CENTER"};
  for (const auto& s : stages) {
    std::string h = s;
    for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    header.push_back(h);
  }
  header.push_back("SCORE");
  header.push_back("OUTCOME");
  std::vector<std::vector<std::string>> table{header};
  for (const auto& c : centers) {
    Row& r = rows[c];
    std::vector<std::string> line{c};
    for (const auto& s : stages) line.push_back(r.cells.count(s) ? r.cells[s] : "-");
    std::optional<double> score = r.explicitScore ? r.explicitScore : r.score;
    line.push_back(score ? num(*score) : "-");
    std::string outcome;
    // The selector's own words where it gave some (weighted and sticky pick among the top k, not
    // always the best score).
    bool byScore = r.selected.empty() || r.selected.rfind("chosen: best score", 0) == 0;
    if (c == e->chosen) outcome = byScore ? "chosen" : r.selected;
    else if (!r.droppedAt.empty()) outcome = "dropped by " + r.droppedAt + ": " + r.droppedWhy;
    else if (!byScore) outcome = "lost: " + r.selected;
    else if (!e->chosen.empty() && score && chosenScore)
      outcome = *score < *chosenScore ? "lost: score " + num(*score) + " < " + num(*chosenScore) + " (" + e->chosen + ")"
                                      : "lost: tie with " + e->chosen + ", which comes first";
    else if (!e->chosen.empty()) outcome = "lost: " + e->chosen + " was chosen first";
    else outcome = "-";
    line.push_back(outcome);
    table.push_back(line);
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& l : table)
    for (size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], l[i].size());
  for (const auto& l : table) {
    std::string s;
    for (size_t i = 0; i < l.size(); ++i) s += i + 1 < l.size() ? l[i] + std::string(width[i] - l[i].size() + 2, ' ') : l[i];
    out << s << "\n";
  }
  if (centers.empty()) out << "(no candidates)\n";
  // Fields this version does not know, as they came.
  for (const auto& [k, v] : j.items())
    if (k != "service" && k != "policy" && k != "chain" && k != "serial" && k != "verdicts" && k != "chosen")
      out << k << ": " << scalarText(v) << "\n";
  return out.str();
}

}  // namespace cdns::client
