// GEMV (decode) and GEMM (prefill) for each weight format at the shapes of
// real models, over weights larger than the last-level cache (a set of
// matrices is cycled so each call streams from DRAM). Reports GB/s of
// weights, GOPS, and fractions of this machine's measured roofline.
//
// This VM's DRAM bandwidth drifts by a third within minutes, so a decode
// rate set against the cached roofline compares two different moments.
// Decode's iterations therefore alternate with a plain read (the roofline's
// load loop) of another copy of the same bytes: read_GB/s is that read's
// rate, of_read the kernel's rate (GGUF bytes) as a fraction of it.
// Prefill's iterations alternate likewise with the roofline's compute loop on
// every thread, about half the call's operations: its int8 loop for the
// quantized formats (int8_GOPS is that loop's rate, of_int8_paired the
// kernel's GOPS as a fraction of it), its fp32 loop for F32, F16 and BF16
// (fp32_GFLOPS, of_fp32_paired), its bf16 dot loop for BF16 where the CPU
// has one (bf16_GFLOPS, of_bf16_paired).
//
//   ./tools/bazel run //common/quant:matmul_benchmark -- --benchmark_repetitions=5
//
// --decode_prefetch=BYTES: decode's prefetch distance (decode_prefetch.h);
// by default timed before the first decode benchmark, as the engine times it.
//
// --shape=ROWSxCOLS (repeatable): also time that shape, e.g. a model's own
// matrix; --tokens=N,N,...: token counts instead of 1, 91 and 512.
//
// --warm_cache: one copy of each matrix, called again and again, so that it
// stays in the last-level cache where it fits, as llama.cpp's
// `test-backend-ops perf` measures (for comparisons with it).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/model/model_config.h"
#include "common/quant/cache_line_allocator.h"
#include "common/quant/decode_prefetch.h"
#include "common/quant/decode_prefetch_tuning.h"
#include "common/quant/matmul.h"
#include "common/quant/quantize.h"
#include "common/quant/repack.h"
#include "common/roofline/measure.h"
#include "common/roofline/roofline_kernels.h"

namespace {

using gguf::GgmlType;

const roofline::MachineProfile& Machine() {
  static const roofline::MachineProfile profile = [] {
    auto p = roofline::LoadOrMeasure({}, /*remeasure=*/false);
    return p.ok() ? *p : roofline::MachineProfile{};
  }();
  return profile;
}

// Copies of one matrix, each as the engine loads it: repacked, or copied
// as it is, into a WeightBuffer.
struct Weights {
  std::vector<quant::RepackedRows> copies;
  std::vector<quant::WeightMatrix> matrices;
  quant::WeightMatrix shape;
  std::vector<quant::WeightBuffer> plain;
};

bool warm_cache = false;
bool decode_prefetch_fixed = false;  // --decode_prefetch

// Enough copies of one matrix to exceed the last-level cache several times
// (one with --warm_cache).
const Weights& WeightsFor(GgmlType type, int64_t rows, int64_t cols) {
  static std::map<std::tuple<int, int64_t, int64_t>, std::unique_ptr<Weights>> cache;
  auto& slot = cache[{static_cast<int>(type), rows, cols}];
  if (!slot) {
    slot = std::make_unique<Weights>();
    slot->shape = {type, nullptr, rows, cols};
    const size_t bytes = slot->shape.RowBytes() * rows;
    const size_t copies = warm_cache ? 1 : std::max<size_t>(2, (512u << 20) / bytes + 1);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0, 0.05f);
    std::vector<float> row(cols);
    std::vector<uint8_t> first(bytes);
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row) v = normal(rng);
      (void)quant::QuantizeRow(type, row.data(), first.data() + r * slot->shape.RowBytes(), cols);
    }
    slot->shape.data = first.data();
    for (size_t c = 0; c < copies; ++c) {
      slot->copies.push_back(quant::RepackRows(slot->shape));
      const quant::RepackedRows& r = slot->copies.back();
      slot->matrices.push_back(r.storage.empty() ? slot->shape : r.matrix);
      if (r.storage.empty()) {  // no repacked layout: a plain copy
        slot->plain.emplace_back(bytes);
        std::memcpy(slot->plain.back().data(), first.data(), bytes);
        slot->matrices.back().data = slot->plain.back().data();
      }
    }
    slot->shape.data = nullptr;
  }
  return *slot;
}

// Before the first decode benchmark, as the engine before it decodes: the
// prefetch distance timed over Q4_K copies of one shape, on every CPU.
void TuneDecodePrefetchOnce() {
  static const bool done = [] {
    if (decode_prefetch_fixed) return true;
    parallel::ThreadPool pool(cpu::AvailableCpus());
    const quant::DecodePrefetchChoice& c =
        quant::EnsureDecodePrefetchTuned(pool, [] { return WeightsFor(GgmlType::kQ4_K, 8960, 1536).matrices; });
    std::fprintf(stderr, "%s\n", c.Describe().c_str());
    return true;
  }();
  (void)done;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds for each of the pool's threads to run a compute loop `iterations`
// times, side by side.
double ComputeLoopSeconds(parallel::ThreadPool& pool, const roofline::ComputeLoop& loop, uint64_t iterations) {
  std::vector<float> sums(pool.num_threads());
  const auto start = std::chrono::steady_clock::now();
  pool.RunOnEachThread("bench.compute", [&](size_t t) { sums[t] = loop.run(iterations); });
  const double seconds = SecondsSince(start);
  benchmark::DoNotOptimize(sums.data());
  return seconds;
}

// Seconds for the pool's threads to read matrix m's bytes once, each thread
// its own contiguous share, as the roofline reads its buffer.
double PlainReadSeconds(parallel::ThreadPool& pool, const quant::WeightMatrix& m, size_t* bytes_read) {
  const roofline::MemoryKernelSet& k = roofline::BestMemoryKernels();
  const size_t threads = pool.num_threads();
  const size_t per_thread = m.Stride() * m.rows / sizeof(float) / threads / 64 * 64;
  std::vector<float> sums(threads);
  const auto start = std::chrono::steady_clock::now();
  pool.RunOnEachThread("bench.read", [&](size_t t) {
    sums[t] = k.load(reinterpret_cast<const float*>(m.data) + t * per_thread, per_thread);
  });
  const double seconds = SecondsSince(start);
  benchmark::DoNotOptimize(sums.data());
  *bytes_read = per_thread * sizeof(float) * threads;
  return seconds;
}

void BM_MatMul(benchmark::State& state, GgmlType type, int64_t rows, int64_t cols) {
  const int64_t tokens = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  if (tokens == 1) TuneDecodePrefetchOnce();
  const Weights& w = WeightsFor(type, rows, cols);
  parallel::ThreadPool pool(threads);
  parallel::PinCurrentThreadToCpu(0);
  std::vector<float> x(tokens * cols, 0.5f);
  quant::LineAlignedFloats y(tokens * rows);
  quant::QuantizedActivations a(type, cols, tokens, w.matrices.front().repacked);
  a.Quantize(x.data());
  size_t next = 0;
  double read_seconds = 0, read_bytes = 0, loop_seconds = 0, loop_ops = 0;
  // The float formats multiply in float; the others in int8.
  const bool fp32 = type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16;
  // BF16 on the CPU's bf16 dot product where it has the loop (of_bf16_paired).
  const bool bf16 = type == GgmlType::kBF16 && roofline::BestComputeLoop("bf16_dot").kind == std::string("bf16_dot");
  const std::string kind = bf16 ? "bf16_dot" : fp32 ? "fp32_fma" : "int8_dot";
  const std::string unit = bf16 ? "bf16" : fp32 ? "fp32" : "int8";
  const roofline::ComputeLoop loop = roofline::BestComputeLoop(kind);
  const uint64_t loop_iterations =
      std::max<uint64_t>(1, uint64_t(double(rows) * cols * tokens / loop.ops_per_iteration / threads));
  const size_t copies = w.matrices.size();
  // Each call is timed by hand (manual time), so the paired read between
  // calls stays out of its time without Pause/ResumeTiming's clock reads in it.
  for (auto _ : state) {
    const quant::WeightMatrix& m = w.matrices[next++ % copies];
    const auto start = std::chrono::steady_clock::now();
    quant::MatMulQuantized(pool, "bench", m, a, y.data(), rows);
    state.SetIterationTime(SecondsSince(start));
    benchmark::DoNotOptimize(y.data());
    if (tokens == 1) {
      // Half the cycle away: out of cache now, and again by the time the
      // kernel reaches it.
      size_t bytes_read = 0;
      read_seconds += PlainReadSeconds(pool, w.matrices[(next + copies / 2) % copies], &bytes_read);
      read_bytes += double(bytes_read);
    } else {
      loop_seconds += ComputeLoopSeconds(pool, loop, loop_iterations);
      loop_ops += double(loop_iterations) * loop.ops_per_iteration * threads;
    }
  }
  const double bytes = double(w.shape.RowBytes()) * rows;
  const double ops = 2.0 * rows * cols * tokens;
  state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GOPS"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  const roofline::MachineProfile& p = Machine();
  const double dram = p.ReadGbps("DRAM", threads) * 1e9, peak = p.PeakGops(kind, threads) * 1e9;
  if (dram > 0 && peak > 0) {
    state.counters["of_dram"] = benchmark::Counter(bytes / dram, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["of_" + unit] = benchmark::Counter(ops / peak, benchmark::Counter::kIsIterationInvariantRate);
  }
  if (read_seconds > 0) {
    const double read_rate = read_bytes / read_seconds;
    state.counters["read_GB/s"] = benchmark::Counter(read_rate / 1e9);
    state.counters["of_read"] = benchmark::Counter(bytes / read_rate, benchmark::Counter::kIsIterationInvariantRate);
  }
  if (loop_seconds > 0) {
    const double loop_rate = loop_ops / loop_seconds;
    state.counters[unit == "int8" ? "int8_GOPS" : unit + "_GFLOPS"] = benchmark::Counter(loop_rate / 1e9);
    state.counters["of_" + unit + "_paired"] =
        benchmark::Counter(ops / loop_rate, benchmark::Counter::kIsIterationInvariantRate);
  }
  state.SetLabel(std::string(quant::BestDotKernel(type, w.matrices.front().repacked).isa) +
                 (w.matrices.front().repacked ? " repacked" : ""));
}

struct Shape {
  std::string name;
  int64_t rows, cols;
};

void Register(const std::vector<Shape>& extra_shapes, const std::vector<int64_t>& token_counts) {
  const model::ModelConfig qwen = *model::FindPreset("qwen2.5-1.5b");
  std::vector<Shape> shapes = {{"ffn_up", qwen.ffn, qwen.hidden},
                {"ffn_down", qwen.hidden, qwen.ffn},
                // attn_q and attn_output: small enough that a dispatch's start matters.
                {"attn_q", qwen.hidden, qwen.hidden},
                // The shape llama.cpp's test-backend-ops times (a llama-3-8B ffn_down).
                {"m4096_k14336", 4096, 14336},
                // llama-2-7b's ffn_up: rows of 16 blocks.
                {"m11008_k4096", 11008, 4096}};
  shapes.insert(shapes.end(), extra_shapes.begin(), extra_shapes.end());
  const struct {
    const char* name;
    GgmlType type;
  } types[] = {{"Q4_K", GgmlType::kQ4_K}, {"Q5_K", GgmlType::kQ5_K}, {"Q6_K", GgmlType::kQ6_K},
               {"Q8_0", GgmlType::kQ8_0}, {"Q4_0", GgmlType::kQ4_0}, {"Q5_0", GgmlType::kQ5_0},
               {"Q4_1", GgmlType::kQ4_1}, {"Q5_1", GgmlType::kQ5_1}, {"IQ4_NL", GgmlType::kIQ4_NL},
               {"IQ4_XS", GgmlType::kIQ4_XS}, {"Q2_K", GgmlType::kQ2_K}, {"Q3_K", GgmlType::kQ3_K},
               {"F16", GgmlType::kF16}, {"BF16", GgmlType::kBF16}};
  const int all = cpu::AvailableCpus();
  for (const auto& t : types) {
    for (const auto& s : shapes) {
      auto* b = benchmark::RegisterBenchmark(
          (std::string("MatMul/") + t.name + "/" + s.name + "_" + std::to_string(s.rows) + "x" +
           std::to_string(s.cols))
              .c_str(),
          [=](benchmark::State& st) { BM_MatMul(st, t.type, s.rows, s.cols); });
      for (int64_t tokens : token_counts) {
        for (int threads : {1, all}) b->Args({tokens, threads});
      }
      // With repetitions, each counter's largest value too: the fastest
      // repetition's GOPS and of_int8, a best set against the roofline's own
      // best (its peak is the fastest of its repetitions).
      b->ArgNames({"tokens", "threads"})
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond)
          ->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  (void)cpu::AvailableCpus();  // before any thread is pinned
  (void)Machine();
  int kept = 1;
  int64_t prefetch = 0;
  std::vector<Shape> extra_shapes;
  std::vector<int64_t> token_counts = {1, 91, 512};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--warm_cache") == 0) {
      warm_cache = true;
    } else if (std::strncmp(argv[i], "--shape=", 8) == 0) {
      long long rows = 0, cols = 0;
      if (std::sscanf(argv[i] + 8, "%lldx%lld", &rows, &cols) != 2 || rows <= 0 || cols <= 0) {
        std::fprintf(stderr, "matmul_benchmark: --shape wants ROWSxCOLS, got '%s'\n", argv[i] + 8);
        return 2;
      }
      extra_shapes.push_back({"shape", rows, cols});
    } else if (std::strncmp(argv[i], "--tokens=", 9) == 0) {
      token_counts.clear();
      for (const char* p = argv[i] + 9; *p != '\0';) {
        char* end = nullptr;
        const long long n = std::strtoll(p, &end, 10);
        if (end == p || n <= 0 || (*end != ',' && *end != '\0')) {
          std::fprintf(stderr, "matmul_benchmark: --tokens wants positive counts a comma apart, got '%s'\n",
                       argv[i] + 9);
          return 2;
        }
        token_counts.push_back(n);
        p = *end == ',' ? end + 1 : end;
      }
    } else if (std::strncmp(argv[i], "--decode_prefetch=", 18) == 0) {
      prefetch = std::atoll(argv[i] + 18);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (prefetch > 0) {
    quant::SetDecodePrefetchBytes(prefetch);
    decode_prefetch_fixed = true;
  }
  Register(extra_shapes, token_counts);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
