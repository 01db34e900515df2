#include "common/quant/matmul.h"

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "common/quant/cache_line_allocator.h"
#include "common/quant/dequantize.h"
#include "common/quant/fp16.h"
#include "common/quant/quantize.h"
#include "common/quant/repack.h"
#include "gtest/gtest.h"

namespace quant {
namespace {

using gguf::GgmlType;

const GgmlType kTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                           GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1,
                           GgmlType::kIQ4_NL, GgmlType::kIQ4_XS, GgmlType::kQ2_K, GgmlType::kQ3_K,
                           GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};

struct Problem {
  WeightMatrix w;
  std::vector<uint8_t> bytes;
  std::vector<float> x;  // tokens x cols
  int64_t tokens;
};

Problem Make(GgmlType type, int64_t rows, int64_t cols, int64_t tokens, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> dense(rows * cols);
  for (float& v : dense) v = normal(rng) * 0.05f;
  Problem p;
  p.tokens = tokens;
  p.w = {type, nullptr, rows, cols};
  p.bytes.resize(p.w.RowBytes() * rows);
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_TRUE(QuantizeRow(type, dense.data() + r * cols, p.bytes.data() + r * p.w.RowBytes(), cols).ok());
  }
  p.w.data = p.bytes.data();
  p.x.resize(tokens * cols);
  for (float& v : p.x) v = normal(rng);
  return p;
}

// Every kernel this CPU runs agrees with the scalar reference on the same
// quantized activations, up to float summation order.
TEST(DotKernels, EveryKernelMatchesTheReference) {
  for (GgmlType type : kTypes) {
    const int64_t block = ActivationFor(type) == ActivationFormat::kQ8_K ? 256 : 32;
    // Float-activation formats take any length: 109 ends inside every vector width.
    const int64_t odd = ActivationFor(type) == ActivationFormat::kF32 ? 109 : block;
    for (int64_t cols : {block, 2 * block, 6 * block, odd}) {
      for (int64_t rows : {1, 3, 17}) {
        for (int64_t tokens : {1, 2, 7, 91}) {
          Problem p = Make(type, rows, cols, tokens, 1000 + rows * 31 + tokens);
          QuantizedActivations a(type, cols, tokens);
          a.Quantize(p.x.data());
          std::vector<float> ref(rows * tokens), out(rows * tokens);
          ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), rows, a.row(0), a.row_bytes(), tokens, cols,
                                ref.data(), rows);
          // A kernel that rounds activations to bf16 computes what the
          // reference does with rounded activations (bf16 x bf16 products
          // are exact in float).
          std::vector<float> rounded(p.x.size()), ref_bf16(rows * tokens);
          for (size_t i = 0; i < p.x.size(); ++i) rounded[i] = Bf16ToF32(F32ToBf16(p.x[i]));
          QuantizedActivations ra(type, cols, tokens);
          ra.Quantize(rounded.data());
          ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), rows, ra.row(0), ra.row_bytes(), tokens, cols,
                                ref_bf16.data(), rows);
          for (const DotKernel& k : AvailableDotKernels(type)) {
            std::fill(out.begin(), out.end(), NAN);
            k.fn(p.w.data, p.w.RowBytes(), rows, a.row(0), a.row_bytes(), tokens, cols, out.data(), rows);
            const std::vector<float>& want = k.bf16_activations ? ref_bf16 : ref;
            for (int64_t i = 0; i < rows * tokens; ++i) {
              ASSERT_NEAR(out[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
                  << gguf::TypeInfo(type).name << " " << k.isa << " rows " << rows << " cols " << cols
                  << " tokens " << tokens << " at " << i;
            }
          }
        }
      }
    }
  }
}

// Prefill of the float formats blocks tokens (128), k (256) and rows (12 at
// a time): counts on either side of each boundary, against the reference.
// BF16's tiles of 32 rows take k a multiple of 32, in chunks of 4096 (4160:
// a chunk and a short one; 37 rows: a tile of 32 and one of 5).
TEST(DotKernels, FloatPrefillBlocksMatchTheReference) {
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{13, 300}, {29, 530}, {12, 256}, {37, 544}, {5, 4160}}) {
      for (int64_t tokens : {16, 17, 33, 130}) {
        Problem p = Make(type, rows, cols, tokens, 77 + rows + tokens);
        std::vector<float> rounded(p.x.size());
        for (size_t i = 0; i < p.x.size(); ++i) rounded[i] = Bf16ToF32(F32ToBf16(p.x[i]));
        std::vector<float> ref(rows * tokens), ref_bf16(rows * tokens), out(rows * tokens);
        const size_t act_row_bytes = sizeof(float) * cols;
        ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), rows, reinterpret_cast<const uint8_t*>(p.x.data()),
                              act_row_bytes, tokens, cols, ref.data(), rows);
        ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), rows, reinterpret_cast<const uint8_t*>(rounded.data()),
                              act_row_bytes, tokens, cols, ref_bf16.data(), rows);
        for (const DotKernel& k : AvailableDotKernels(type)) {
          std::fill(out.begin(), out.end(), NAN);
          k.fn(p.w.data, p.w.RowBytes(), rows, reinterpret_cast<const uint8_t*>(p.x.data()), act_row_bytes, tokens,
               cols, out.data(), rows);
          const std::vector<float>& want = k.bf16_activations ? ref_bf16 : ref;
          for (int64_t i = 0; i < rows * tokens; ++i) {
            ASSERT_NEAR(out[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
                << gguf::TypeInfo(type).name << " " << k.isa << " rows " << rows << " cols " << cols << " tokens "
                << tokens << " at " << i;
          }
        }
      }
    }
  }
}

// Repacked k-quants (and Q8_0/Q4_0/Q5_0/Q4_1/Q5_1/IQ4_NL in groups of 8 rows) compute what the
// GGUF layout does: every repacked kernel (scalar included) against the
// plain scalar reference.
TEST(DotKernels, RepackedLayoutsMatchTheReference) {
  for (GgmlType type :
       {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ8_0,
        GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1, GgmlType::kIQ4_NL, GgmlType::kIQ4_XS}) {
    const bool grouped = R8QuantBytes(type) > 0;
    if (std::string(BestDotKernel(type, true).isa) == "scalar") {
      // No SIMD kernel for the layout here: RepackRows keeps the GGUF one.
      const Problem p = Make(type, 16, 256, 1, 5);
      EXPECT_FALSE(RepackRows(p.w).matrix.repacked);
      continue;
    }
    // Shapes that end a register tile, a row block and a chunk of blocks
    // early; outputs that start on a cache line with rows of whole lines
    // (48 and 32 rows: kernels may stream those lines) or not (19, 131);
    // pairs of R8 groups that end inside their second group (13, 29 rows);
    // int8 rows converted in more than one batch of sets, the last odd (300).
    for (auto [rows, cols, tokens] : {std::tuple<int64_t, int64_t, int64_t>{19, 768, 1}, {19, 768, 2},
                                      {19, 768, 5}, {19, 768, 91}, {131, 2816, 1}, {131, 2816, 7},
                                      {2, 4096, 3}, {5, 512, 512}, {19, 8960, 130}, {48, 512, 40},
                                      {32, 1024, 33}, {13, 768, 6}, {29, 2816, 91}, {300, 4096, 33}}) {
      Problem p = Make(type, rows, cols, tokens, 77 + tokens);
      QuantizedActivations plain(type, cols, tokens), inter(type, cols, tokens, /*repacked=*/true);
      plain.Quantize(p.x.data());
      inter.Quantize(p.x.data());
      std::vector<float> ref(rows * tokens);
      LineAlignedFloats out(rows * tokens);
      ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), rows, plain.row(0), plain.row_bytes(), tokens, cols,
                            ref.data(), rows);
      const RepackedRows repacked = RepackRows(p.w);
      ASSERT_TRUE(repacked.matrix.repacked);
      ASSERT_EQ(repacked.matrix.Stride() * (grouped ? 8 : 1) % 64, 0u);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(repacked.matrix.data) % 64, 0u);
      for (const DotKernel& k : AvailableDotKernels(type, /*repacked=*/true)) {
        std::fill(out.begin(), out.end(), NAN);
        k.fn(repacked.matrix.data, repacked.matrix.Stride(), rows, inter.row(0), inter.row_bytes(), tokens, cols,
             out.data(), rows);
        for (int64_t i = 0; i < rows * tokens; ++i) {
          ASSERT_NEAR(out[i], ref[i], 1e-4 * (1 + std::fabs(ref[i])))
              << gguf::TypeInfo(type).name << " repacked " << k.isa << " rows " << rows << " cols " << cols
              << " tokens " << tokens << " at " << i;
        }
      }
    }
  }
}

// Weights and activations at their largest magnitudes: every SIMD kernel, in
// both layouts, must still compute the exact sum (AVX2 kernels sum some
// products in 16-bit lanes, which this fills to within 8% of 2^15).
TEST(DotKernels, KernelsAreExactAtTheLargestValues) {
  constexpr int64_t kCols = 512, kRows = 3;
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ8_0}) {
    const WeightMatrix shape = {type, nullptr, kRows, kCols};
    std::vector<uint8_t> bytes(shape.RowBytes() * kRows);
    // Every weight's value; Q4_K's scale, q and min at their largest; Q8_0's
    // -128 (a file may hold it; our quantizer never writes it) is the largest
    // |w| AVX2's sign trick multiplies.
    const double weight = type == GgmlType::kQ4_K   ? 63.0 * 15 - 63
                          : type == GgmlType::kQ5_K ? 63.0 * 31 - 63
                          : type == GgmlType::kQ6_K ? 127.0 * (63 - 32)
                                                    : -128.0;
    const int64_t block_weights = type == GgmlType::kQ8_0 ? kQK : kQKK;
    for (size_t b = 0; b < size_t(kRows * kCols / block_weights); ++b) {
      if (type == GgmlType::kQ8_0) {
        BlockQ8_0& x = reinterpret_cast<BlockQ8_0*>(bytes.data())[b];
        x.d = F32ToF16(1.0f);
        std::fill(std::begin(x.qs), std::end(x.qs), -128);
      } else if (type == GgmlType::kQ4_K) {
        BlockQ4_K& x = reinterpret_cast<BlockQ4_K*>(bytes.data())[b];
        x.d = F32ToF16(1.0f);
        x.dmin = F32ToF16(1.0f);
        // Scales and mins all 63 (6 bits): every bit of the 12-byte packing.
        std::fill(std::begin(x.scales), std::end(x.scales), 0xFF);
        std::fill(std::begin(x.qs), std::end(x.qs), 0xFF);
      } else if (type == GgmlType::kQ5_K) {
        BlockQ5_K& x = reinterpret_cast<BlockQ5_K*>(bytes.data())[b];
        x.d = F32ToF16(1.0f);
        x.dmin = F32ToF16(1.0f);
        std::fill(std::begin(x.scales), std::end(x.scales), 0xFF);
        std::fill(std::begin(x.qh), std::end(x.qh), 0xFF);
        std::fill(std::begin(x.qs), std::end(x.qs), 0xFF);
      } else {
        BlockQ6_K& x = reinterpret_cast<BlockQ6_K*>(bytes.data())[b];
        std::fill(std::begin(x.ql), std::end(x.ql), 0xFF);
        std::fill(std::begin(x.qh), std::end(x.qh), 0xFF);
        std::fill(std::begin(x.scales), std::end(x.scales), 127);
        x.d = F32ToF16(1.0f);
      }
    }
    WeightMatrix w = shape;
    w.data = bytes.data();
    const RepackedRows repacked = RepackRows(w);
    for (float sign : {1.0f, -1.0f}) {
      for (int64_t tokens : {1, 4, 5, 16, 33}) {  // from 16 on, AMX's tiles too
        const std::vector<float> x(tokens * kCols, sign);  // quantizes to +-127 x (1/127)
        QuantizedActivations plain(type, kCols, tokens), inter(type, kCols, tokens, /*repacked=*/true);
        plain.Quantize(x.data());
        inter.Quantize(x.data());
        std::vector<float> out(kRows * tokens);
        for (bool packed : {false, true}) {
          const QuantizedActivations& a = packed ? inter : plain;
          // 127 x the activations' scale: 1, but Q8_0's is rounded to f16.
          const double unit = type != GgmlType::kQ8_0 ? 1.0
                              : packed ? 127.0 * reinterpret_cast<const BlockQ8_0S*>(a.row(0))->d
                                       : 127.0 * F16ToF32(reinterpret_cast<const BlockQ8_0*>(a.row(0))->d);
          const double want = sign * weight * kCols * unit;
          for (const DotKernel& k : AvailableDotKernels(type, packed)) {
            const WeightMatrix& m = packed ? repacked.matrix : w;
            std::fill(out.begin(), out.end(), NAN);
            k.fn(m.data, m.Stride(), kRows, a.row(0), a.row_bytes(), tokens, kCols, out.data(), kRows);
            for (float v : out) {
              ASSERT_NEAR(v, want, 1e-5 * std::fabs(want))
                  << gguf::TypeInfo(type).name << (packed ? " repacked " : " ") << k.isa << " tokens " << tokens;
            }
          }
        }
      }
    }
  }
}

// A file need not come from our quantizer: blocks of arbitrary bytes (only the
// f16 scales kept finite) must compute, in every kernel and layout, what the
// reference computes, and the reference what the dequantized weights give.
TEST(DotKernels, AnyBlockBytesComputeAsTheReference) {
  constexpr int64_t kRows = 19, kCols = 768;
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1,
                        GgmlType::kIQ4_NL, GgmlType::kIQ4_XS, GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
                        GgmlType::kQ5_K, GgmlType::kQ6_K}) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 11);
    std::uniform_real_distribution<float> scale(1.0f / 256, 1.0f / 16);
    const auto random_f16 = [&] { return F32ToF16(rng() % 2 ? scale(rng) : -scale(rng)); };
    WeightMatrix w = {type, nullptr, kRows, kCols};
    std::vector<uint8_t> bytes(w.RowBytes() * kRows);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    const size_t blocks = bytes.size() / gguf::TypeInfo(type).block_bytes;
    for (size_t b = 0; b < blocks; ++b) {
      switch (type) {
        case GgmlType::kQ8_0: reinterpret_cast<BlockQ8_0*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kQ4_0: reinterpret_cast<BlockQ4_0*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kQ5_0: reinterpret_cast<BlockQ5_0*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kIQ4_NL: reinterpret_cast<BlockIQ4_NL*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kQ4_1:
          reinterpret_cast<BlockQ4_1*>(bytes.data())[b].d = random_f16();
          reinterpret_cast<BlockQ4_1*>(bytes.data())[b].m = random_f16();
          break;
        case GgmlType::kQ5_1:
          reinterpret_cast<BlockQ5_1*>(bytes.data())[b].d = random_f16();
          reinterpret_cast<BlockQ5_1*>(bytes.data())[b].m = random_f16();
          break;
        case GgmlType::kQ4_K:
          reinterpret_cast<BlockQ4_K*>(bytes.data())[b].d = random_f16();
          reinterpret_cast<BlockQ4_K*>(bytes.data())[b].dmin = random_f16();
          break;
        case GgmlType::kIQ4_XS: reinterpret_cast<BlockIQ4_XS*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kQ3_K: reinterpret_cast<BlockQ3_K*>(bytes.data())[b].d = random_f16(); break;
        case GgmlType::kQ2_K:
          reinterpret_cast<BlockQ2_K*>(bytes.data())[b].d = random_f16();
          reinterpret_cast<BlockQ2_K*>(bytes.data())[b].dmin = random_f16();
          break;
        case GgmlType::kQ5_K:
          reinterpret_cast<BlockQ5_K*>(bytes.data())[b].d = random_f16();
          reinterpret_cast<BlockQ5_K*>(bytes.data())[b].dmin = random_f16();
          break;
        default: reinterpret_cast<BlockQ6_K*>(bytes.data())[b].d = random_f16(); break;
      }
    }
    w.data = bytes.data();
    const RepackedRows repacked = RepackRows(w);
    std::vector<float> dense(kRows * kCols);
    for (int64_t r = 0; r < kRows; ++r) {
      ASSERT_TRUE(DequantizeRow(type, w.data + r * w.Stride(), dense.data() + r * kCols, kCols).ok());
    }
    for (int64_t tokens : {1, 5, 91}) {
      std::vector<float> x(tokens * kCols);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (float& v : x) v = normal(rng);
      QuantizedActivations plain(type, kCols, tokens), inter(type, kCols, tokens, /*repacked=*/true);
      plain.Quantize(x.data());
      inter.Quantize(x.data());
      // What the format defines (dequantized weights times the 8-bit
      // activations' values, in double), and the sum of the terms' sizes:
      // random scales and mins cancel, so float rounding is bounded by the
      // terms, not by the result.
      std::vector<double> exact(kRows * tokens), magnitude(kRows * tokens);
      std::vector<float> act(kCols);
      for (int64_t t = 0; t < tokens; ++t) {
        if (plain.format() == ActivationFormat::kQ8_K) {  // no GGUF dequantizer of ours reads Q8_K
          const BlockQ8_K* blocks = reinterpret_cast<const BlockQ8_K*>(plain.row(t));
          for (int64_t i = 0; i < kCols; ++i) act[i] = blocks[i / kQKK].d * blocks[i / kQKK].qs[i % kQKK];
        } else if (plain.format() == ActivationFormat::kQ8_0S) {  // nor Q8_0S (scale, sum, quants)
          const BlockQ8_0S* blocks = reinterpret_cast<const BlockQ8_0S*>(plain.row(t));
          for (int64_t i = 0; i < kCols; ++i) act[i] = blocks[i / kQK].d * blocks[i / kQK].qs[i % kQK];
        } else {  // Q8_0 activations are Q8_0 blocks as a file stores them
          ASSERT_TRUE(DequantizeRow(GgmlType::kQ8_0, plain.row(t), act.data(), kCols).ok());
        }
        for (int64_t r = 0; r < kRows; ++r) {
          for (int64_t i = 0; i < kCols; ++i) {
            const double term = double(dense[r * kCols + i]) * act[i];
            exact[t * kRows + r] += term;
            magnitude[t * kRows + r] += std::fabs(term);
          }
        }
      }
      std::vector<float> out(kRows * tokens);
      const auto expect_exact = [&](const char* what, const char* isa) {
        for (int64_t i = 0; i < kRows * tokens; ++i) {
          ASSERT_NEAR(out[i], exact[i], 1e-5 * magnitude[i])
              << gguf::TypeInfo(type).name << " " << what << " " << isa << " tokens " << tokens << " at " << i;
        }
      };
      ScalarDotKernel(type)(w.data, w.Stride(), kRows, plain.row(0), plain.row_bytes(), tokens, kCols, out.data(),
                            kRows);
      expect_exact("reference", "scalar");
      for (bool packed : {false, true}) {
        const WeightMatrix& m = packed ? repacked.matrix : w;
        const QuantizedActivations& a = packed ? inter : plain;
        if (packed && !m.repacked) continue;  // no repacked layout runs here for this type
        for (const DotKernel& k : AvailableDotKernels(type, packed)) {
          std::fill(out.begin(), out.end(), NAN);
          k.fn(m.data, m.Stride(), kRows, a.row(0), a.row_bytes(), tokens, kCols, out.data(), kRows);
          expect_exact(packed ? "repacked" : "plain", k.isa);
        }
      }
    }
  }
}

// The reference computes what the format defines: the dequantized weights
// times the (8-bit quantized) activations.
TEST(DotKernels, ReferenceMatchesDequantizedMath) {
  for (GgmlType type : kTypes) {
    Problem p = Make(type, 5, 512, 3, 7);
    QuantizedActivations a(type, 512, 3);
    a.Quantize(p.x.data());
    std::vector<float> y(15);
    ScalarDotKernel(type)(p.w.data, p.w.RowBytes(), 5, a.row(0), a.row_bytes(), 3, 512, y.data(), 5);
    std::vector<float> row(512);
    for (int64_t r = 0; r < 5; ++r) {
      ASSERT_TRUE(DequantizeRow(type, p.w.data + r * p.w.RowBytes(), row.data(), 512).ok());
      for (int64_t t = 0; t < 3; ++t) {
        double exact = 0, magnitude = 0;
        for (int i = 0; i < 512; ++i) {
          exact += double(row[i]) * p.x[t * 512 + i];
          magnitude += std::fabs(double(row[i]) * p.x[t * 512 + i]);
        }
        // 8-bit activations: each term off by at most ~1/127 relative to the block's largest.
        const double tolerance = ActivationFor(type) == ActivationFormat::kF32 ? 1e-5 * magnitude : 0.02 * magnitude;
        EXPECT_NEAR(y[t * 5 + r], exact, tolerance) << gguf::TypeInfo(type).name;
      }
    }
  }
}

TEST(MatMul, ThreadedEqualsSingleThreadedAndCountsOneDispatch) {
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ8_0, GgmlType::kQ6_K}) {
    for (int64_t tokens : {1, 91}) {
      Problem p = Make(type, 301, 512, tokens, 3);
      parallel::ThreadPool one(1), two(2);
      std::vector<float> y1(301 * tokens), y2(301 * tokens);
      MatMul(one, "test.mm", p.w, p.x.data(), tokens, y1.data());
      MatMul(two, "test.mm", p.w, p.x.data(), tokens, y2.data());
      EXPECT_EQ(y1, y2);
      EXPECT_EQ(two.Stats("test.mm").dispatches, 1u);
    }
  }
}

// A batch of tokens gives each token what it gets alone (prefill against
// decode: other tiles, the same sums up to their order), in the repacked
// layouts the engine runs, one after another in one pool as the engine's
// layers call them.
TEST(MatMul, BatchEqualsTokenByToken) {
  parallel::ThreadPool pool(2);
  for (GgmlType type : {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K,
                        GgmlType::kIQ4_XS, GgmlType::kQ8_0}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1024, 512}, {512, 1024}, {256, 512}, {301, 2816}}) {
      constexpr int64_t kTokens = 13;
      Problem p = Make(type, rows, cols, kTokens, 21);
      const RepackedRows repacked = RepackRows(p.w);
      std::vector<float> batch(rows * kTokens), alone(rows);
      MatMul(pool, "test.batch", repacked.matrix, p.x.data(), kTokens, batch.data());
      for (int64_t t = 0; t < kTokens; ++t) {
        MatMul(pool, "test.alone", repacked.matrix, p.x.data() + t * cols, 1, alone.data());
        for (int64_t r = 0; r < rows; ++r) {
          ASSERT_NEAR(batch[t * rows + r], alone[r], 1e-4 * (1 + std::fabs(alone[r])))
              << gguf::TypeInfo(type).name << " " << rows << " x " << cols << " token " << t << " row " << r;
        }
      }
    }
  }
}

// Tasks start on groups of 8 rows (301 rows: the last group has 5).
TEST(MatMul, GroupedRowsSplitAcrossThreadsAsThePlainLayout) {
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1}) {
    for (int64_t tokens : {1, 91}) {
      Problem p = Make(type, 301, 512, tokens, 4);
      const RepackedRows grouped = RepackRows(p.w);
      parallel::ThreadPool one(1), two(2);
      std::vector<float> plain(301 * tokens), y1(301 * tokens), y2(301 * tokens);
      MatMul(two, "test.plain", p.w, p.x.data(), tokens, plain.data());
      MatMul(one, "test.grouped", grouped.matrix, p.x.data(), tokens, y1.data());
      MatMul(two, "test.grouped", grouped.matrix, p.x.data(), tokens, y2.data());
      EXPECT_EQ(y1, y2);
      for (size_t i = 0; i < plain.size(); ++i) ASSERT_NEAR(y2[i], plain[i], 1e-4 * (1 + std::fabs(plain[i])));
    }
  }
}

TEST(MatMul, PairEqualsTwoProductsInOneDispatch) {
  Problem gate = Make(GgmlType::kQ4_K, 200, 256, 2, 11), up = Make(GgmlType::kQ4_K, 200, 256, 2, 12);
  parallel::ThreadPool pool(2);
  QuantizedActivations a(GgmlType::kQ4_K, 256, 2);
  a.Quantize(gate.x.data());
  std::vector<float> g1(400), u1(400), g2(400), u2(400);
  MatMulQuantized(pool, "gate", gate.w, a, g1.data(), 200);
  MatMulQuantized(pool, "up", up.w, a, u1.data(), 200);
  MatMulGroup(pool, "gate_up", {{&gate.w, g2.data()}, {&up.w, u2.data()}}, a);
  EXPECT_EQ(g1, g2);
  EXPECT_EQ(u1, u2);
  EXPECT_EQ(pool.Stats("gate_up").dispatches, 1u);
  EXPECT_EQ(pool.Stats("gate").dispatches + pool.Stats("up").dispatches, 2u);
}

TEST(MatMul, GroupEqualsSeparateProductsInOneDispatch) {
  Problem q = Make(GgmlType::kQ4_K, 100, 512, 3, 21), k = Make(GgmlType::kQ4_K, 20, 512, 3, 22),
          v = Make(GgmlType::kQ4_K, 37, 512, 3, 23);
  parallel::ThreadPool pool(2);
  QuantizedActivations a(GgmlType::kQ4_K, 512, 3);
  a.Quantize(q.x.data());
  std::vector<float> yq(300), yk(60), yv(111), gq(300), gk(60), gv(111);
  MatMulQuantized(pool, "q", q.w, a, yq.data(), 100);
  MatMulQuantized(pool, "k", k.w, a, yk.data(), 20);
  MatMulQuantized(pool, "v", v.w, a, yv.data(), 37);
  MatMulGroup(pool, "qkv", {{&q.w, gq.data()}, {&k.w, gk.data()}, {&v.w, gv.data()}}, a);
  EXPECT_EQ(yq, gq);
  EXPECT_EQ(yk, gk);
  EXPECT_EQ(yv, gv);
  EXPECT_EQ(pool.Stats("qkv").dispatches, 1u);
}

TEST(MatMul, EveryRowOnceAcrossThreadCounts) {
  // Targets of odd sizes, split into tasks for decode and prefill and for
  // 1 to 8 threads.
  // Q4_0 in groups of 8 rows (repack.h's R8, on AVX2 and VNNI CPUs alike),
  // where a task must start on a group.
  Problem q = Make(GgmlType::kQ4_0, 100, 256, 7, 41), k = Make(GgmlType::kQ4_0, 20, 256, 7, 42),
          v = Make(GgmlType::kQ4_0, 37, 256, 7, 43);
  const RepackedRows rq = RepackRows(q.w), rk = RepackRows(k.w), rv = RepackRows(v.w);
  ASSERT_EQ(rq.matrix.repacked, std::string(BestDotKernel(GgmlType::kQ4_0, true).isa) != "scalar");
  for (int tokens : {1, 7}) {
    QuantizedActivations a(GgmlType::kQ4_0, 256, tokens, rq.matrix.repacked);
    a.Quantize(q.x.data());
    parallel::ThreadPool one(1);
    std::vector<float> yq(100 * tokens), yk(20 * tokens), yv(37 * tokens);
    MatMulQuantized(one, "q", rq.matrix, a, yq.data(), 100);
    MatMulQuantized(one, "k", rk.matrix, a, yk.data(), 20);
    MatMulQuantized(one, "v", rv.matrix, a, yv.data(), 37);
    for (int threads : {1, 2, 3, 5, 8}) {
      parallel::ThreadPool pool(threads);
      std::vector<float> gq(yq.size(), -1), gk(yk.size(), -1), gv(yv.size(), -1);
      MatMulGroup(pool, "qkv", {{&rq.matrix, gq.data()}, {&rk.matrix, gk.data()}, {&rv.matrix, gv.data()}}, a);
      EXPECT_EQ(yq, gq) << threads << " threads, " << tokens << " tokens";
      EXPECT_EQ(yk, gk) << threads << " threads, " << tokens << " tokens";
      EXPECT_EQ(yv, gv) << threads << " threads, " << tokens << " tokens";
      // One matrix alone: decode hands out each thread's share in turn.
      std::vector<float> y(yq.size(), -1);
      MatMulQuantized(pool, "q", rq.matrix, a, y.data(), 100);
      EXPECT_EQ(yq, y) << threads << " threads, " << tokens << " tokens";
    }
  }
}

// Prefill gives a call that lays out all its activations (AMX Q4_K, from a
// tile of tokens on) one task a thread, the others two; decode is split as
// before.
TEST(MatMul, KernelsThatLayOutActivationsTakeOnePrefillTaskAThread) {
  EXPECT_EQ(RowsPerTask(1536, 864, 2, 91, /*lays_out_activations=*/true), 768);
  EXPECT_EQ(RowsPerTask(1536, 864, 2, 91, /*lays_out_activations=*/false), 384);
  EXPECT_EQ(RowsPerTask(1536, 864, 2, 1, true), RowsPerTask(1536, 864, 2, 1, false));
  Problem p = Make(GgmlType::kQ4_K, 256, 512, 40, 9);
  const RepackedRows r = RepackRows(p.w);
  const DotKernel best = BestDotKernel(GgmlType::kQ4_K, r.matrix.repacked);
  const bool amx = std::string(best.isa) == "amx";
  EXPECT_EQ(best.LaysOutActivations(40), amx);
  EXPECT_FALSE(best.LaysOutActivations(7));  // the AVX-512 kernel's
  for (int64_t tokens : {7, 40}) {
    QuantizedActivations a(GgmlType::kQ4_K, 512, tokens, r.matrix.repacked);
    a.Quantize(p.x.data());
    parallel::ThreadPool pool(2);
    std::vector<float> y(256 * tokens);
    MatMulQuantized(pool, "w", r.matrix, a, y.data(), 256);
    MatMulGroup(pool, "group", {{&r.matrix, y.data()}}, a);
    const uint64_t tasks = amx && tokens == 40 ? 2 : 4;
    EXPECT_EQ(pool.Stats("w").tasks, tasks) << tokens << " tokens";
    EXPECT_EQ(pool.Stats("group").tasks, tasks) << tokens << " tokens";
  }
}

TEST(MatMul, GroupOfMixedFormatsTakesEachTargetsActivations) {
  // As in a Q4_K_M file: q and k Q4_K, v Q6_K (each repacked: their activation
  // formats differ), one input, one dispatch.
  Problem q = Make(GgmlType::kQ4_K, 64, 512, 5, 31), k = Make(GgmlType::kQ4_K, 16, 512, 5, 32),
          v = Make(GgmlType::kQ6_K, 24, 512, 5, 33);
  const RepackedRows rq = RepackRows(q.w), rk = RepackRows(k.w), rv = RepackRows(v.w);
  parallel::ThreadPool pool(2);
  std::vector<float> yq(320), yk(80), yv(120), gq(320), gk(80), gv(120);
  MatMul(pool, "q", rq.matrix, q.x.data(), 5, yq.data());
  MatMul(pool, "k", rk.matrix, q.x.data(), 5, yk.data());
  MatMul(pool, "v", rv.matrix, q.x.data(), 5, yv.data());
  QuantizedActivations a4(GgmlType::kQ4_K, 512, 5, true), a6(GgmlType::kQ6_K, 512, 5, true);
  a4.Quantize(q.x.data());
  a6.Quantize(q.x.data());
  ASSERT_NE(a4.format(), a6.format());
  MatMulGroup(pool, "qkv", {{&rq.matrix, gq.data()}, {&rk.matrix, gk.data()}, {&rv.matrix, gv.data(), &a6}}, a4);
  EXPECT_EQ(yq, gq);
  EXPECT_EQ(yk, gk);
  EXPECT_EQ(yv, gv);
  EXPECT_EQ(pool.Stats("qkv").dispatches, 1u);
}

TEST(MatMulDeathTest, GroupRefusesActivationsOfAnotherFormat) {
  Problem q = Make(GgmlType::kQ4_K, 16, 256, 1, 41), v = Make(GgmlType::kQ6_K, 16, 256, 1, 42);
  const RepackedRows rq = RepackRows(q.w), rv = RepackRows(v.w);
  parallel::ThreadPool pool(1);
  QuantizedActivations a4(GgmlType::kQ4_K, 256, 1, true);
  a4.Quantize(q.x.data());
  std::vector<float> y(32);
  EXPECT_DEATH(MatMulGroup(pool, "qkv", {{&rq.matrix, y.data()}, {&rv.matrix, y.data() + 16}}, a4),
               "activations do not pair");
}

TEST(MatMul, CheckMatrixRejectsWhatItCannotRun) {
  EXPECT_FALSE(CheckMatrix({GgmlType::kIQ3_S, nullptr, 4, 256}).ok());
  EXPECT_FALSE(CheckMatrix({GgmlType::kQ4_K, nullptr, 4, 100}).ok());
  EXPECT_FALSE(CheckMatrix({GgmlType::kQ8_0, nullptr, 0, 32}).ok());
  EXPECT_TRUE(CheckMatrix({GgmlType::kQ6_K, nullptr, 4, 512}).ok());
}

}  // namespace
}  // namespace quant
