#include "lib/train/ResumeState.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/core/Error.h"
#include "lib/core/Fs.h"
#include "lib/core/Hash.h"
#include "lib/core/Log.h"

namespace mst::train {

namespace fs = std::filesystem;
using nlohmann::json;

FileRecord recordFile(const fs::path& dir, const std::string& name) {
  FileRecord r;
  r.name = name;
  std::ifstream f(dir / name, std::ios::binary);
  if (!f) return r;
  const std::string bytes((std::istreambuf_iterator<char>(f)), {});
  r.size = bytes.size();
  r.hash = Hasher().bytes(bytes.data(), bytes.size()).hex();
  return r;
}

namespace {

json toJson(const FileRecord& r) { return {{"name", r.name}, {"size", r.size}, {"hash", r.hash}}; }

// The early-stopping state and the curve travel with each generation, so a resumed run stops where
// the uninterrupted one would and writes the same curve.
void stateExtrasToJson(const LoopState& s, json& gen) {
  const StopState& t = s.stop;
  gen["early_stop"] = {{"started", t.started}, {"start", t.start}, {"best", t.best}, {"best_iteration", t.bestIteration},
                       {"since_best", t.sinceBest}, {"learned", t.learned}, {"plateau", t.plateau},
                       {"reductions", t.reductions}};
  json curve = json::array();
  for (const auto& p : s.curve) curve.push_back({{"iteration", p.iteration}, {"split", p.split}, {"metrics", p.metrics}});
  gen["curve"] = curve;
}

void stateExtrasFromJson(const json& gen, LoopState& s) {
  if (gen.contains("early_stop")) {
    const json& e = gen["early_stop"];
    StopState& t = s.stop;
    t.started = e.at("started").get<bool>();
    t.start = e.at("start").get<double>();
    t.best = e.at("best").get<double>();
    t.bestIteration = e.at("best_iteration").get<int64_t>();
    t.sinceBest = e.at("since_best").get<int>();
    t.learned = e.at("learned").get<bool>();
    t.plateau = e.at("plateau").get<bool>();
    t.reductions = e.at("reductions").get<int>();
  }
  for (const auto& p : gen.value("curve", json::array()))
    s.curve.push_back({p.at("iteration").get<int64_t>(), p.at("split").get<std::string>(),
                       p.at("metrics").get<std::map<std::string, double>>()});
}

FileRecord fromJson(const json& j) {
  FileRecord r;
  r.name = j.at("name").get<std::string>();
  r.size = j.at("size").get<uint64_t>();
  r.hash = j.at("hash").get<std::string>();
  return r;
}

// Empty when intact; otherwise what is wrong, naming the file.
std::string verify(const fs::path& dir, const FileRecord& want) {
  const fs::path p = dir / want.name;
  if (!fs::exists(p)) return "'" + p.string() + "': missing";
  const FileRecord got = recordFile(dir, want.name);
  if (got.size != want.size)
    return "'" + p.string() + "': truncated or altered: expected " + std::to_string(want.size) + " bytes, found " +
           std::to_string(got.size);
  if (got.hash != want.hash)
    return "'" + p.string() + "': altered: content hash " + got.hash + ", expected " + want.hash;
  return {};
}

std::string genName(int64_t it, const char* kind) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "gen-%09lld.%s.pt", static_cast<long long>(it), kind);
  return buf;
}

std::string bestName(int64_t it) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "best-%09lld.pt", static_cast<long long>(it));
  return buf;
}

}  // namespace

ResumeStore::ResumeStore(fs::path modelDir, std::string configHash)
    : dir_(std::move(modelDir) / "resume"), configHash_(std::move(configHash)) {}

std::optional<ResumeStore::Loaded> ResumeStore::load() {
  const fs::path stateFile = dir_ / "state.json";
  if (!fs::exists(stateFile)) return std::nullopt;
  json j;
  try {
    j = json::parse(readText(stateFile));
  } catch (const std::exception& e) {
    log::warn("'", stateFile.string(), "': unreadable resume state (", std::string(e.what()).substr(0, 120),
              "); this run trains from the start");
    return std::nullopt;
  }
  if (j.value("config_hash", "") != configHash_) {
    log::warn("'", stateFile.string(), "': settings changed since this state was written; this run trains from the start");
    return std::nullopt;
  }
  const json gens = j.value("generations", json::array());
  for (size_t g = 0; g < gens.size(); ++g) {
    try {
      const json& gen = gens[g];
      const FileRecord m = fromJson(gen.at("model")), o = fromJson(gen.at("optim"));
      std::optional<FileRecord> b;
      if (gen.contains("best") && !gen["best"].is_null()) b = fromJson(gen["best"]);
      std::string bad = verify(dir_, m);
      if (bad.empty()) bad = verify(dir_, o);
      if (bad.empty() && b) bad = verify(dir_, *b);
      if (!bad.empty()) {
        log::warn(bad, "; resume state of iteration ", gen.value("iteration", int64_t{0}), " is unusable, ",
                  g + 1 < gens.size() ? "falling back to the previous one" : "this run trains from the start");
        continue;
      }
      Loaded l;
      l.state.iteration = gen.at("iteration").get<int64_t>();
      l.state.samplerPosition = gen.at("sampler_position").get<int64_t>();
      l.state.bestValF1 = gen.at("best_val_f1").get<double>();
      l.state.bestIteration = gen.at("best_iteration").get<int64_t>();
      l.state.status = gen.at("status").get<std::string>();
      stateExtrasFromJson(gen, l.state);
      l.model = model::loadStateDict(dir_ / m.name);
      l.optimFile = dir_ / o.name;
      l.best = b;
      best_ = b;
      previousGeneration_ = gen.dump();
      return l;
    } catch (const std::exception& e) {
      log::warn("'", stateFile.string(), "': generation ", g + 1, " unreadable (", std::string(e.what()).substr(0, 160),
                ")", g + 1 < gens.size() ? "; falling back to the previous one" : "; this run trains from the start");
    }
  }
  return std::nullopt;
}

void ResumeStore::saveBest(const model::StateDict& weights, int64_t it) {
  fs::create_directories(dir_);
  const std::string name = bestName(it);
  model::saveStateDict(dir_ / name, weights);
  pendingBest_ = recordFile(dir_, name);
}

void ResumeStore::commit(const LoopState& s, const model::StateDict& weights, torch::optim::Optimizer& opt) {
  fs::create_directories(dir_);
  const std::string mName = genName(s.iteration, "model"), oName = genName(s.iteration, "optim");
  model::saveStateDict(dir_ / mName, weights);
  {
    torch::serialize::OutputArchive out;
    opt.save(out);
    AtomicOutput tmp(dir_ / oName);
    out.save_to(tmp.tempPath().string());
    tmp.commit();
  }
  if (pendingBest_) best_ = pendingBest_;
  pendingBest_.reset();
  json gen = {{"iteration", s.iteration},
              {"sampler_position", s.samplerPosition},
              {"best_val_f1", s.bestValF1},
              {"best_iteration", s.bestIteration},
              {"status", s.status},
              {"model", toJson(recordFile(dir_, mName))},
              {"optim", toJson(recordFile(dir_, oName))},
              {"best", best_ ? toJson(*best_) : json(nullptr)}};
  stateExtrasToJson(s, gen);
  json gens = json::array({gen});
  if (!previousGeneration_.empty()) {
    json prev = json::parse(previousGeneration_);
    if (prev.value("iteration", int64_t{-1}) != s.iteration) gens.push_back(prev);
  }
  writeTextAtomic(dir_ / "state.json", json({{"config_hash", configHash_}, {"generations", gens}}).dump(2));
  previousGeneration_ = gen.dump();
  // Files no kept generation names are removed (stale ones of an interrupted attempt included).
  std::set<std::string> keep{"state.json"};
  for (const auto& g : gens)
    for (const char* k : {"model", "optim", "best"})
      if (g.contains(k) && !g[k].is_null()) keep.insert(g[k]["name"].get<std::string>());
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string n = e.path().filename().string();
    if (!keep.count(n) && (n.rfind("gen-", 0) == 0 || n.rfind("best-", 0) == 0)) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
}

fs::path ResumeStore::bestFile() const {
  if (!best_) throw Error("'" + dir_.string() + "': no best weights recorded");
  const std::string bad = verify(dir_, *best_);
  if (!bad.empty()) throw Error(bad);
  return dir_ / best_->name;
}

}  // namespace mst::train
