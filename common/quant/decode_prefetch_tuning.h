// Chooses decode's prefetch distance (decode_prefetch.h) by timing it: one
// token's matrix products over a model's matrices (or any set of them),
// each candidate distance in turn, in alternating rounds, on the pool that
// will run them. The same binary meets CPUs whose best distance differs by
// a third of decode's speed (decode_prefetch.h).
//
//   const quant::DecodePrefetchChoice& c =
//       quant::EnsureDecodePrefetchTuned(pool, [&] { return weights.DecodeMatrices(); });
//   // c.bytes is now what the kernels use; c.trials says what each candidate took.
#ifndef APR_COMMON_QUANT_DECODE_PREFETCH_TUNING_H_
#define APR_COMMON_QUANT_DECODE_PREFETCH_TUNING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "common/parallel/thread_pool.h"
#include "common/quant/matmul.h"

namespace quant {

struct DecodePrefetchTrial {
  int64_t bytes = 0;
  double pass_seconds = 0;  // median of the rounds
};

struct DecodePrefetchChoice {
  int64_t bytes = 0;  // ChooseDecodePrefetch's
  int64_t pass_bytes = 0;  // weight bytes one timed pass reads
  std::vector<DecodePrefetchTrial> trials;  // in the candidates' order; empty when nothing was timed
  // "decode prefetch 2048 B ahead (pass of 1.00 GiB: 1024 B 41.2 ms, ...)".
  std::string Describe() const;
};

// Up to 8 KiB: on Zen 5 with DRAM reads at 80 GB/s (2 threads), Q4_0 decode
// read 34-36 GB/s at 2 KiB, 45-49 at 4 KiB and 59-60 at 8 KiB (2026-12-06).
inline const std::vector<int64_t>& DecodePrefetchCandidates() {
  static const std::vector<int64_t> candidates = {1024, 2048, 3072, 4096, 6144, 8192};
  return candidates;
}

// The distance to use from trials' medians: the longest within 3% of the
// fastest. In this VM's slow read regime (about 45 GB/s on Zen 5) every
// distance from 2 to 8 KiB reads alike and noise picked among them; in its
// fast one (about 77) 8 KiB read 5-13% faster than 4 KiB (Q4_0 and Q4_K
// decode, 2026-12-07, docs/lab-notes/2026-12-zen5.md). A CPU that wants a
// short distance wins by more than that (2 KiB 1.35x 4 KiB on a Xeon).
int64_t ChooseDecodePrefetch(const std::vector<DecodePrefetchTrial>& trials);

// Times each candidate's pass over `matrices` (in order, wrapping, until
// their bytes, at least 64 MiB and at most 1 GiB, are read), `rounds` times
// in rotated order after one untimed pass, and chooses among the medians
// (ChooseDecodePrefetch).
// Leaves the distance in use as it found it. No matrices: the distance in
// use and no trials.
DecodePrefetchChoice MeasureDecodePrefetch(parallel::ThreadPool& pool, const std::vector<WeightMatrix>& matrices,
                                           const std::vector<int64_t>& candidates = DecodePrefetchCandidates(),
                                           int rounds = 3);

// The first call in a process that `matrices` gives any measures over them
// and sets the distance; later calls return that choice without calling
// `matrices` or measuring again, so that every timing in a process (a
// calibration's, a model's) shares one distance.
const DecodePrefetchChoice& EnsureDecodePrefetchTuned(parallel::ThreadPool& pool,
                                                      absl::FunctionRef<std::vector<WeightMatrix>()> matrices);

}  // namespace quant

#endif  // APR_COMMON_QUANT_DECODE_PREFETCH_TUNING_H_
