#include "common/roofline/machine_profile.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace roofline {
namespace {

using nlohmann::json;

const char* const kLevelOrder[] = {"L1", "L2", "L3", "L4", "DRAM"};

int LevelRank(const std::string& level) {
  for (int i = 0; i < 5; ++i) {
    if (level == kLevelOrder[i]) return i;
  }
  return 5;
}

json BandwidthJson(const BandwidthResult& r) {
  return {{"level", r.level},         {"kernel", r.kernel},           {"threads", r.threads},
          {"working_set_bytes", r.working_set_bytes}, {"best_gbps", r.best_gbps},
          {"median_gbps", r.median_gbps}};
}

}  // namespace

double MachineProfile::Gbps(const std::string& level, const std::string& kernel,
                            int n) const {
  for (const BandwidthResult& r : bandwidth) {
    if (r.level == level && r.kernel == kernel && r.threads == n) return r.best_gbps;
  }
  return 0;
}

bool MachineProfile::RaiseDramRead(int n, double gbps) {
  for (BandwidthResult& r : bandwidth) {
    if (r.level == "DRAM" && r.kernel == "load" && r.threads == n) {
      if (!(gbps > r.best_gbps)) return false;  // also refuses NaN
      r.best_gbps = gbps;
      return true;
    }
  }
  if (!(gbps > 0)) return false;
  BandwidthResult r;
  r.level = "DRAM";
  r.kernel = "load";
  r.threads = n;
  r.best_gbps = r.median_gbps = gbps;
  bandwidth.push_back(r);
  return true;
}

double MachineProfile::PeakGops(const std::string& kind, int n) const {
  double best = 0;
  for (const ComputeResult& r : compute) {
    if (r.kind == kind && r.threads == n) best = std::max(best, r.best_gops);
  }
  return best;
}

std::string MachineProfile::PeakIsa(const std::string& kind) const {
  double best = -1;
  std::string isa;
  for (const ComputeResult& r : compute) {
    if (r.kind == kind && r.threads == threads && r.best_gops > best) {
      best = r.best_gops;
      isa = r.isa;
    }
  }
  return isa;
}

double MachineProfile::DispatchUs(int n) const {
  for (const DispatchResult& d : dispatch) {
    if (d.threads == n) return d.median_us;
  }
  return 0;
}

std::vector<std::string> MachineProfile::Levels() const {
  std::vector<std::string> levels;
  for (const BandwidthResult& r : bandwidth) {
    if (std::find(levels.begin(), levels.end(), r.level) == levels.end()) levels.push_back(r.level);
  }
  std::sort(levels.begin(), levels.end(),
            [](const std::string& a, const std::string& b) { return LevelRank(a) < LevelRank(b); });
  return levels;
}

double MachineProfile::TheoreticalInt8Gops(int n, std::string* assumption) const {
  // 512-bit vpdpbusd instructions retired per cycle per core.
  double per_cycle = 0;
  std::string why;
  const std::string isa = PeakIsa("int8_dot");
  if (isa == "avx512vnni" && vendor == "AuthenticAMD" && family == 0x19) {
    per_cycle = 1;
    why = "Zen 4 runs a 512-bit vpdpbusd as two 256-bit halves on its two vector pipes: 1 per cycle";
  } else if (isa == "avx512vnni" && vendor == "AuthenticAMD" && family >= 0x1a) {
    per_cycle = 2;
    why = "Zen 5: 2 512-bit vpdpbusd per cycle";
  } else if (isa == "avx512vnni" && vendor == "GenuineIntel") {
    per_cycle = 2;
    why = "Intel server cores: 2 512-bit vpdpbusd per cycle (ports 0 and 5)";
  } else if (isa == "avxvnni" && vendor == "GenuineIntel") {
    per_cycle = 1;  // two 256-bit per cycle = one 512-bit equivalent
    why = "Intel AVX-VNNI: 2 256-bit vpdpbusd per cycle";
  } else {
    if (assumption) *assumption = "no figure known for this microarchitecture and ISA";
    return 0;
  }
  const double gops = core_ghz * per_cycle * 64 /*pairs*/ * 2 /*ops*/ * n;
  if (assumption) {
    *assumption = absl::StrCat(why, "; 64 u8xs8 pairs x 2 ops each; clock ", core_ghz,
                               " GHz measured; ", n, " core(s)");
  }
  return gops;
}

std::string ProfileToJson(const MachineProfile& p) {
  const int t = p.threads;
  json j;
  j["cpu"] = p.cpu;
  j["threads"] = t;
  j["dram_read_gbps"] = p.ReadGbps("DRAM", t);
  j["l3_read_gbps"] = p.ReadGbps("L3", t);
  j["l2_read_gbps"] = p.ReadGbps("L2", t);
  j["l1_read_gbps"] = p.ReadGbps("L1", t);
  j["triad_dram_gbps"] = p.Gbps("DRAM", "triad", t);
  j["peak_fp32_gflops"] = p.PeakGops("fp32_fma", t);
  j["peak_fp32_scalar_gflops"] = p.PeakGops("fp32_scalar", t);
  j["peak_int8_gops"] = p.PeakGops("int8_dot", t);
  j["dispatch_us"] = p.DispatchUs(t);
  j["core_ghz"] = p.core_ghz;
  json ridges = json::object();
  for (const std::string& level : p.Levels()) {
    const double bw = p.ReadGbps(level, t);
    if (bw <= 0) continue;
    for (const char* kind : {"fp32_fma", "int8_dot", "fp32_scalar"}) {
      ridges[level][kind] = p.PeakGops(kind, t) / bw;
    }
  }
  j["ridge_flop_per_byte"] = ridges;
  json detail;
  detail["vendor"] = p.vendor;
  detail["family"] = p.family;
  detail["model"] = p.model;
  detail["memory_isa"] = p.memory_isa;
  detail["quick"] = p.quick;
  detail["measured_at"] = p.measured_at;
  detail["byte_convention"] =
      "STREAM: float arrays, load 4n, write 4n, copy 8n, triad 12n bytes; write-allocate not counted";
  for (const CacheLevel& c : p.caches) {
    detail["caches"].push_back(
        {{"level", c.level}, {"size_bytes", c.size_bytes}, {"shared_by_cpus", c.shared_by_cpus}});
  }
  for (const BandwidthResult& r : p.bandwidth) detail["bandwidth"].push_back(BandwidthJson(r));
  for (const ComputeResult& r : p.compute) {
    detail["compute"].push_back({{"kind", r.kind}, {"isa", r.isa}, {"threads", r.threads},
                                 {"best_gops", r.best_gops}, {"median_gops", r.median_gops}});
  }
  for (const SweepPoint& s : p.sweep) detail["sweep"].push_back({{"bytes", s.bytes}, {"gbps", s.gbps}});
  for (const LevelCheck& c : p.level_checks) {
    detail["level_checks"].push_back({{"level", c.level}, {"size_bytes", c.size_bytes},
                                      {"inside_gbps", c.inside_gbps},
                                      {"beyond_gbps", c.beyond_gbps}, {"confirmed", c.confirmed}});
  }
  for (const DispatchResult& d : p.dispatch) {
    detail["dispatch"].push_back({{"threads", d.threads}, {"median_us", d.median_us}});
  }
  j["detail"] = detail;
  return j.dump(2);
}

absl::StatusOr<MachineProfile> ProfileFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("machine profile: not a JSON object");
  }
  // Every field read through these, so a wrong type is an error, not a throw.
  std::string error;
  auto num = [&error](const json& o, const char* key) -> double {
    if (!o.is_object() || !o.contains(key) || !o[key].is_number()) {
      if (error.empty()) error = absl::StrCat("field '", key, "' missing or not a number");
      return 0;
    }
    return o[key].get<double>();
  };
  auto str = [&error](const json& o, const char* key) -> std::string {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) {
      if (error.empty()) error = absl::StrCat("field '", key, "' missing or not text");
      return "";
    }
    return o[key].get<std::string>();
  };
  auto list = [&error](const json& o, const char* key) -> const json& {
    static const json empty = json::array();
    if (!o.is_object() || !o.contains(key)) return empty;
    if (!o[key].is_array()) {
      if (error.empty()) error = absl::StrCat("field '", key, "' is not a list");
      return empty;
    }
    return o[key];
  };
  MachineProfile p;
  p.cpu = str(j, "cpu");
  p.threads = static_cast<int>(num(j, "threads"));
  p.core_ghz = num(j, "core_ghz");
  const json& d = j.contains("detail") ? j["detail"] : json::object();
  p.vendor = str(d, "vendor");
  p.family = static_cast<int>(num(d, "family"));
  p.model = static_cast<int>(num(d, "model"));
  p.memory_isa = str(d, "memory_isa");
  p.measured_at = str(d, "measured_at");
  p.quick = d.is_object() && d.contains("quick") && d["quick"].is_boolean() && d["quick"].get<bool>();
  for (const json& c : list(d, "caches")) {
    p.caches.push_back({static_cast<int>(num(c, "level")),
                        static_cast<uint64_t>(num(c, "size_bytes")),
                        static_cast<int>(num(c, "shared_by_cpus"))});
  }
  for (const json& r : list(d, "bandwidth")) {
    p.bandwidth.push_back({str(r, "level"), str(r, "kernel"), static_cast<int>(num(r, "threads")),
                           static_cast<uint64_t>(num(r, "working_set_bytes")),
                           num(r, "best_gbps"), num(r, "median_gbps")});
  }
  for (const json& r : list(d, "compute")) {
    p.compute.push_back({str(r, "kind"), str(r, "isa"), static_cast<int>(num(r, "threads")),
                         num(r, "best_gops"), num(r, "median_gops")});
  }
  for (const json& s : list(d, "sweep")) {
    p.sweep.push_back({static_cast<uint64_t>(num(s, "bytes")), num(s, "gbps")});
  }
  for (const json& c : list(d, "level_checks")) {
    LevelCheck check{str(c, "level"), static_cast<uint64_t>(num(c, "size_bytes")),
                     num(c, "inside_gbps"), num(c, "beyond_gbps"), false};
    check.confirmed = c.contains("confirmed") && c["confirmed"].is_boolean() && c["confirmed"].get<bool>();
    p.level_checks.push_back(check);
  }
  for (const json& r : list(d, "dispatch")) {
    p.dispatch.push_back({static_cast<int>(num(r, "threads")), num(r, "median_us")});
  }
  if (!error.empty()) return absl::InvalidArgumentError(absl::StrCat("machine profile: ", error));
  if (p.threads < 1 || p.threads > 4096) {
    return absl::InvalidArgumentError("machine profile: 'threads' out of range");
  }
  const bool no_compute = p.PeakGops("fp32_fma", p.threads) <= 0 && p.PeakGops("fp32_scalar", p.threads) <= 0;
  if (p.ReadGbps("DRAM", p.threads) <= 0 || no_compute) {
    return absl::InvalidArgumentError(
        "machine profile: no DRAM bandwidth or compute peak for all threads");
  }
  return p;
}

std::string AprCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return absl::StrCat(xdg, "/apr");
  if (const char* home = std::getenv("HOME"); home && *home) return absl::StrCat(home, "/.cache/apr");
  return "/tmp/apr";
}

std::string CachedProfilePath(int threads) {
  return absl::StrCat(AprCacheDir(), "/machine-", threads, "t.json");
}

absl::StatusOr<MachineProfile> LoadProfileFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": no machine profile"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto profile = ProfileFromJson(buffer.str());
  if (!profile.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", profile.status().message()));
  }
  return profile;
}

absl::Status SaveProfileFile(const MachineProfile& profile, const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << ProfileToJson(profile) << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat(tmp, ": cannot write"));
  }
  std::filesystem::rename(tmp, path, error);
  if (error) return absl::UnavailableError(absl::StrCat(path, ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace roofline
