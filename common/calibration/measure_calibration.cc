#include "common/calibration/measure_calibration.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/calibration/engine_ops_calibration.h"
#include "common/cpu/cpu_features.h"
#include "common/model/forward.h"
#include "common/parallel/thread_pool.h"
#include "common/quant/cache_line_allocator.h"
#include "common/quant/decode_prefetch_tuning.h"
#include "common/quant/dot_kernels.h"
#include "common/quant/huge_pages.h"
#include "common/quant/matmul.h"
#include "common/roofline/measure.h"
#include "common/stats/median.h"

namespace calibration {
namespace {

using Clock = std::chrono::steady_clock;
using gguf::GgmlType;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Copies of one matrix as the engine loads it (repacked where its type has
// a layout), enough of them to exceed the last-level cache several times,
// side by side in one buffer (huge pages where the kernel grants them): a
// buffer of its own per small copy left this measurement at the mercy of
// where the allocator put each one (a 1.3 MB shape read 3-7x slower in some
// runs than in others).
struct MatrixCopies {
  std::vector<quant::WeightMatrix> matrices;
};

// Every format and shape cycles through the same buffer in turn: one of its
// own each took formats x shapes x 4 LLC (28.5 GB for three formats on a
// 480 MiB L3), and a re-timing ran a 24 GB machine out of memory. Its bytes are random in
// 0x30-0x3F, so any F32, F16 or BF16 read from it (a weight or a block's
// scale) is a normal number; values matter to no kernel's speed.
class CopyArena {
 public:
  // At least `cycle_bytes`, and two copies of the largest matrix.
  explicit CopyArena(size_t cycle_bytes) {
    size_t largest = 0;
    for (const Shape& s : kCalibrationShapes) largest = std::max<size_t>(largest, size_t(s.rows) * s.cols * 4);
    storage_ = quant::WeightBuffer(std::max(cycle_bytes, 2 * (largest + kSlotAlign)));
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i + 8 <= storage_.size(); i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      const uint64_t bytes = (state & 0x0f0f0f0f0f0f0f0fu) | 0x3030303030303030u;
      std::memcpy(storage_.data() + i, &bytes, 8);
    }
  }

  // As many copies of a `type` matrix of `shape` as the buffer holds.
  MatrixCopies Copies(GgmlType type, Shape shape) const {
    quant::WeightMatrix w{type, nullptr, shape.rows, shape.cols};
    const size_t bytes = w.RowBytes() * shape.rows;
    std::vector<uint8_t> zeros(bytes);
    w.data = zeros.data();
    const quant::RepackedRows repacked = quant::RepackRows(w);
    const quant::WeightMatrix one = repacked.storage.empty() ? w : repacked.matrix;
    const uint8_t* source = repacked.storage.empty() ? zeros.data() : repacked.storage.data();
    const size_t used = repacked.storage.empty() ? bytes : repacked.storage.size();
    // The matrix's data may start past its storage's: kept at that offset.
    const size_t offset = static_cast<size_t>(one.data - source);
    const size_t slot = (used + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
    MatrixCopies copies;
    for (size_t at = 0; at + slot <= storage_.size(); at += slot) {
      quant::WeightMatrix m = one;
      m.data = storage_.data() + at + offset;
      copies.matrices.push_back(m);
    }
    return copies;
  }

  quant::MemorySpan Span() const { return {storage_.data(), storage_.size()}; }
  size_t size() const { return storage_.size(); }

 private:
  static constexpr size_t kSlotAlign = 4096;
  quant::WeightBuffer storage_;
};

std::string KernelName(GgmlType type) {
  quant::WeightMatrix w{type, nullptr, 8, 256};
  std::vector<uint8_t> zeros(w.RowBytes() * w.rows);
  w.data = zeros.data();
  const quant::RepackedRows r = quant::RepackRows(w);
  const bool repacked = !r.storage.empty();
  return absl::StrCat(quant::BestDotKernel(type, repacked).isa, repacked ? " repacked" : "");
}

// Seconds a call over the copies in turn: one warm-up, then calls until
// `target` seconds (at least 3). Decode's: the mean without the slowest 1%.
// A model pays for every call, and the median left out the slow ones: decode
// of small shapes (Zen 5, 2026-12-07) ran a mean 1.03-1.08x its median in a
// steady read, up to 1.18x for a 128 x 896 matrix. Batched calls' median:
// their mean put qwen2.5-0.5b pp512 at 0.82-0.91 of expected where the
// median gave 0.88-0.93 (alternating binaries).
double TimeCalls(parallel::ThreadPool& pool, const MatrixCopies& copies, int64_t tokens, double target) {
  const quant::WeightMatrix& shape = copies.matrices.front();
  std::vector<float> x(size_t(tokens) * shape.cols, 0.25f);
  quant::LineAlignedFloats y(size_t(tokens) * shape.rows);
  std::vector<double> calls;
  size_t next = 0;
  double spent = 0;
  for (int i = -1; (i < 3 || spent < target) && calls.size() < 20000; ++i) {
    const quant::WeightMatrix& m = copies.matrices[next++ % copies.matrices.size()];
    const Clock::time_point start = Clock::now();
    quant::MatMul(pool, "calibrate", m, x.data(), tokens, y.data());
    const double s = SecondsSince(start);
    if (i >= 0) {
      calls.push_back(s);
      spent += s;
    }
  }
  return tokens == 1 ? stats::MeanWithoutSlowest(calls, 0.01) : stats::Median(calls);
}

double TargetSeconds(bool quick) { return quick ? 0.002 : 0.04; }  // of calls per point

// Decode streams from DRAM, whose read rate on these VMs drifts by half
// within minutes: its calls sit between two measurements of that rate.
// Sets the format's decode points (one token) and read_gbps.
absl::Status TimeDecode(const std::vector<MatrixCopies>& copies, parallel::ThreadPool& pool, bool quick,
                        FormatCalibration* f) {
  const int threads = static_cast<int>(pool.num_threads());
  const double target = TargetSeconds(quick);
  auto read_before = roofline::MeasureDramReadGbps(threads, quick);
  if (!read_before.ok()) return read_before.status();
  // Longer than a batched point: a second's burst of a neighbour's traffic
  // moves a short median.
  std::vector<double> decode(copies.size());
  for (size_t i = 0; i < copies.size(); ++i) decode[i] = TimeCalls(pool, copies[i], 1, 3 * target);
  auto read_after = roofline::MeasureDramReadGbps(threads, quick);
  if (!read_after.ok()) return read_after.status();
  f->read_gbps = 0.5 * (*read_before + *read_after);
  for (MatmulPoint& p : f->points) {
    for (size_t i = 0; i < copies.size(); ++i) {
      if (p.tokens == 1 && p.rows == kCalibrationShapes[i].rows && p.cols == kCalibrationShapes[i].cols) {
        p.seconds = decode[i];
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MatrixCopies>> CopiesOfEveryShape(GgmlType type, const CopyArena& arena) {
  std::vector<MatrixCopies> copies;
  for (const Shape& shape : kCalibrationShapes) {
    if (auto s = quant::CheckMatrix({type, nullptr, shape.rows, shape.cols}); !s.ok()) return s;
    copies.push_back(arena.Copies(type, shape));
  }
  return copies;
}

// Decode's prefetch distance, chosen once a process (decode_prefetch_tuning.h)
// before anything here times decode, over Q4_K copies of the first shape.
void TuneDecodePrefetch(parallel::ThreadPool& pool, const CopyArena& arena) {
  quant::EnsureDecodePrefetchTuned(pool, [&] { return arena.Copies(GgmlType::kQ4_K, kCalibrationShapes[0]).matrices; });
}

// The points of more than one token that `wanted` takes. Their products are
// bound by the cores, which a neighbour on this VM's host can slow for a
// second or two: each point is the faster of two sweeps (one sweep alone
// once priced a Q8_0 pp512 at 0.68 of what ran).
//
// A product of more tokens runs at least as many operations a second, within
// a margin: a point that falls further below its shape's point of fewer
// tokens is timed again, up to three times (on Zen 5 both sweeps once timed
// a Q8_0 product of 256 tokens at 280 GOPS beside 930 at 64; measured again
// minutes later, 1249 against 1077).
// A quick calibration (tests, runs under a sanitizer) takes one sweep and no second tries.
void TimeBatched(const std::vector<MatrixCopies>& copies, parallel::ThreadPool& pool, bool quick,
                 const std::function<bool(int64_t)>& wanted, FormatCalibration* f) {
  const double target = TargetSeconds(quick);
  auto time_point = [&](MatmulPoint& p, bool first) {
    for (size_t i = 0; i < copies.size(); ++i) {
      if (p.rows == kCalibrationShapes[i].rows && p.cols == kCalibrationShapes[i].cols) {
        const double s = TimeCalls(pool, copies[i], p.tokens, target);
        p.seconds = first ? s : std::min(p.seconds, s);
      }
    }
  };
  for (int sweep = 0; sweep < (quick ? 1 : 2); ++sweep) {
    for (MatmulPoint& p : f->points) {
      if (p.tokens > 1 && wanted(p.tokens)) time_point(p, sweep == 0);
    }
  }
  for (MatmulPoint& p : f->points) {
    if (quick || p.tokens <= 1 || !wanted(p.tokens)) continue;
    for (int again = 0; again < 3 && SlowerThanFewerTokens(*f, p) != nullptr; ++again) time_point(p, false);
  }
}

absl::StatusOr<FormatCalibration> MeasureFormat(GgmlType type, parallel::ThreadPool& pool, bool quick,
                                                const CopyArena& arena) {
  FormatCalibration f;
  f.type = type;
  f.kernel = KernelName(type);
  auto copies = CopiesOfEveryShape(type, arena);
  if (!copies.ok()) return copies.status();
  for (const Shape& shape : kCalibrationShapes) {
    for (const int64_t tokens : kCalibrationTokens) f.points.push_back({shape.rows, shape.cols, tokens, 0});
  }
  if (auto s = TimeDecode(*copies, pool, quick, &f); !s.ok()) return s;
  TimeBatched(*copies, pool, quick, [](int64_t) { return true; }, &f);
  return f;
}

// Weights cycled through four times the last-level cache, and at least 128 MiB
// (a quick measurement: two copies).
size_t CycleBytes(bool quick) {
  if (quick) return 0;
  uint64_t llc = 0;
  if (auto caches = roofline::ReadCacheLevels(roofline::kSysfsCacheDir); caches.ok() && !caches->empty()) {
    llc = caches->back().size_bytes;
  }
  return std::max<uint64_t>(4 * llc, uint64_t(128) << 20);
}

std::string NowUtc() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

// Whether `c` was measured here, with this build's kernel for each format.
bool FitsThisMachine(const Calibration& c, int threads) {
  const cpu::CpuFeatures& cpu = cpu::GetCpuFeatures();
  if (c.cpu != cpu.model_name || c.family != cpu.family || c.model != cpu.model || c.threads != threads) return false;
  for (const FormatCalibration& f : c.formats) {
    if (f.kernel != KernelName(f.type)) return false;
  }
  return !c.attention.empty() && !c.ops.empty();
}

}  // namespace

std::vector<GgmlType> EngineMatrixTypes() {
  std::vector<GgmlType> types;
  for (const gguf::TensorTypeInfo& t : gguf::AllTensorTypes()) {
    if (quant::ScalarDotKernel(t.type) != nullptr) types.push_back(t.type);
  }
  return types;
}

std::vector<GgmlType> MatrixFormats(const cost::ModelSpec& spec) {
  const std::vector<GgmlType> engine = EngineMatrixTypes();
  std::vector<GgmlType> types;
  for (const model::TensorSpec& t : spec.tensors) {
    const bool multiplied = std::find(engine.begin(), engine.end(), t.type) != engine.end();
    if (t.IsMatrix() && multiplied && std::find(types.begin(), types.end(), t.type) == types.end()) {
      types.push_back(t.type);
    }
  }
  return types;
}

absl::StatusOr<Calibration> MeasureCalibration(const CalibrateOptions& options) {
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what);
  };
  const int threads = options.threads > 0 ? options.threads : cpu::AvailableCpus();
  const cpu::CpuFeatures& cpu = cpu::GetCpuFeatures();
  Calibration c;
  c.cpu = cpu.model_name;
  c.family = cpu.family;
  c.model = cpu.model;
  c.threads = threads;
  c.commit = options.commit;
  c.measured_at = NowUtc();
  parallel::ThreadPool pool(threads);
  parallel::ScopedAffinity restore;
  parallel::PinCurrentThreadToCpu(0);
  const CopyArena arena(CycleBytes(options.quick));
  TuneDecodePrefetch(pool, arena);
  const std::vector<GgmlType> formats = options.formats.empty() ? EngineMatrixTypes() : options.formats;
  for (size_t i = 0; i < formats.size(); ++i) {
    progress(absl::StrCat("matrix products, ", gguf::TypeInfo(formats[i]).name, " (", i + 1, " of ", formats.size(),
                          ")"));
    auto f = MeasureFormat(formats[i], pool, options.quick, arena);
    if (!f.ok()) return f.status();
    c.formats.push_back(*std::move(f));
  }
  auto engine = MeasureEngineOps(pool, options.quick, progress);
  if (!engine.ok()) return engine.status();
  c.attention = engine->attention;
  c.ops = engine->ops;
  return c;
}

struct Retimer::State {
  int threads = 1;
  bool quick = false;
  std::unique_ptr<CopyArena> arena;
  std::vector<std::pair<GgmlType, std::vector<MatrixCopies>>> copies;
};

Retimer::Retimer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Retimer::Retimer(Retimer&&) noexcept = default;
Retimer& Retimer::operator=(Retimer&&) noexcept = default;
Retimer::~Retimer() = default;

absl::StatusOr<Retimer> Retimer::For(const Calibration& c, int threads, bool quick) {
  auto state = std::make_unique<State>();
  state->threads = threads;
  state->quick = quick;
  state->arena = std::make_unique<CopyArena>(CycleBytes(quick));
  for (const FormatCalibration& f : c.formats) {
    auto copies = CopiesOfEveryShape(f.type, *state->arena);
    if (!copies.ok()) return copies.status();
    state->copies.push_back({f.type, *std::move(copies)});
  }
  return Retimer(std::move(state));
}

absl::StatusOr<double> Retimer::HugePageShare() const {
  return quant::HugePageShare({state_->arena->Span()});
}

size_t Retimer::CopyBytes() const { return state_->arena->size(); }

absl::Status Retimer::Retime(Calibration* c, const std::vector<int64_t>& batched_tokens) {
  parallel::ThreadPool pool(state_->threads);
  parallel::ScopedAffinity restore;
  parallel::PinCurrentThreadToCpu(0);
  TuneDecodePrefetch(pool, *state_->arena);
  for (auto& [type, copies] : state_->copies) {
    for (FormatCalibration& f : c->formats) {
      if (f.type != type) continue;
      // Decode last: its rate drifts fastest, and the runs set against it
      // follow.
      TimeBatched(copies, pool, state_->quick, [&](int64_t n) {
        return std::find(batched_tokens.begin(), batched_tokens.end(), n) != batched_tokens.end();
      }, &f);
      if (auto s = TimeDecode(copies, pool, state_->quick, &f); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Retimer> Retimer::ForModel(const Calibration& c, const cost::ModelSpec& spec, int threads,
                                          bool quick) {
  Calibration model_formats = c;
  model_formats.formats.clear();
  for (GgmlType t : MatrixFormats(spec)) {
    if (const FormatCalibration* f = c.Format(t)) model_formats.formats.push_back(*f);
  }
  return For(model_formats, threads, quick);
}

std::vector<int64_t> TokensAroundPrompt(int64_t prompt) {
  if (prompt <= 0) return {};
  return CalibratedTokensAround(std::min<int64_t>(prompt, model::kPrefillMicroBatch));
}

absl::StatusOr<Calibration> LoadOrCalibrate(const CalibrateOptions& options, bool remeasure, std::string* measured) {
  const int threads = options.threads > 0 ? options.threads : cpu::AvailableCpus();
  const std::string path = CachedCalibrationPath(threads);
  if (measured) measured->clear();
  const std::vector<GgmlType> wanted = options.formats.empty() ? EngineMatrixTypes() : options.formats;
  Calibration cached;
  bool have = false;
  if (!remeasure && !options.quick) {
    auto loaded = LoadCalibrationFile(path);
    if (loaded.ok() && FitsThisMachine(*loaded, threads)) {
      cached = *std::move(loaded);
      have = true;
    }
  }
  CalibrateOptions missing = options;
  missing.threads = threads;
  missing.formats.clear();
  for (GgmlType t : wanted) {
    if (!have || cached.Format(t) == nullptr) missing.formats.push_back(t);
  }
  if (have && missing.formats.empty()) return cached;
  if (have) {
    // Only the formats not yet measured; attention and the ops stand.
    const auto progress = options.progress;
    Calibration added = cached;
    added.commit = options.commit;
    parallel::ThreadPool pool(threads);
    parallel::ScopedAffinity restore;
    parallel::PinCurrentThreadToCpu(0);
    const CopyArena arena(CycleBytes(false));
    TuneDecodePrefetch(pool, arena);
    for (GgmlType t : missing.formats) {
      if (progress) progress(absl::StrCat("matrix products, ", gguf::TypeInfo(t).name));
      auto f = MeasureFormat(t, pool, false, arena);
      if (!f.ok()) return f.status();
      added.formats.push_back(*std::move(f));
      if (measured) absl::StrAppend(measured, measured->empty() ? "" : ", ", gguf::TypeInfo(t).name);
    }
    (void)SaveCalibrationFile(added, path);  // a cache that cannot be written only costs a re-measurement
    return added;
  }
  auto fresh = MeasureCalibration(missing);
  if (!fresh.ok()) return fresh.status();
  if (measured) *measured = "every part";
  if (!options.quick) (void)SaveCalibrationFile(*fresh, path);
  return fresh;
}

}  // namespace calibration
