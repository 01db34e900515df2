#include "common/simd/float_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/quant/fp16.h"
#include "gtest/gtest.h"

namespace simd {
namespace {

// Every version this CPU runs, the reference first.
std::vector<const FloatOps*> AllOps() {
  std::vector<const FloatOps*> all = {&ScalarFloatOps()};
  if (cpu::GetCpuFeatures().HasAvx2Fma()) all.push_back(&Avx2FloatOps());
  if (cpu::GetCpuFeatures().HasAvx512Vnni()) all.push_back(&Avx512FloatOps());
  if (cpu::GetCpuFeatures().HasAmxBf16()) all.push_back(&AmxFloatOps());
  return all;
}

TEST(FloatOps, EveryVersionMatchesTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 64, 128, 131}) {
    std::vector<float> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) a[i] = u(rng), b[i] = u(rng);
    double exact = 0;
    for (int64_t i = 0; i < n; ++i) exact += double(a[i]) * b[i];
    for (const FloatOps* ops : all) {
      EXPECT_NEAR(ops->dot(a.data(), b.data(), n), exact, 1e-5 * (1 + n)) << ops->isa << " n=" << n;
      std::vector<float> y = b;
      ops->axpy(0.5f, a.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]) << ops->isa;
    }
  }
}

// Rope turns each pair by its angle (checked in double) and every version
// gives the reference's bits, for both pairings, several heads, and head
// sizes with and without a vector's multiple.
TEST(FloatOps, RopeTurnsEachPairAndMatchesTheReferenceBits) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-4, 4), angle(-3.14f, 3.14f);
  for (int64_t hd : {2, 6, 16, 64, 80, 128, 256}) {
    for (bool neox : {false, true}) {
      const int64_t heads = 3, half = hd / 2;
      std::vector<float> x(heads * hd), cos(half), sin(half);
      for (float& v : x) v = u(rng);
      for (int64_t i = 0; i < half; ++i) {
        const float a = angle(rng);
        cos[i] = std::cos(a), sin[i] = std::sin(a);
      }
      std::vector<float> ref = x;
      ScalarFloatOps().rope(ref.data(), heads, cos.data(), sin.data(), hd, neox);
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t i = 0; i < half; ++i) {
          const int64_t a = h * hd + (neox ? i : 2 * i), b = h * hd + (neox ? i + half : 2 * i + 1);
          EXPECT_NEAR(ref[a], double(x[a]) * cos[i] - double(x[b]) * sin[i], 1e-5) << hd << " " << neox;
          EXPECT_NEAR(ref[b], double(x[a]) * sin[i] + double(x[b]) * cos[i], 1e-5) << hd << " " << neox;
        }
      }
      for (const FloatOps* ops : all) {
        std::vector<float> y = x;
        ops->rope(y.data(), heads, cos.data(), sin.data(), hd, neox);
        EXPECT_EQ(0, std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)))
            << ops->isa << " hd " << hd << " neox " << neox;
      }
    }
  }
}

// Every version's halves are the reference's for every float but NaNs
// (which stay NaN): ties, subnormals, overflow, signed zeros, random bits.
TEST(FloatOps, ToHalfRoundsAsTheReference) {
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -70000.0f,
                          std::ldexp(1.0f, -24), std::ldexp(1.0f, -25), std::ldexp(3.0f, -26), std::ldexp(1.0f, -14),
                          std::ldexp(1023.5f, -24), 1.0f + std::ldexp(1.0f, -11), 1.0f + std::ldexp(3.0f, -11),
                          INFINITY, -INFINITY};
  std::mt19937 rng(5);
  for (int i = 0; i < 4000; ++i) {
    const uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (!std::isnan(f)) x.push_back(i % 2 ? f : std::ldexp(std::fmod(f, 1.0f), int(rng() % 40) - 30));
  }
  x.push_back(NAN);
  std::vector<uint16_t> ref(x.size());
  for (size_t i = 0; i < x.size(); ++i) ref[i] = quant::F32ToF16(x[i]);
  for (const FloatOps* ops : AllOps()) {
    for (int64_t n : {int64_t(x.size()), int64_t(7)}) {
      std::vector<uint16_t> out(n);
      ops->to_half(x.data(), out.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) {
          EXPECT_TRUE(std::isnan(quant::F16ToF32(out[i]))) << ops->isa;
        } else {
          ASSERT_EQ(out[i], ref[i]) << ops->isa << " x " << x[i];
        }
      }
    }
  }
}

// The vectorised exponential agrees with std::exp to a few float roundings,
// across the range SiLU and softmax see and beyond it (large magnitudes
// saturate as std::exp does: silu(g) -> g or -0, softmax weights -> 0).
// GELU as a logistic equals its tanh form, 0.5 g (1 + tanh(sqrt(2/pi) (g +
// 0.044715 g^3))), computed here in double.
TEST(FloatOps, GeluMulIsTheTanhForm) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(7);
  for (float range : {1.0f, 6.0f, 60.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 131}) {
      std::vector<float> g(n), up(n), out(n);
      for (int64_t i = 0; i < n; ++i) g[i] = u(rng), up[i] = u(rng);
      for (const FloatOps* ops : all) {
        ops->gelu_mul(g.data(), up.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double x = g[i];
          const double want = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))) * up[i];
          ASSERT_NEAR(out[i], want, 2e-6 * std::fabs(x * up[i]) + 1e-30) << ops->isa << " g=" << g[i];
        }
      }
    }
  }
}

// A cache of `rows` rows of hd values in `element`, with the float each
// stored value decodes to (the widening of F16 and BF16 is exact, as is
// Q8_0's d * q in float).
struct TypedRows {
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;  // rows x stride floats
  size_t row_bytes;
};

TypedRows MakeRows(KvElement element, int64_t rows, int64_t hd, int64_t stride, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> code(-128, 127);
  const size_t element_bytes = element == KvElement::kF32 ? 4 : 2;
  // Rows longer than their values, as a cache's rows of one head are not.
  TypedRows t;
  t.row_bytes = element == KvElement::kQ8_0 ? size_t(stride / 32) * 34 : size_t(stride) * element_bytes;
  t.bytes.assign(rows * t.row_bytes, 0);
  t.decoded.assign(rows * stride, 0.0f);
  for (int64_t j = 0; j < rows; ++j) {
    uint8_t* row = t.bytes.data() + j * t.row_bytes;
    float* out = t.decoded.data() + j * stride;
    for (int64_t i = 0; i < hd; ++i) {
      const float x = normal(rng);
      if (element == KvElement::kF32) {
        std::memcpy(row + 4 * i, &x, 4);
        out[i] = x;
      } else if (element == KvElement::kF16 || element == KvElement::kBF16) {
        const uint16_t bits = element == KvElement::kF16 ? quant::F32ToF16(x) : quant::F32ToBf16(x);
        std::memcpy(row + 2 * i, &bits, 2);
        out[i] = element == KvElement::kF16 ? quant::F16ToF32(bits) : quant::Bf16ToF32(bits);
      } else {
        uint8_t* block = row + (i / 32) * 34;
        if (i % 32 == 0) {
          const uint16_t d = quant::F32ToF16(std::fabs(normal(rng)) / 64.0f);
          std::memcpy(block, &d, 2);
        }
        uint16_t d;
        std::memcpy(&d, block, 2);
        // The extreme codes appear in every block.
        const int q = i % 32 == 0 ? -128 : i % 32 == 1 ? 127 : code(rng);
        block[2 + i % 32] = static_cast<uint8_t>(static_cast<int8_t>(q));
        out[i] = quant::F16ToF32(d) * static_cast<float>(q);
      }
    }
  }
  return t;
}

// The queries as attention scores them against keys of `element`: each
// row of hd values (rows `stride` apart) rounded to Q8_0 against Q8_0 keys,
// as they are otherwise.
std::vector<float> QueriesAsScored(KvElement element, const std::vector<float>& q, int64_t hd, int64_t stride) {
  std::vector<float> scored = q;
  if (element != KvElement::kQ8_0) return scored;
  std::vector<int8_t> codes(hd);
  std::vector<float> scales(hd / 32);
  std::vector<int32_t> sums(hd / 32);
  for (size_t row = 0; row + hd <= q.size(); row += stride) {
    RoundToQ8_0(q.data() + row, hd, codes.data(), scales.data(), sums.data());
    for (int64_t i = 0; i < hd; ++i) scored[row + i] = scales[i / 32] * float(codes[i]);
  }
  return scored;
}

// How near attention's outputs (and log-sum-exps) come to the reference:
// float versions to 1e-5 relative; the AMX version's bfloat16 pairs carry 16
// of a float's 24 bits, each product within 2^-16 (a score over hd = 128
// normal values within about 1e-4 at worst), measured at most 2.2e-5 here.
double AttentionTolerance(const FloatOps& ops) { return std::string(ops.isa) == "amx" ? 1e-4 : 1e-5; }

TEST(FloatOps, RoundToQ8_0IsWithinHalfAStep) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(96);
  for (float& v : x) v = 4 * normal(rng);
  for (int i = 64; i < 96; ++i) x[i] = 0;  // an all-zero block
  x[5] = -20;                              // the first block's largest magnitude
  std::vector<int8_t> codes(96);
  std::vector<float> scales(3);
  std::vector<int32_t> sums(3);
  RoundToQ8_0(x.data(), 96, codes.data(), scales.data(), sums.data());
  EXPECT_EQ(codes[5], -127);
  EXPECT_FLOAT_EQ(scales[0], 20.0f / 127);
  EXPECT_EQ(scales[2], 0.0f);
  for (int64_t b = 0; b < 3; ++b) {
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      const int64_t k = 32 * b + i;
      ASSERT_LE(std::fabs(scales[b] * codes[k] - x[k]), scales[b] / 2 * (1 + 1e-6f)) << k;
      ASSERT_LE(std::abs(int(codes[k])), 127);
      sum += codes[k];
    }
    EXPECT_EQ(sums[b], sum);
  }
}

// Attention over a typed cache computes what attention over the decoded
// floats does (only summation order differs), for every element type of the
// keys and of the values and every version, with the queries as scored
// (QueriesAsScored); lse is the log-sum-exp of the scores, computed here in
// double. Keys and values of different types run fewer shapes.
TEST(FloatOps, AttendKvEqualsAttendGroupOnTheDecodedCache) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  constexpr KvElement kElements[] = {KvElement::kF32, KvElement::kF16, KvElement::kBF16, KvElement::kQ8_0};
  for (KvElement key_element : kElements) {
    for (KvElement value_element : kElements) {
      const bool mixed = key_element != value_element;
      const bool q8 = key_element == KvElement::kQ8_0 || value_element == KvElement::kQ8_0;
      for (int64_t hd : {64, 96, 80, 72, 6, 128}) {
        if ((q8 && hd % 32 != 0) || (mixed && hd == 96)) continue;
        for (int64_t seen : {1, 5, 37, 70}) {
          for (int64_t heads : {1, 3, 6, 7, 9}) {  // 7: two passes over rows read in place; 9: widened
            if (mixed && (heads == 3 || seen == 5)) continue;
            const int64_t stride = q8 ? hd + 32 : hd + 8;
            const TypedRows keys = MakeRows(key_element, seen, hd, stride, rng);
            const TypedRows values = MakeRows(value_element, seen, hd, stride, rng);
            std::vector<float> raw(heads * hd);
            for (float& v : raw) v = normal(rng);
            const std::vector<float> q = QueriesAsScored(key_element, raw, hd, hd);
            std::vector<double> want_lse(heads);
            for (int64_t h = 0; h < heads; ++h) {
              std::vector<double> s(seen);
              for (int64_t j = 0; j < seen; ++j) {
                for (int64_t i = 0; i < hd; ++i) s[j] += double(q[h * hd + i]) * keys.decoded[j * stride + i];
                s[j] *= 0.125;
              }
              double max = s[0], sum = 0;
              for (double v : s) max = std::max(max, v);
              for (double v : s) sum += std::exp(v - max);
              want_lse[h] = max + std::log(sum);
            }
            const KvRows k_rows{keys.bytes.data(), keys.row_bytes, key_element};
            const KvRows v_rows{values.bytes.data(), values.row_bytes, value_element};
            for (const FloatOps* ops : all) {
              std::vector<float> scores(heads * seen), want(heads * hd), got(heads * hd), lse(heads);
              ScalarFloatOps().attend_group(q.data(), heads, keys.decoded.data(), values.decoded.data(), stride, seen,
                                            hd, 0.125f, scores.data(), want.data());
              const int64_t begin = 0, end = seen;
              ops->attend_kv(raw.data(), heads * hd, 1, heads, k_rows, v_rows, &begin, &end, hd, 0.125f, got.data(),
                             heads * hd, lse.data());
              for (size_t i = 0; i < want.size(); ++i) {
                ASSERT_NEAR(got[i], want[i], AttentionTolerance(*ops) * (1 + std::fabs(want[i])))
                    << ops->isa << " keys " << int(key_element) << " values " << int(value_element) << " hd " << hd
                    << " seen " << seen << " heads " << heads;
              }
              for (int64_t h = 0; h < heads; ++h) {
                ASSERT_NEAR(lse[h], want_lse[h], AttentionTolerance(*ops) * (1 + std::fabs(want_lse[h]))) << ops->isa;
              }
            }
          }
        }
      }
    }
  }
}

TEST(FloatOps, MergedPartsEqualTheWholeContext) {
  std::mt19937 rng(13);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t hd = 64, seen = 101;
  const TypedRows keys = MakeRows(KvElement::kF16, seen, hd, hd, rng);
  const TypedRows values = MakeRows(KvElement::kF16, seen, hd, hd, rng);
  std::vector<float> q(hd);
  for (float& v : q) v = 3 * normal(rng);  // peaked scores: the parts' maxima differ
  for (const FloatOps* ops : AllOps()) {
    std::vector<float> whole(hd), merged(hd);
    const KvRows k{keys.bytes.data(), keys.row_bytes, KvElement::kF16};
    const KvRows v{values.bytes.data(), values.row_bytes, KvElement::kF16};
    const int64_t zero = 0;
    ops->attend_kv(q.data(), hd, 1, 1, k, v, &zero, &seen, hd, 0.125f, whole.data(), hd, nullptr);
    for (int64_t parts : {1, 2, 3, 7}) {
      std::vector<float> outs(parts * hd), lse(parts);
      for (int64_t p = 0; p < parts; ++p) {
        const int64_t first = seen * p / parts, last = seen * (p + 1) / parts;
        ops->attend_kv(q.data(), hd, 1, 1, k, v, &first, &last, hd, 0.125f, outs.data() + p * hd, hd, lse.data() + p);
      }
      MergeAttention(outs.data(), hd, lse.data(), 1, parts, hd, merged.data());
      for (int64_t i = 0; i < hd; ++i) {
        ASSERT_NEAR(merged[i], whole[i], 1e-5f * (1 + std::fabs(whole[i]))) << ops->isa << " parts " << parts;
      }
    }
  }
}

// Several query tokens at once, each over its own causal range (and, with a
// window, from its own first position), rows strided as a batch's are: each
// token's outputs are what attention of that token alone over its range
// gives, in every element type (and mixes of keys and values) and version.
TEST(FloatOps, TokensAttendTheirOwnRanges) {
  std::mt19937 rng(17);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t hd = 64, heads = 3, tokens = 9, cached = 70, q_stride = heads * hd + 8, out_stride = heads * hd + 16;
  const std::pair<KvElement, KvElement> kTypes[] = {
      {KvElement::kF32, KvElement::kF32},  {KvElement::kF16, KvElement::kF16}, {KvElement::kQ8_0, KvElement::kQ8_0},
      {KvElement::kQ8_0, KvElement::kF16}, {KvElement::kF16, KvElement::kQ8_0}, {KvElement::kBF16, KvElement::kF32}};
  for (auto [element, value_element] : kTypes) {
    const TypedRows keys = MakeRows(element, cached + tokens, hd, hd, rng);
    const TypedRows values = MakeRows(value_element, cached + tokens, hd, hd, rng);
    std::vector<float> raw(tokens * q_stride);
    for (float& v : raw) v = 2 * normal(rng);
    std::vector<float> q(raw.size());
    for (int64_t t = 0; t < tokens; ++t) {
      const std::vector<float> row(raw.begin() + t * q_stride, raw.begin() + t * q_stride + heads * hd);
      const std::vector<float> scored = QueriesAsScored(element, row, hd, hd);
      std::copy(scored.begin(), scored.end(), q.begin() + t * q_stride);
    }
    for (int64_t window : {0, 40}) {
      std::vector<int64_t> begin(tokens), end(tokens);
      for (int64_t t = 0; t < tokens; ++t) {
        end[t] = cached + t + 1;
        begin[t] = window > 0 ? std::max<int64_t>(0, end[t] - window) : 0;
      }
      const KvRows k{keys.bytes.data(), keys.row_bytes, element};
      const KvRows v{values.bytes.data(), values.row_bytes, value_element};
      for (const FloatOps* ops : AllOps()) {
        std::vector<float> got(tokens * out_stride), lse(tokens * heads);
        ops->attend_kv(raw.data(), q_stride, tokens, heads, k, v, begin.data(), end.data(), hd, 0.125f, got.data(),
                       out_stride, lse.data());
        for (int64_t t = 0; t < tokens; ++t) {
          std::vector<float> scores(heads * (end[t] - begin[t])), want(heads * hd);
          ScalarFloatOps().attend_group(q.data() + t * q_stride, heads, keys.decoded.data() + begin[t] * hd,
                                        values.decoded.data() + begin[t] * hd, hd, end[t] - begin[t], hd, 0.125f,
                                        scores.data(), want.data());
          for (int64_t i = 0; i < heads * hd; ++i) {
            ASSERT_NEAR(got[t * out_stride + i], want[i], AttentionTolerance(*ops) * (1 + std::fabs(want[i])))
                << ops->isa << " keys " << int(element) << " values " << int(value_element) << " window " << window
                << " token " << t;
          }
        }
      }
    }
  }
}

TEST(FloatOps, SiluMulAndSoftmaxMatchTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(5);
  for (float range : {1.0f, 10.0f, 120.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 64, 131}) {
      std::vector<float> g(n), up(n), ref(n), out(n), x(n);
      for (int64_t i = 0; i < n; ++i) g[i] = u(rng), up[i] = u(rng), x[i] = u(rng);
      ScalarFloatOps().silu_mul(g.data(), up.data(), ref.data(), n);
      std::vector<float> soft_ref = x;
      ScalarFloatOps().softmax(soft_ref.data(), n);
      for (const FloatOps* ops : all) {
        ops->silu_mul(g.data(), up.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_NEAR(out[i], ref[i], 1e-6f * std::fabs(ref[i]) + 1e-30f) << ops->isa << " g=" << g[i];
        }
        std::vector<float> soft = x;
        ops->softmax(soft.data(), n);
        double total = 0;
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_NEAR(soft[i], soft_ref[i], 1e-6f * soft_ref[i] + 1e-30f) << ops->isa << " x=" << x[i];
          total += soft[i];
        }
        EXPECT_NEAR(total, 1.0, 1e-5) << ops->isa;
      }
    }
  }
}

TEST(FloatOps, RmsNormMatchesTheDefinition) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(11);
  for (float range : {1e-3f, 1.0f, 300.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 64, 1536, 1539}) {
      std::vector<float> x(n), w(n), y(n);
      double squares = 0;
      for (int64_t i = 0; i < n; ++i) x[i] = u(rng), w[i] = u(rng) / range, squares += double(x[i]) * x[i];
      const float eps = 1e-6f;
      const double scale = 1.0 / std::sqrt(squares / n + eps);
      for (const FloatOps* ops : all) {
        ops->rms_norm(x.data(), w.data(), eps, n, y.data());
        for (int64_t i = 0; i < n; ++i) {
          const double expect = x[i] * scale * w[i];
          ASSERT_NEAR(y[i], expect, 1e-6 * std::fabs(expect) + 1e-30) << ops->isa << " n " << n << " at " << i;
        }
      }
    }
  }
}

// Plain double-precision attention of one head.
std::vector<double> ReferenceAttention(const float* q, const float* keys, const float* values, int64_t stride,
                                       int64_t seen, int64_t hd, float scale) {
  std::vector<double> p(seen), out(hd, 0.0);
  double mx = -1e300, total = 0;
  for (int64_t j = 0; j < seen; ++j) {
    double d = 0;
    for (int64_t i = 0; i < hd; ++i) d += double(q[i]) * keys[j * stride + i];
    mx = std::max(mx, p[j] = d * scale);
  }
  for (double& v : p) total += (v = std::exp(v - mx));
  for (int64_t j = 0; j < seen; ++j) {
    for (int64_t i = 0; i < hd; ++i) out[i] += p[j] / total * values[j * stride + i];
  }
  return out;
}

TEST(FloatOps, AttendMatchesTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0, 1);
  for (int64_t hd : {6, 8, 64, 80, 128}) {
    for (int64_t seen : {1, 3, 4, 9, 12, 15, 130}) {
      const int64_t stride = 3 * hd + 8;  // heads of other positions in between
      std::vector<float> q(hd), keys(seen * stride), values(seen * stride);
      for (float& v : q) v = normal(rng);
      for (float& v : keys) v = normal(rng);
      for (float& v : values) v = normal(rng);
      const float scale = 1.0f / std::sqrt(float(hd));
      const std::vector<double> expect = ReferenceAttention(q.data(), keys.data(), values.data(), stride, seen, hd, scale);
      for (const FloatOps* ops : all) {
        std::vector<float> scores(seen), out(hd, NAN);
        ops->attend(q.data(), keys.data(), values.data(), stride, seen, hd, scale, scores.data(), out.data());
        for (int64_t i = 0; i < hd; ++i) {
          ASSERT_NEAR(out[i], expect[i], 1e-5) << ops->isa << " hd " << hd << " seen " << seen << " at " << i;
        }
      }
    }
  }
}

TEST(FloatOps, AttendGroupIsEachHeadsAttention) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(10);
  std::normal_distribution<float> normal(0, 1);
  for (int64_t hd : {6, 8, 40, 64, 128}) {  // 40: a last chunk of fewer than 32 outputs
    for (int64_t heads : {1, 2, 3, 6}) {  // odd counts: one head alone at the end
      for (int64_t seen : {1, 5, 8, 130}) {
        const int64_t stride = 2 * hd + 8;
        std::vector<float> q(heads * hd), keys(seen * stride), values(seen * stride);
        for (float& v : q) v = normal(rng);
        for (float& v : keys) v = normal(rng);
        for (float& v : values) v = normal(rng);
        const float scale = 1.0f / std::sqrt(float(hd));
        for (const FloatOps* ops : all) {
          std::vector<float> scores(heads * seen), out(heads * hd, NAN);
          ops->attend_group(q.data(), heads, keys.data(), values.data(), stride, seen, hd, scale, scores.data(),
                            out.data());
          for (int64_t h = 0; h < heads; ++h) {
            const std::vector<double> expect =
                ReferenceAttention(q.data() + h * hd, keys.data(), values.data(), stride, seen, hd, scale);
            for (int64_t i = 0; i < hd; ++i) {
              ASSERT_NEAR(out[h * hd + i], expect[i], 1e-5)
                  << ops->isa << " hd " << hd << " heads " << heads << " seen " << seen << " head " << h;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace simd
