// Attention over a KV cache on one thread, each version this CPU runs: one
// KV head's group of query heads (6 x 128, qwen2.5-1.5b's) over `context`
// cached positions, for one decoded token or a 16-token prefill block.
// Reports the cache's bytes read per second and FLOP/s (a score and a
// weighted sum: 4 FLOPs per query row, position and dimension).
//
//   bazel run -c opt //common/simd:attention_benchmark -- --benchmark_filter='f16/tokens:1/'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/quant/fp16.h"
#include "common/quant/weight_buffer.h"
#include "common/simd/float_ops.h"

namespace simd {
namespace {

constexpr int64_t kHeads = 6, kHd = 128;

size_t RowBytes(KvElement e) { return e == KvElement::kQ8_0 ? kHd / 32 * 34 : e == KvElement::kF32 ? kHd * 4 : kHd * 2; }

// On huge pages, as the engine's cache is.
quant::WeightBuffer RandomRows(KvElement e, int64_t rows, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  quant::WeightBuffer bytes(rows * RowBytes(e));
  for (int64_t j = 0; j < rows; ++j) {
    uint8_t* row = bytes.data() + j * RowBytes(e);
    for (int64_t i = 0; i < kHd; ++i) {
      const float x = normal(rng);
      if (e == KvElement::kF32) {
        std::memcpy(row + 4 * i, &x, 4);
      } else if (e == KvElement::kF16 || e == KvElement::kBF16) {
        const uint16_t bits = e == KvElement::kF16 ? quant::F32ToF16(x) : quant::F32ToBf16(x);
        std::memcpy(row + 2 * i, &bits, 2);
      } else {
        uint8_t* block = row + (i / 32) * 34;
        if (i % 32 == 0) {
          const uint16_t d = quant::F32ToF16(0.02f);
          std::memcpy(block, &d, 2);
        }
        block[2 + i % 32] = static_cast<uint8_t>(static_cast<int8_t>(x * 40));
      }
    }
  }
  return bytes;
}

void BM_Attention(benchmark::State& state, const FloatOps* ops, KvElement element) {
  const int64_t tokens = state.range(0), context = state.range(1);
  std::mt19937 rng(5);
  const quant::WeightBuffer keys = RandomRows(element, context, rng), values = RandomRows(element, context, rng);
  std::vector<float> q(tokens * kHeads * kHd), out(q.size());
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& x : q) x = normal(rng);
  std::vector<int64_t> begin(tokens, 0), end(tokens);
  for (int64_t t = 0; t < tokens; ++t) end[t] = context - tokens + t + 1;
  const KvRows k{keys.data(), RowBytes(element), element}, v{values.data(), RowBytes(element), element};
  for (auto _ : state) {
    ops->attend_kv(q.data(), kHeads * kHd, tokens, kHeads, k, v, begin.data(), end.data(), kHd, 0.088f, out.data(),
                   kHeads * kHd, nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  const double calls = double(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(calls * 2 * context * RowBytes(element) / 1e9,
                                              benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(calls * 4.0 * tokens * kHeads * kHd * context / 1e9,
                                                 benchmark::Counter::kIsRate);
}

int Register() {
  std::vector<const FloatOps*> all;
  const cpu::CpuFeatures& cpu = cpu::GetCpuFeatures();
  if (cpu.HasAvx2Fma()) all.push_back(&Avx2FloatOps());
  if (cpu.HasAvx512Vnni()) all.push_back(&Avx512FloatOps());
  if (cpu.HasAmxBf16()) all.push_back(&AmxFloatOps());
  const std::pair<KvElement, const char*> elements[] = {
      {KvElement::kF32, "f32"}, {KvElement::kF16, "f16"}, {KvElement::kBF16, "bf16"}, {KvElement::kQ8_0, "q8_0"}};
  for (const FloatOps* ops : all) {
    for (const auto& [element, name] : elements) {
      benchmark::RegisterBenchmark((std::string("Attention/") + ops->isa + "/" + name).c_str(), BM_Attention, ops,
                                   element)
          ->ArgNames({"tokens", "context"})
          ->ArgsProduct({{1, 4, 8, 16}, {1024, 16384, 131072}});
    }
  }
  return 0;
}
const int registered = Register();

}  // namespace
}  // namespace simd

BENCHMARK_MAIN();
