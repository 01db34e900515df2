#include "common/cost/prediction.h"

#include <algorithm>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cost {

std::string LevelFor(const roofline::MachineProfile& p, int threads, double bytes) {
  for (const roofline::CacheLevel& c : p.caches) {
    const double capacity =
        double(c.size_bytes) * (c.shared_by_cpus <= 1 ? std::max(1, threads) : 1);
    if (bytes <= capacity && p.ReadGbps(c.Name(), threads) > 0) return c.Name();
  }
  return "DRAM";
}

std::string PhasePrediction::DominantLevel() const {
  std::map<std::string, double> by_level;
  for (const OpPrediction& o : ops) by_level[o.level] += o.seconds;
  std::string best;
  double most = -1;
  for (const auto& [level, s] : by_level) {
    if (s > most) {
      most = s;
      best = level;
    }
  }
  return best;
}

bool PhasePrediction::MemoryBound() const {
  double memory = 0, compute = 0;
  for (const OpPrediction& o : ops) (o.MemoryBound() ? memory : compute) += o.seconds;
  return memory >= compute;
}

absl::StatusOr<PhasePrediction> PredictPhase(const std::vector<OpCost>& ops,
                                             const roofline::MachineProfile& profile, int threads,
                                             double tokens) {
  if (threads != 1 && threads != profile.threads) {
    return absl::InvalidArgumentError(absl::StrCat("the machine profile was measured for 1 and ",
                                                   profile.threads, " threads, not ", threads));
  }
  PhasePrediction phase;
  phase.tokens = tokens;
  phase.threads = threads;
  double weights = 0, kv = 0;
  for (const OpCost& op : ops) {
    if (op.traffic == Traffic::kWeights) weights += op.weight_bytes;
    if (op.traffic == Traffic::kKvCache) kv += op.kv_bytes;
  }
  phase.weight_bytes = weights;
  const double dispatch_s = profile.DispatchUs(threads) * 1e-6;
  for (const OpCost& op : ops) {
    OpPrediction p;
    p.op = op;
    const double working_set = op.traffic == Traffic::kWeights   ? weights
                               : op.traffic == Traffic::kKvCache ? kv
                                                                 : op.Bytes();
    p.level = LevelFor(profile, threads, working_set);
    p.gbps = profile.ReadGbps(p.level, threads);
    // BF16 weights meet the CPU's bf16 dot product where it has one and it
    // outruns the float multiply-adds.
    const bool bf16_dot = op.type == gguf::GgmlType::kBF16 &&
                          profile.PeakGops("bf16_dot", threads) > profile.PeakGops("fp32_fma", threads);
    p.roof = op.int8 ? "int8_dot" : bf16_dot ? "bf16_dot" : "fp32_fma";
    p.peak_gops = profile.PeakGops(p.roof, threads);
    if (p.gbps <= 0 || p.peak_gops <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("the machine profile has no ", p.level,
                                                     " bandwidth or ", p.roof, " peak for ",
                                                     threads, " thread(s)"));
    }
    p.memory_seconds = op.Bytes() / (p.gbps * 1e9);
    p.compute_seconds = op.flops / (p.peak_gops * 1e9);
    p.dispatch_seconds = op.parallel && threads > 1 ? dispatch_s : 0;
    p.seconds = std::max(p.memory_seconds, p.compute_seconds) + p.dispatch_seconds;
    phase.flops += op.flops;
    phase.bytes += op.Bytes();
    phase.seconds += p.seconds;
    phase.ops.push_back(p);
  }
  return phase;
}

}  // namespace cost
