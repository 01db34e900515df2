#include "common/quant/quantize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/quant/fp16.h"
#include "common/simd/float_ops.h"

namespace quant {
namespace {

using gguf::GgmlType;

int Round(float v) { return static_cast<int>(std::nearbyint(v)); }
int Clamp(int v, int lo, int hi) { return std::min(hi, std::max(lo, v)); }

// The value of largest magnitude, sign kept.
float SignedMax(const float* x, int n) {
  float best = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(best)) best = x[i];
  }
  return best;
}

// Symmetric formats: value = d * (q - offset), q in [0, 2 * offset - 1].
template <typename Block>
float SymmetricScale(const float* x, int offset, Block* b) {
  const float d = SignedMax(x, kQK) / -offset;
  b->d = F32ToF16(d);
  return d;
}

void Q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = SymmetricScale(x, 8, &y[i]);
    const float id = d != 0 ? 1.0f / d : 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = Clamp(Round(x[j] * id) + 8, 0, 15);
      const int hi = Clamp(Round(x[j + kQK / 2] * id) + 8, 0, 15);
      y[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void Q5_0(const float* x, BlockQ5_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = SymmetricScale(x, 16, &y[i]);
    const float id = d != 0 ? 1.0f / d : 0;
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = Clamp(Round(x[j] * id) + 16, 0, 31);
      const int hi = Clamp(Round(x[j + kQK / 2] * id) + 16, 0, 31);
      y[i].qs[j] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
      qh |= uint32_t(lo >> 4) << j;
      qh |= uint32_t(hi >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

// Offset formats: value = d * q + m, q in [0, kMax]; m is the block's least
// value, d spans it to the largest.
template <int kMax, typename Block>
void OffsetCodes(const float* x, Block* b, int q[kQK]) {
  float lo = x[0], hi = x[0];
  for (int j = 1; j < kQK; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  b->d = F32ToF16((hi - lo) / kMax);
  b->m = F32ToF16(lo);
  const float d = F16ToF32(b->d), m = F16ToF32(b->m);
  for (int j = 0; j < kQK; ++j) q[j] = d > 0 ? Clamp(Round((x[j] - m) / d), 0, kMax) : 0;
}

void Q4_1(const float* x, BlockQ4_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    int q[kQK];
    OffsetCodes<15>(x, &y[i], q);
    for (int j = 0; j < kQK / 2; ++j) y[i].qs[j] = static_cast<uint8_t>(q[j] | (q[j + kQK / 2] << 4));
  }
}

void Q5_1(const float* x, BlockQ5_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    int q[kQK];
    OffsetCodes<31>(x, &y[i], q);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      y[i].qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + kQK / 2] & 0xF) << 4));
      qh |= uint32_t(q[j] >> 4) << j;
      qh |= uint32_t(q[j + kQK / 2] >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

// The level of kIQ4NLValues nearest v: a binary search over the midpoints
// between neighbouring levels (the levels ascend).
int NearestIQ4NL(float v) {
  static constexpr std::array<float, 15> kMids = [] {
    std::array<float, 15> m{};
    for (int k = 0; k < 15; ++k) m[k] = 0.5f * (kIQ4NLValues[k] + kIQ4NLValues[k + 1]);
    return m;
  }();
  int k = 0;
  for (int half = 8; half > 0; half /= 2) {
    if (v > kMids[k + half - 1]) k += half;  // k + half - 1 <= 14 at every step
  }
  return k;
}

// The scale of least squared error for n weights on IQ4_NL's grid: the
// largest magnitude mapped to either end of the grid (-127 or 113), scaled by
// 0.84 to 1.16, each weight at its nearest level. Round rounds a candidate
// as its format stores it.
template <typename RoundScale>
float BestIQ4NLScale(const float* x, int n, RoundScale round) {
  const float max = SignedMax(x, n);
  float best_d = 0, best_err = INFINITY;
  for (int step = -4; step <= 4 && max != 0; ++step) {
    for (const float end : {-127.0f, 113.0f}) {
      const float d = round(max / end * (1 + 0.04f * step));
      if (d == 0) continue;
      float err = 0;
      for (int j = 0; j < n; ++j) {
        const float e = x[j] - d * kIQ4NLValues[NearestIQ4NL(x[j] / d)];
        err += e * e;
      }
      if (err < best_err) {
        best_err = err;
        best_d = d;
      }
    }
  }
  return best_d;
}

// 32 weights at their nearest levels for step d, in Q4_0's nibble order.
void IQ4NLNibbles(const float* x, float d, uint8_t* qs) {
  const float id = d != 0 ? 1 / d : 0;
  for (int j = 0; j < kQK / 2; ++j) {
    qs[j] = static_cast<uint8_t>(NearestIQ4NL(x[j] * id) | (NearestIQ4NL(x[j + kQK / 2] * id) << 4));
  }
}

void IQ4_NL(const float* x, BlockIQ4_NL* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = BestIQ4NLScale(x, kQK, [](float v) { return F16ToF32(F32ToF16(v)); });
    y[i].d = F32ToF16(d);
    IQ4NLNibbles(x, d, y[i].qs);
  }
}

// IQ4_XS: each sub-block's best scale in float, then the block's d (f16)
// and signed 6-bit multiples of it.
void IQ4_XS(const float* x, BlockIQ4_XS* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float scale[8], max_abs = 0;
    for (int ib = 0; ib < 8; ++ib) {
      scale[ib] = BestIQ4NLScale(x + kQK * ib, kQK, [](float v) { return v; });
      max_abs = std::max(max_abs, std::fabs(scale[ib]));
    }
    y[i].d = F32ToF16(max_abs / 31);
    const float d = F16ToF32(y[i].d);
    y[i].scales_h = 0;
    std::memset(y[i].scales_l, 0, sizeof(y[i].scales_l));
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = d > 0 ? Clamp(Round(scale[ib] / d), -32, 31) + 32 : 32;
      y[i].scales_l[ib / 2] |= static_cast<uint8_t>((ls & 0xF) << (4 * (ib % 2)));
      y[i].scales_h |= static_cast<uint16_t>((ls >> 4) << (2 * ib));
      IQ4NLNibbles(x + kQK * ib, d * (ls - 32), y[i].qs + 16 * ib);
    }
  }
}

// The k-quants with mins: a 256-weight block in sub-blocks of kGroup, each
// with a scale and a min that are kScaleMax-step multiples of the block's d
// and dmin; codes q in [0, kMax] such that value ~ d * sc * q - dmin * m.
// kSearch: each sub-block also tries its range shrunk about its centre
// (2-bit codes gain from clipping the tails; wider codes keep the full range).
struct ScalesMins {
  uint16_t d, dmin;
  uint8_t sc[16], m[16];
};
template <int kGroup, int kMax, int kScaleMax, bool kSearch>
ScalesMins QuantizeScalesMins(const float* x, uint8_t q[kQKK]) {
  constexpr int kGroups = kQKK / kGroup;
  float scale[kGroups], min[kGroups];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kGroups; ++j) {
    const float* s = x + kGroup * j;
    float lo = 0, hi = s[0];
    for (int l = 0; l < kGroup; ++l) {
      lo = std::min(lo, s[l]);
      hi = std::max(hi, s[l]);
    }
    scale[j] = (hi - lo) / kMax;
    min[j] = -lo;
    float best_err = INFINITY;
    for (int shrink = 0; kSearch && shrink <= 6 && hi > lo; ++shrink) {
      const float f = 1 - 0.05f * shrink, centre = 0.5f * (hi + lo);
      const float lo_f = std::min(0.0f, centre - f * 0.5f * (hi - lo));
      const float step = (centre + f * 0.5f * (hi - lo) - lo_f) / kMax;
      float err = 0;
      for (int l = 0; l < kGroup; ++l) {
        const float e = s[l] - (lo_f + step * Clamp(Round((s[l] - lo_f) / step), 0, kMax));
        err += e * e;
      }
      if (err < best_err) {
        best_err = err;
        scale[j] = step;
        min[j] = -lo_f;
      }
    }
    max_scale = std::max(max_scale, scale[j]);
    max_min = std::max(max_min, min[j]);
  }
  ScalesMins out;
  const float d = max_scale / kScaleMax, dmin = max_min / kScaleMax;
  out.d = F32ToF16(d);
  out.dmin = F32ToF16(dmin);
  const float d16 = F16ToF32(out.d), dmin16 = F16ToF32(out.dmin);
  for (int j = 0; j < kGroups; ++j) {
    out.sc[j] = static_cast<uint8_t>(d > 0 ? Clamp(Round(scale[j] / d), 0, kScaleMax) : 0);
    out.m[j] = static_cast<uint8_t>(dmin > 0 ? Clamp(Round(min[j] / dmin), 0, kScaleMax) : 0);
    const float step = d16 * out.sc[j], offset = dmin16 * out.m[j];
    for (int l = 0; l < kGroup; ++l) {
      const float v = x[kGroup * j + l];
      q[kGroup * j + l] = static_cast<uint8_t>(step > 0 ? Clamp(Round((v + offset) / step), 0, kMax) : 0);
    }
  }
  return out;
}

// Q4_K's and Q5_K's shared part: 8 sub-blocks of 32 with 6-bit scales and
// mins packed in 12 bytes (blocks.h).
template <int kMax, typename Block>
void KQuantScalesMins(const float* x, Block* y, uint8_t q[kQKK]) {
  const ScalesMins s = QuantizeScalesMins<32, kMax, 63, false>(x, q);
  y->d = s.d;
  y->dmin = s.dmin;
  std::memset(y->scales, 0, 12);
  for (int j = 0; j < 4; ++j) {
    y->scales[j] = s.sc[j];
    y->scales[j + 4] = s.m[j];
  }
  for (int j = 4; j < 8; ++j) {
    y->scales[j + 4] = static_cast<uint8_t>((s.sc[j] & 0xF) | ((s.m[j] & 0xF) << 4));
    y->scales[j - 4] |= static_cast<uint8_t>((s.sc[j] >> 4) << 6);
    y->scales[j] |= static_cast<uint8_t>((s.m[j] >> 4) << 6);
  }
}

// Q2_K: 4-bit scales and mins, one byte a sub-block of 16; 2-bit codes in
// Q2KCode's order.
void Q2_K(const float* x, BlockQ2_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    uint8_t q[kQKK];
    const ScalesMins s = QuantizeScalesMins<16, 3, 15, true>(x, q);
    y[i].d = s.d;
    y[i].dmin = s.dmin;
    for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<uint8_t>(s.sc[j] | (s.m[j] << 4));
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    for (int w = 0; w < kQKK; ++w) OrQ2KCode(y[i].qs, w, q[w]);
  }
}

// Q3_K: per sub-block of 16 the scale of least squared error among the
// largest magnitude mapped to code -4, shrunk by up to 30%; then signed
// 6-bit multiples of the block's d.
void Q3_K(const float* x, BlockQ3_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float scale[16], max_abs = 0;
    for (int g = 0; g < 16; ++g) {
      const float* s = x + 16 * g;
      const float top = SignedMax(s, 16) / -4;
      float best_err = INFINITY;
      scale[g] = top;
      for (int shrink = 0; shrink <= 6 && top != 0; ++shrink) {
        const float step = top * (1 - 0.05f * shrink);
        float err = 0;
        for (int l = 0; l < 16; ++l) {
          const float e = s[l] - step * Clamp(Round(s[l] / step), -4, 3);
          err += e * e;
        }
        if (err < best_err) {
          best_err = err;
          scale[g] = step;
        }
      }
      max_abs = std::max(max_abs, std::fabs(scale[g]));
    }
    y[i].d = F32ToF16(max_abs / 31);
    const float d = F16ToF32(y[i].d);
    std::memset(y[i].scales, 0, sizeof(y[i].scales));
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    for (int g = 0; g < 16; ++g) {
      const int sc = d > 0 ? Clamp(Round(scale[g] / d), -32, 31) : 0;
      const int biased = sc + 32;
      if (g < 8) {
        y[i].scales[g] |= static_cast<uint8_t>(biased & 0xF);
      } else {
        y[i].scales[g - 8] |= static_cast<uint8_t>((biased & 0xF) << 4);
      }
      y[i].scales[8 + g % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (g / 4)));
      const float step = d * sc;
      for (int l = 0; l < 16; ++l) {
        const int w = 16 * g + l;
        const int code = step != 0 ? Clamp(Round(x[w] / step), -4, 3) + 4 : 4;
        OrQ2KCode(y[i].qs, w, code);
        y[i].hmask[w % 32] |= static_cast<uint8_t>((code >> 2) << (w / 32));
      }
    }
  }
}

void Q4_K(const float* x, BlockQ4_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    uint8_t q[kQKK];
    KQuantScalesMins<15>(x, &y[i], q);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>(q[64 * chunk + l] | (q[64 * chunk + 32 + l] << 4));
      }
    }
  }
}

// Q5_K: Q4_K's nibbles plus a fifth bit of each weight in qh: bit 2c of
// qh[l] for weight l of 64-weight chunk c, bit 2c + 1 for weight 32 + l.
void Q5_K(const float* x, BlockQ5_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    uint8_t q[kQKK];
    KQuantScalesMins<31>(x, &y[i], q);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = q[64 * chunk + l], hi = q[64 * chunk + 32 + l];
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        y[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

void Q6_K(const float* x, BlockQ6_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float scale[16];
    float max_abs = 0;
    for (int g = 0; g < 16; ++g) {
      scale[g] = SignedMax(x + 16 * g, 16) / -32;
      max_abs = std::max(max_abs, std::fabs(scale[g]));
    }
    const float d = max_abs / 127;
    y[i].d = F32ToF16(d);
    const float d16 = F16ToF32(y[i].d);
    uint8_t q[kQKK];
    for (int g = 0; g < 16; ++g) {
      y[i].scales[g] = static_cast<int8_t>(d > 0 ? Clamp(Round(scale[g] / d), -127, 127) : 0);
      const float step = d16 * y[i].scales[g];
      for (int l = 0; l < 16; ++l) {
        q[16 * g + l] = static_cast<uint8_t>(step != 0 ? Clamp(Round(x[16 * g + l] / step) + 32, 0, 63) : 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const uint8_t* h = q + 128 * half;
      uint8_t* ql = y[i].ql + 64 * half;
      uint8_t* qh = y[i].qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((h[l] & 0xF) | ((h[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((h[l + 32] & 0xF) | ((h[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((h[l] >> 4) | ((h[l + 32] >> 4) << 2) | ((h[l + 64] >> 4) << 4) |
                                     ((h[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

void QuantizeQ8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0;
    y[i].d = F32ToF16(d);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = static_cast<int8_t>(Clamp(Round(x[j] * id), -127, 127));
  }
}

void QuantizeQ8_K(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0;
    for (int j = 0; j < kQKK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0;
    y[i].d = d;
    for (int g = 0; g < kQKK / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) {
        const int q = Clamp(Round(x[16 * g + l] * id), -127, 127);
        y[i].qs[16 * g + l] = static_cast<int8_t>(q);
        sum += q;
      }
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
  }
}

absl::Status QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n) {
  const gguf::TensorTypeInfo& info = gguf::TypeInfo(type);
  if (n < 0 || n % info.block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(n, " weights are not whole ", info.name, " blocks"));
  }
  const int64_t nb = n / info.block_size;
  switch (type) {
    case GgmlType::kF32: std::memcpy(dst, src, n * 4); break;
    case GgmlType::kF16: simd::BestFloatOps().to_half(src, static_cast<uint16_t*>(dst), n); break;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = F32ToBf16(src[i]);
      break;
    case GgmlType::kQ8_0: QuantizeQ8_0(src, static_cast<BlockQ8_0*>(dst), n); break;
    case GgmlType::kQ4_0: Q4_0(src, static_cast<BlockQ4_0*>(dst), nb); break;
    case GgmlType::kQ5_0: Q5_0(src, static_cast<BlockQ5_0*>(dst), nb); break;
    case GgmlType::kQ4_1: Q4_1(src, static_cast<BlockQ4_1*>(dst), nb); break;
    case GgmlType::kQ5_1: Q5_1(src, static_cast<BlockQ5_1*>(dst), nb); break;
    case GgmlType::kIQ4_NL: IQ4_NL(src, static_cast<BlockIQ4_NL*>(dst), nb); break;
    case GgmlType::kIQ4_XS: IQ4_XS(src, static_cast<BlockIQ4_XS*>(dst), nb); break;
    case GgmlType::kQ2_K: Q2_K(src, static_cast<BlockQ2_K*>(dst), nb); break;
    case GgmlType::kQ3_K: Q3_K(src, static_cast<BlockQ3_K*>(dst), nb); break;
    case GgmlType::kQ4_K: Q4_K(src, static_cast<BlockQ4_K*>(dst), nb); break;
    case GgmlType::kQ5_K: Q5_K(src, static_cast<BlockQ5_K*>(dst), nb); break;
    case GgmlType::kQ6_K: Q6_K(src, static_cast<BlockQ6_K*>(dst), nb); break;
    default:
      return absl::UnimplementedError(absl::StrCat("no quantizer for tensor type ", info.name));
  }
  return absl::OkStatus();
}

}  // namespace quant
