#include "lib/experiment/Sections.h"

#include <functional>

#include "lib/config/Fields.h"

namespace mst::experiment {

namespace {

// Reads a settings struct's fields() from one TOML table: absent keys keep the
// current value, kDerived fields are not read (the program sets them), and every
// problem lands in the Section's list. Choices and ranges are validate()'s job.
class TomlReader {
 public:
  explicit TomlReader(Section& s) : s_(s) {}

  void operator()(const char* k, bool& v, unsigned f = 0) { if (read(f)) v = s_.boolean(k, v); }
  void operator()(const char* k, int& v, unsigned f = 0) { if (read(f)) v = static_cast<int>(s_.integer(k, v)); }
  void operator()(const char* k, int64_t& v, unsigned f = 0) { if (read(f)) v = s_.integer(k, v); }
  void operator()(const char* k, uint64_t& v, unsigned f = 0) {
    if (read(f)) v = static_cast<uint64_t>(s_.integer(k, static_cast<int64_t>(v)));
  }
  void operator()(const char* k, double& v, unsigned f = 0) { if (read(f)) v = s_.number(k, v); }
  void operator()(const char* k, std::string& v, unsigned f = 0) { if (read(f)) v = s_.string(k, v); }
  void operator()(const char* k, std::filesystem::path& v, unsigned f = 0) { if (read(f)) v = s_.string(k, v.string()); }
  void operator()(const char* k, std::vector<std::string>& v, unsigned f = 0) { if (read(f)) v = s_.strings(k, v); }
  void operator()(const char* k, std::vector<int>& v, unsigned f = 0) {
    if (!read(f)) return;
    const auto x = s_.integers(k, std::vector<int64_t>(v.begin(), v.end()));
    v.assign(x.begin(), x.end());
  }
  void operator()(const char* k, Size3& v, unsigned f = 0) { if (read(f)) v = s_.size3(k, v); }
  void operator()(const char* k, Vec3& v, unsigned f = 0) { if (read(f)) v = s_.vec3(k, v); }
  void operator()(const char* k, std::map<std::string, double>& v, unsigned f = 0) {
    if (read(f) && s_.has(k)) v = s_.numberMap(k);
  }
  void choice(const char* k, std::string& v, config::Choices allowed, unsigned f = 0) {
    if (read(f)) v = s_.choice(k, v, std::vector<std::string>(allowed.begin(), allowed.end()));
  }
  void pair(const char* k, double& a, double& b, unsigned f = 0) {
    if (!read(f)) return;
    const auto x = s_.numbers(k, {a, b});
    if (x.size() == 2) a = x[0], b = x[1];
    else s_.problem(k, "expected [low, high]");
  }
  template <class S>
  void nested(const char* k, S& sub, unsigned f = 0) {
    if (!read(f)) return;
    Section n = s_.sub(k);
    TomlReader r(n);
    sub.fields(r);
    n.finish();
  }
  void text(const char* k, const std::function<std::string()>& get, const std::function<void(const std::string&)>& set,
            unsigned f = 0) {
    if (!read(f) || !s_.has(k)) return;
    const std::string t = s_.string(k, get());
    try {
      set(t);
    } catch (const InputError& e) {
      s_.problem(k, e.what());
    }
  }

 private:
  static bool read(unsigned flags) { return !(flags & config::kDerived); }
  Section& s_;
};

template <class S>
S readFields(Section& s, S base) {
  TomlReader r(s);
  base.fields(r);
  return base;
}

}  // namespace

preprocess::PreprocessConfig readPreprocess(Section& s, const std::vector<std::string>& channels) {
  preprocess::PreprocessConfig c;
  c.channels = channels;
  return readFields(s, c);
}

model::UNetOptions readModel(Section& s, int inChannels) {
  model::UNetOptions m;
  m.inChannels = inChannels;
  return readFields(s, m);
}

train::TrainConfig readTrain(Section& s, const train::TrainConfig& base) { return readFields(s, base); }

infer::InferConfig readInfer(Section& s, const infer::InferConfig& base) { return readFields(s, base); }

metrics::LesionOptions readEval(Section& s) { return readFields(s, metrics::LesionOptions{}); }

}  // namespace mst::experiment
