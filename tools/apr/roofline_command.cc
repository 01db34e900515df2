// apr roofline: measure (or reuse) this machine's ceilings and show them.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/calibration/calibration.h"
#include "common/calibration/measure_calibration.h"
#include "common/report/profile_roofline.h"
#include "common/report/progress_line.h"
#include "common/roofline/measure.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"

namespace apr {
namespace {

std::string Bytes(uint64_t b) {
  if (b >= (1ull << 30)) return absl::StrFormat("%.0f GiB", b / double(1ull << 30));
  if (b >= (1ull << 20)) return absl::StrFormat("%.0f MiB", b / double(1ull << 20));
  return absl::StrFormat("%.0f KiB", b / 1024.0);
}

void PrintTable(const roofline::MachineProfile& p, bool from_cache) {
  const int t = p.threads;
  std::printf("Machine: %s, %d thread(s), clock %.2f GHz, memory kernels %s\n", p.cpu.c_str(), t,
              p.core_ghz, p.memory_isa.c_str());
  std::printf("Measured %s%s%s\n\n", p.measured_at.c_str(), from_cache ? " (cached; --remeasure to refresh)" : "",
              p.quick ? " (quick: small working sets, few repetitions)" : "");
  std::printf("Bandwidth, GB/s (best of repetitions; STREAM byte counting: load 4n, write 4n,\n"
              "copy 8n, triad 12n bytes over float arrays, write-allocate not counted)\n");
  std::printf("  %-5s %10s |%8s %8s %8s %8s |%8s %8s %8s %8s\n", "level", "set(all)", "load 1t",
              "write", "copy", "triad", absl::StrFormat("load %dt", t).c_str(), "write", "copy",
              "triad");
  for (const std::string& level : p.Levels()) {
    uint64_t set = 0;
    for (const auto& r : p.bandwidth) {
      if (r.level == level && r.threads == t && r.kernel == "load") set = r.working_set_bytes;
    }
    std::printf("  %-5s %10s |", level.c_str(), Bytes(set).c_str());
    for (int threads : {1, t}) {
      for (const char* k : {"load", "write", "copy", "triad"}) {
        std::printf("%8.1f ", p.Gbps(level, k, threads));
      }
      std::printf(threads == 1 ? "|" : "\n");
    }
  }
  std::printf("\nCompute peaks, GOPS (FLOP/s for FP32; int8 counts a multiply-add as 2 ops)\n");
  std::printf("  %-12s %-11s %10s %10s\n", "kind", "isa", "1 thread", absl::StrFormat("%d threads", t).c_str());
  for (const auto& r : p.compute) {
    if (r.threads != 1) continue;
    double all = 0;
    for (const auto& q : p.compute) {
      if (q.kind == r.kind && q.isa == r.isa && q.threads == t) all = q.best_gops;
    }
    std::printf("  %-12s %-11s %10.1f %10.1f\n", r.kind.c_str(), r.isa.c_str(), r.best_gops, all);
  }
  std::string assumption;
  const double theory = p.TheoreticalInt8Gops(t, &assumption);
  if (theory > 0) {
    std::printf("  int8 theoretical %.0f GOPS (%s): measured %.0f%% of it\n", theory,
                assumption.c_str(), 100 * p.PeakGops("int8_dot", t) / theory);
  }
  std::printf("\nRidge points, FLOP/byte (peak / load bandwidth, %d threads)\n", t);
  std::printf("  %-5s %10s %10s %12s\n", "level", "int8", "FP32 FMA", "FP32 scalar");
  for (const std::string& level : p.Levels()) {
    const double bw = p.ReadGbps(level, t);
    std::printf("  %-5s %10.2f %10.2f %12.3f\n", level.c_str(), p.PeakGops("int8_dot", t) / bw,
                p.PeakGops("fp32_fma", t) / bw, p.PeakGops("fp32_scalar", t) / bw);
  }
  std::printf("\nCache levels (sysfs) against the working-set sweep (1 thread, load)\n");
  for (const auto& c : p.level_checks) {
    std::printf("  %-3s %8s: %6.1f GB/s inside, %6.1f GB/s beyond: %s\n", c.level.c_str(),
                Bytes(c.size_bytes).c_str(), c.inside_gbps, c.beyond_gbps,
                c.confirmed ? "plateau confirmed" : "no clear plateau");
  }
  std::printf("\nFork-join dispatch (empty ParallelFor of the project's pool), median\n ");
  for (const auto& d : p.dispatch) std::printf(" %d thread(s): %.3f us;", d.threads, d.median_us);
  std::printf("\n");
}

// What each calibrated kernel achieves at the tall held-out shape.
void PrintCalibration(const calibration::Calibration& c, const roofline::MachineProfile& p, bool from_cache) {
  const int t = c.threads;
  std::printf("\nCalibration: what this build's kernels achieve here, %d thread(s), measured %s%s\n", t,
              c.measured_at.c_str(), from_cache ? " (cached)" : "");
  const calibration::Shape s = calibration::kCalibrationShapes[0];
  std::printf("Matrix products of %lld x %lld weights (held out: no preset has the shape); decode beside the DRAM\n"
              "read measured paired with it, prefill beside the int8 (or FP32) peak:\n",
              static_cast<long long>(s.rows), static_cast<long long>(s.cols));
  std::printf("  %-7s %-22s %9s %8s %11s %11s %8s\n", "format", "kernel", "decode GB/s", "of read", "GOPS x64",
              "GOPS x256", "of peak");
  for (const calibration::FormatCalibration& f : c.formats) {
    const gguf::TensorTypeInfo& info = gguf::TypeInfo(f.type);
    const double bytes = double(s.rows) * s.cols * info.BytesPerWeight();
    auto at = [&](int64_t tokens) {
      for (const auto& pt : f.points) {
        if (pt.rows == s.rows && pt.cols == s.cols && pt.tokens == tokens) return pt.seconds;
      }
      return 0.0;
    };
    auto gops = [&](int64_t tokens) { return at(tokens) > 0 ? 2.0 * s.rows * s.cols * tokens / at(tokens) / 1e9 : 0; };
    const double decode = at(1) > 0 ? bytes / at(1) / 1e9 : 0;
    const double peak = p.PeakGops(info.quantized ? "int8_dot" : "fp32_fma", t);
    std::printf("  %-7s %-22s %11.1f %7.0f%% %11.1f %11.1f %7.0f%%\n", info.name, f.kernel.c_str(), decode,
                f.read_gbps > 0 ? 100 * decode / f.read_gbps : 0, gops(64), gops(256),
                peak > 0 ? 100 * gops(256) / peak : 0);
  }
  std::printf("Attention a layer: decode at a fixed cost plus each cache byte at a rate plus each FLOP at a rate;\n"
              "prefill at a cost a query row plus a cost a score plus each FLOP at a rate:\n");
  std::printf("  %-6s %10s %12s %14s %9s %10s %15s\n", "cache", "decode us", "cache GB/s", "decode GFLOP/s",
              "ns a row", "ns a score", "prefill GFLOP/s");
  for (const calibration::AttentionCalibration& a : c.attention) {
    std::printf("  %-6s %10.2f %12.1f %14.1f %9.2f %10.3f %15.1f\n", a.cache_type.c_str(), a.decode_fixed * 1e6,
                a.decode_per_kv_byte > 0 ? 1e-9 / a.decode_per_kv_byte : 0,
                a.decode_per_flop > 0 ? 1e-9 / a.decode_per_flop : 0, a.prefill.per_row * 1e9,
                a.prefill.per_score * 1e9, a.prefill.per_flop > 0 ? 1e-9 / a.prefill.per_flop : 0);
  }
  std::printf("Other ops, a layer: fixed us + bytes moved at GB/s\n ");
  for (const auto& [name, line] : c.ops) {
    std::printf(" %s %.2f us + %.1f GB/s;", name.c_str(), line.fixed * 1e6,
                line.per_unit > 0 ? 1e-9 / line.per_unit : 0);
  }
  std::printf("\n");
}

}  // namespace

int RunRoofline(const std::vector<std::string>& args) {
  ArgParser parser("roofline", "measure this machine's ceilings and draw its roofline");
  bool json = false, remeasure = false, quick = false, calibrate = false;
  std::string svg;
  int64_t threads = 0;
  parser.AddFlag("json", &json, "print one JSON object instead of tables");
  parser.AddString("svg", &svg, "FILE", "also draw the roofline as SVG into FILE");
  parser.AddFlag("remeasure", &remeasure, "ignore the cached profile and measure again");
  parser.AddFlag("quick", &quick, "small working sets and few repetitions (not cached)");
  parser.AddInt("threads", &threads, 1, 1024, "threads for the all-threads figures (default: all CPUs)");
  parser.AddFlag("calibrate", &calibrate,
                 "also measure what the engine's kernels achieve here (every weight format, attention, the other "
                 "ops; about a minute, cached); with --json prints the calibration, the file --calibration reads");
  int exit_code = 0;
  if (!ParseOrExit(parser, "roofline", args, &exit_code)) return exit_code;

  // A path that cannot be written fails now, not after a minute of measuring.
  if (!svg.empty()) {
    if (auto s = WriteTextFile(svg, ""); !s.ok()) return Fail("roofline", s);
  }
  roofline::MeasureOptions options;
  options.quick = quick;
  options.threads = static_cast<int>(threads);
  report::ProgressLine progress("apr roofline: measuring");
  options.progress = [&](const std::string& what) { progress.Update(what); };
  bool from_cache = false;
  auto profile = roofline::LoadOrMeasure(options, remeasure, &from_cache);
  progress.Done();
  if (!profile.ok()) return Fail("roofline", profile.status());

  std::optional<calibration::Calibration> calibrated;
  std::string measured;
  if (calibrate) {
    calibration::CalibrateOptions c;
    c.threads = profile->threads;
    c.quick = quick;
    c.commit = BuildCommit();
    report::ProgressLine calibrating("apr roofline: calibrating");
    c.progress = [&](const std::string& what) { calibrating.Update(what); };
    auto cal = calibration::LoadOrCalibrate(c, remeasure, &measured);
    calibrating.Done();
    if (!cal.ok()) return Fail("roofline", cal.status());
    calibrated = *std::move(cal);
  }

  if (json && calibrated) {
    std::printf("%s\n", calibration::CalibrationToJson(*calibrated).c_str());
  } else if (json) {
    std::printf("%s\n", roofline::ProfileToJson(*profile).c_str());
  } else {
    PrintTable(*profile, from_cache);
    if (calibrated) PrintCalibration(*calibrated, *profile, measured.empty());
  }
  if (!svg.empty()) {
    const std::string title =
        absl::StrFormat("Roofline: %s, %d threads", profile->cpu, profile->threads);
    if (auto s = WriteTextFile(svg, report::RooflineSvg(report::CeilingsOf(*profile), {}, title));
        !s.ok()) {
      return Fail("roofline", s);
    }
    if (!json) std::printf("\nRoofline drawn to %s\n", svg.c_str());
  }
  return 0;
}

}  // namespace apr
