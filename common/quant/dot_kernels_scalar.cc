// Scalar references: per block, integer dot products scaled once, exactly
// the arithmetic the SIMD kernels do in their lanes.
#include <cstring>

#include "common/quant/blocks.h"
#include "common/quant/dot_kernels.h"
#include "common/quant/fp16.h"
#include "common/quant/repack.h"

namespace quant {
namespace {

using gguf::GgmlType;

template <typename RowDot>
void ForAllRows(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act, size_t act_row_bytes,
                int64_t tokens, int64_t n, float* y, int64_t y_stride, RowDot dot) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < tokens; ++t) {
      y[t * y_stride + r] = dot(w + r * row_bytes, act + t * act_row_bytes, n);
    }
  }
}

float DotF32(const uint8_t* w, const uint8_t* a, int64_t n) {
  const float* x = reinterpret_cast<const float*>(w);
  const float* v = reinterpret_cast<const float*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * v[i];
  return sum;
}

float DotF16(const uint8_t* w, const uint8_t* a, int64_t n) {
  const uint16_t* x = reinterpret_cast<const uint16_t*>(w);
  const float* v = reinterpret_cast<const float*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += F16ToF32(x[i]) * v[i];
  return sum;
}

float DotBF16(const uint8_t* w, const uint8_t* a, int64_t n) {
  const uint16_t* x = reinterpret_cast<const uint16_t*>(w);
  const float* v = reinterpret_cast<const float*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += Bf16ToF32(x[i]) * v[i];
  return sum;
}

float DotQ8_0(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockQ8_0* x = reinterpret_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* v = reinterpret_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += x[b].qs[j] * v[b].qs[j];
    sum += F16ToF32(x[b].d) * F16ToF32(v[b].d) * isum;
  }
  return sum;
}

// The 4-bit formats of 32 weights: byte j holds weights j (low nibble) and
// j + 16 (high); Level maps a nibble to its integer value.
template <typename Block, int (*Level)(int)>
float DotNibbles(const uint8_t* w, const uint8_t* a, int64_t n) {
  const Block* x = reinterpret_cast<const Block*>(w);
  const BlockQ8_0* v = reinterpret_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      isum += Level(x[b].qs[j] & 0xF) * v[b].qs[j] + Level(x[b].qs[j] >> 4) * v[b].qs[j + kQK / 2];
    }
    sum += F16ToF32(x[b].d) * F16ToF32(v[b].d) * isum;
  }
  return sum;
}
int Q4_0Level(int q) { return q - 8; }
int IQ4_NLLevel(int q) { return kIQ4NLValues[q]; }
constexpr auto DotQ4_0 = DotNibbles<BlockQ4_0, Q4_0Level>;
constexpr auto DotIQ4_NL = DotNibbles<BlockIQ4_NL, IQ4_NLLevel>;

// Q4_1 and Q5_1: value = d * q + m against Q8_0S activations (scale, sum):
// d * da * sum(q * a) + m * da * sum(a). Code gives weight j's q.
template <typename Block, int (*Code)(const Block&, int j)>
float DotOffset(const uint8_t* w, const uint8_t* a, int64_t n) {
  const Block* x = reinterpret_cast<const Block*>(w);
  const BlockQ8_0S* v = reinterpret_cast<const BlockQ8_0S*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += Code(x[b], j) * v[b].qs[j];
    sum += F16ToF32(x[b].d) * v[b].d * isum + F16ToF32(x[b].m) * v[b].d * v[b].sum;
  }
  return sum;
}
int Q4_1Code(const BlockQ4_1& x, int j) { return Q4Code(x.qs, j); }
int Q5_1Code(const BlockQ5_1& x, int j) { return Q5Code(x.qh, x.qs, j); }
constexpr auto DotQ4_1 = DotOffset<BlockQ4_1, Q4_1Code>;
constexpr auto DotQ5_1 = DotOffset<BlockQ5_1, Q5_1Code>;

float DotQ5_0(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockQ5_0* x = reinterpret_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* v = reinterpret_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += (Q5Code(x[b].qh, x[b].qs, j) - 16) * v[b].qs[j];
    sum += F16ToF32(x[b].d) * F16ToF32(v[b].d) * isum;
  }
  return sum;
}

// Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins (codes from
// blocks.h's KQuantCode).
template <typename Block>
float DotKQuant(const uint8_t* w, const uint8_t* a, int64_t n) {
  const Block* x = reinterpret_cast<const Block*>(w);
  const BlockQ8_K* v = reinterpret_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int isum = 0, imin = 0;
    for (int chunk = 0; chunk < 4; ++chunk) {
      const int8_t* av = v[b].qs + 64 * chunk;
      uint8_t sc_lo, m_lo, sc_hi, m_hi;
      Q4KScaleMin(2 * chunk, x[b].scales, &sc_lo, &m_lo);
      Q4KScaleMin(2 * chunk + 1, x[b].scales, &sc_hi, &m_hi);
      int lo = 0, hi = 0;
      for (int l = 0; l < 32; ++l) {
        lo += KQuantCode(x[b], chunk, l, false) * av[l];
        hi += KQuantCode(x[b], chunk, l, true) * av[l + 32];
      }
      isum += sc_lo * lo + sc_hi * hi;
      imin += m_lo * (v[b].bsums[4 * chunk] + v[b].bsums[4 * chunk + 1]) +
              m_hi * (v[b].bsums[4 * chunk + 2] + v[b].bsums[4 * chunk + 3]);
    }
    sum += v[b].d * (F16ToF32(x[b].d) * isum - F16ToF32(x[b].dmin) * imin);
  }
  return sum;
}
constexpr auto DotQ4_K = DotKQuant<BlockQ4_K>;
constexpr auto DotQ5_K = DotKQuant<BlockQ5_K>;

float DotQ6_K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockQ6_K* x = reinterpret_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* v = reinterpret_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int isum = 0;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[b].ql + 64 * half;
      const uint8_t* qh = x[b].qh + 32 * half;
      const int8_t* sc = x[b].scales + 8 * half;
      const int8_t* av = v[b].qs + 128 * half;
      for (int l = 0; l < 32; ++l) {
        const int g = l / 16;
        const int q1 = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
        const int q2 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
        const int q3 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
        const int q4 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
        isum += sc[g] * q1 * av[l] + sc[g + 2] * q2 * av[l + 32] + sc[g + 4] * q3 * av[l + 64] +
                sc[g + 6] * q4 * av[l + 96];
      }
    }
    int offset = 0;
    for (int g = 0; g < 16; ++g) offset += x[b].scales[g] * v[b].bsums[g];
    sum += F16ToF32(x[b].d) * v[b].d * (isum - 32 * offset);
  }
  return sum;
}

// Q2_K: d * sc * q - dmin * m per sub-block of 16; the mins against the
// activations' sums of 16.
float DotQ2_K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockQ2_K* x = reinterpret_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* v = reinterpret_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int isum = 0, imin = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += Q2KCode(x[b].qs, 16 * g + l) * v[b].qs[16 * g + l];
      isum += (x[b].scales[g] & 0xF) * dot;
      imin += (x[b].scales[g] >> 4) * v[b].bsums[g];
    }
    sum += v[b].d * (F16ToF32(x[b].d) * isum - F16ToF32(x[b].dmin) * imin);
  }
  return sum;
}

// Q3_K: d * sc * (q - 4); the -4 against the activations' sums of 16.
float DotQ3_K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockQ3_K* x = reinterpret_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* v = reinterpret_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int isum = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += Q3KCode(x[b], 16 * g + l) * v[b].qs[16 * g + l];
      isum += Q3KScale(x[b].scales, g) * (dot - 4 * v[b].bsums[g]);
    }
    sum += F16ToF32(x[b].d) * v[b].d * isum;
  }
  return sum;
}

float DotIQ4_XS(const uint8_t* w, const uint8_t* a, int64_t n) {
  const BlockIQ4_XS* x = reinterpret_cast<const BlockIQ4_XS*>(w);
  const BlockQ8_K* v = reinterpret_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int isum = 0;
    for (int ib = 0; ib < 8; ++ib) {
      int dot = 0;
      for (int j = 0; j < kQK; ++j) dot += kIQ4NLValues[Q4Code(x[b].qs + 16 * ib, j)] * v[b].qs[kQK * ib + j];
      isum += IQ4XSScale(x[b], ib) * dot;
    }
    sum += F16ToF32(x[b].d) * v[b].d * isum;
  }
  return sum;
}

// Repacked Q4_K and Q5_K, and IQ4_XS (kLevels; see repack.h): lane i of each
// vector is sub-block i.
template <int kQuantBytes, bool kLevels = false>
float DotQ4_5KR(const uint8_t* w, const uint8_t* a, int64_t n) {
  const int64_t nb = n / kQKK;
  const BlockQ8_KI* v = reinterpret_cast<const BlockQ8_KI*>(a);
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* qs = w + Q4KMetaRegion(nb) + kQuantBytes * b;
    const uint8_t* meta = w + kQ4KMetaBytes * b;
    const bool paired = Q8_KI32Paired(nb, b);
    const int8_t* x = Q8_KI32Base(v, b, paired);
    int acc[8] = {};
    for (int k = 0; k < 8; ++k) {
      for (int i = 0; i < 8; ++i) {
        for (int e = 0; e < 4; ++e) {
          const uint8_t packed = qs[32 * (k % 4) + 4 * i + e];
          int q = k < 4 ? (packed & 0xF) : (packed >> 4);
          if (kQuantBytes > 128) q |= ((qs[128 + 4 * i + e] >> k) & 1) << 4;
          if (kLevels) q = kIQ4NLValues[q];
          acc[i] += q * x[Q8_KI32Offset(paired, k) + 4 * i + e];
        }
      }
    }
    uint16_t d16, dmin16;
    std::memcpy(&d16, meta + 16, 2);
    std::memcpy(&dmin16, meta + 18, 2);
    const float d = F16ToF32(d16), dmin = F16ToF32(dmin16);
    for (int i = 0; i < 8; ++i) {
      // IQ4_XS: signed scales; its levels are the weights, with no mins (meta[8 + i] zero).
      const int scale = kLevels ? static_cast<int8_t>(meta[i]) : meta[i];
      sum += d * scale * v[b].d * acc[i] - dmin * meta[8 + i] * v[b].q4.sums[i];
    }
  }
  return sum;
}
float DotQ4_KR(const uint8_t* w, const uint8_t* a, int64_t n) { return DotQ4_5KR<kQ4KQuantBytes>(w, a, n); }
float DotQ5_KR(const uint8_t* w, const uint8_t* a, int64_t n) { return DotQ4_5KR<kQ5KQuantBytes>(w, a, n); }
float DotIQ4_XSR(const uint8_t* w, const uint8_t* a, int64_t n) { return DotQ4_5KR<kQ4KQuantBytes, true>(w, a, n); }

// Repacked Q6_K (see repack.h): lane i of each half's vectors is group 8h+i.
float DotQ6_KR(const uint8_t* w, const uint8_t* a, int64_t n) {
  const int64_t nb = n / kQKK;
  const BlockQ8_KI* v = reinterpret_cast<const BlockQ8_KI*>(a);
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* ql = w + Q6KMetaRegion(nb) + 192 * b;
    const uint8_t* qh = ql + 128;
    const uint8_t* meta = w + kQ6KMetaBytes * b;
    int acc[16] = {};
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < 4; ++k) {
        for (int j = 0; j < 32; ++j) {
          const uint8_t lo = ql[64 * (k % 2) + 32 * half + j];
          const int low4 = k < 2 ? (lo & 0xF) : (lo >> 4);
          const int high2 = (qh[32 * half + j] >> (2 * k)) & 3;
          acc[8 * half + j / 4] += (low4 | (high2 << 4)) * v[b].qs[64 * k + 32 * half + j];
        }
      }
    }
    uint16_t d16;
    std::memcpy(&d16, meta + 16, 2);
    const float d = F16ToF32(d16);
    const int8_t* scales = reinterpret_cast<const int8_t*>(meta);
    for (int g = 0; g < 16; ++g) sum += d * scales[g] * v[b].d * (acc[g] + v[b].q6_offsets[g]);
  }
  return sum;
}

// Repacked Q3_K and Q2_K (see repack.h): lane i of each half's vectors is
// group 8h+i, as Q6_K's.
template <bool kThirdBit>
float DotQ2_3KR(const uint8_t* w, const uint8_t* a, int64_t n) {
  const int64_t nb = n / kQKK;
  const BlockQ8_KI* v = reinterpret_cast<const BlockQ8_KI*>(a);
  const int64_t meta_region = kThirdBit ? Q6KMetaRegion(nb) : Q2KMetaRegion(nb);
  const int quant_bytes = kThirdBit ? kQ3KQuantBytes : kQ2KQuantBytes;
  const int meta_bytes = kThirdBit ? kQ6KMetaBytes : kQ2KMetaBytes;
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* q = w + meta_region + quant_bytes * b;
    const uint8_t* meta = w + meta_bytes * b;
    int acc[16] = {};
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < 4; ++k) {
        for (int j = 0; j < 32; ++j) {
          int code = (q[32 * half + j] >> (2 * k)) & 3;
          if (kThirdBit) code |= ((q[64 + j] >> (4 * half + k)) & 1) << 2;
          acc[8 * half + j / 4] += code * v[b].qs[64 * k + 32 * half + j];
        }
      }
    }
    uint16_t d16, dmin16;
    std::memcpy(&d16, meta + (kThirdBit ? 16 : 32), 2);  // after 16 scales (and Q2_K's 16 mins)
    std::memcpy(&dmin16, meta + 34, 2);                  // Q2_K's
    const float d = F16ToF32(d16), dmin = F16ToF32(dmin16);
    for (int g = 0; g < 16; ++g) {
      const int group_sum = -v[b].q6_offsets[g] / 32;
      if (kThirdBit) {
        sum += d * static_cast<int8_t>(meta[g]) * v[b].d * (acc[g] - 4 * group_sum);
      } else {
        sum += d * meta[g] * v[b].d * acc[g] - dmin * meta[16 + g] * v[b].d * group_sum;
      }
    }
  }
  return sum;
}
float DotQ3_KR(const uint8_t* w, const uint8_t* a, int64_t n) { return DotQ2_3KR<true>(w, a, n); }
float DotQ2_KR(const uint8_t* w, const uint8_t* a, int64_t n) { return DotQ2_3KR<false>(w, a, n); }

// R8 groups (repack.h): weight 4k+e of row i, unsigned, for block quants q.
inline int Q8_0R8Weight(const uint8_t* q, int i, int j) { return q[32 * (j / 4) + 4 * i + j % 4]; }
inline int Q4_0R8Weight(const uint8_t* q, int i, int j) {
  const uint8_t byte = q[32 * (j % 16 / 4) + 4 * i + j % 4];
  return j < 16 ? byte & 0xF : byte >> 4;
}

inline int Q5_0R8Weight(const uint8_t* q, int i, int j) {
  const int k = j < 16 ? j / 4 : 4 + (j - 16) / 4;
  return Q4_0R8Weight(q, i, j) | ((q[128 + 4 * i + j % 4] >> k) & 1) << 4;
}

// IQ4_NL's level, biased to a byte as Q8_0's are (offset 128).
inline int IQ4_NLR8Weight(const uint8_t* q, int i, int j) { return kIQ4NLValues[Q4_0R8Weight(q, i, j)] + 128; }

// kScaleBytes 32: Q4_1's and Q5_1's minimums follow the scales (weight d * code + m).
template <int (*Weight)(const uint8_t*, int, int), int kQuantBytes, int kOffset, int kScaleBytes = 16>
void RowsR8(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act, size_t act_row_bytes,
            int64_t tokens, int64_t n, float* y, int64_t y_stride) {
  const int64_t nb = n / kQK;
  const size_t group_bytes = row_bytes * 8;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* group = w + (r / 8) * group_bytes;
    const int i = static_cast<int>(r % 8);
    for (int64_t t = 0; t < tokens; ++t) {
      const BlockQ8_0S* a = reinterpret_cast<const BlockQ8_0S*>(act + t * act_row_bytes);
      float sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* q = group + R8MetaRegion(nb, kScaleBytes) + kQuantBytes * b;
        int isum = 0;
        for (int j = 0; j < kQK; ++j) isum += (Weight(q, i, j) - kOffset) * a[b].qs[j];
        uint16_t d16;
        std::memcpy(&d16, group + kScaleBytes * b + 2 * i, 2);
        sum += F16ToF32(d16) * a[b].d * isum;
        if constexpr (kScaleBytes == 32) {
          uint16_t m16;
          std::memcpy(&m16, group + kScaleBytes * b + 16 + 2 * i, 2);
          sum += F16ToF32(m16) * a[b].d * a[b].sum;
        }
      }
      y[t * y_stride + r] = sum;
    }
  }
}

#define APR_SCALAR_KERNEL(Name, Dot)                                                            \
  void Name(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act,               \
            size_t act_row_bytes, int64_t tokens, int64_t n, float* y, int64_t y_stride) {      \
    ForAllRows(w, row_bytes, rows, act, act_row_bytes, tokens, n, y, y_stride, Dot);           \
  }
APR_SCALAR_KERNEL(RowsF32, DotF32)
APR_SCALAR_KERNEL(RowsF16, DotF16)
APR_SCALAR_KERNEL(RowsBF16, DotBF16)
APR_SCALAR_KERNEL(RowsQ8_0, DotQ8_0)
APR_SCALAR_KERNEL(RowsQ4_0, DotQ4_0)
APR_SCALAR_KERNEL(RowsQ5_0, DotQ5_0)
APR_SCALAR_KERNEL(RowsIQ4_NL, DotIQ4_NL)
APR_SCALAR_KERNEL(RowsQ4_1, DotQ4_1)
APR_SCALAR_KERNEL(RowsQ5_1, DotQ5_1)
APR_SCALAR_KERNEL(RowsQ4_K, DotQ4_K)
APR_SCALAR_KERNEL(RowsQ5_K, DotQ5_K)
APR_SCALAR_KERNEL(RowsQ6_K, DotQ6_K)
APR_SCALAR_KERNEL(RowsQ2_K, DotQ2_K)
APR_SCALAR_KERNEL(RowsQ3_K, DotQ3_K)
APR_SCALAR_KERNEL(RowsIQ4_XS, DotIQ4_XS)
APR_SCALAR_KERNEL(RowsQ4_KR, DotQ4_KR)
APR_SCALAR_KERNEL(RowsQ5_KR, DotQ5_KR)
APR_SCALAR_KERNEL(RowsIQ4_XSR, DotIQ4_XSR)
APR_SCALAR_KERNEL(RowsQ6_KR, DotQ6_KR)
APR_SCALAR_KERNEL(RowsQ3_KR, DotQ3_KR)
APR_SCALAR_KERNEL(RowsQ2_KR, DotQ2_KR)
#undef APR_SCALAR_KERNEL

}  // namespace

DotRowsFn ScalarDotKernel(GgmlType type, bool repacked) {
  if (repacked) {
    switch (type) {
      case GgmlType::kQ4_K: return RowsQ4_KR;
      case GgmlType::kQ5_K: return RowsQ5_KR;
      case GgmlType::kIQ4_XS: return RowsIQ4_XSR;
      case GgmlType::kQ6_K: return RowsQ6_KR;
      case GgmlType::kQ3_K: return RowsQ3_KR;
      case GgmlType::kQ2_K: return RowsQ2_KR;
      case GgmlType::kQ8_0: return RowsR8<Q8_0R8Weight, kQ8_0R8QuantBytes, 128>;
      case GgmlType::kQ4_0: return RowsR8<Q4_0R8Weight, kQ4_0R8QuantBytes, 8>;
      case GgmlType::kIQ4_NL: return RowsR8<IQ4_NLR8Weight, kQ4_0R8QuantBytes, 128>;
      case GgmlType::kQ5_0: return RowsR8<Q5_0R8Weight, kQ5_0R8QuantBytes, 16>;
      case GgmlType::kQ4_1: return RowsR8<Q4_0R8Weight, kQ4_0R8QuantBytes, 0, 32>;
      case GgmlType::kQ5_1: return RowsR8<Q5_0R8Weight, kQ5_0R8QuantBytes, 0, 32>;
      default: return nullptr;
    }
  }
  switch (type) {
    case GgmlType::kF32: return RowsF32;
    case GgmlType::kF16: return RowsF16;
    case GgmlType::kBF16: return RowsBF16;
    case GgmlType::kQ8_0: return RowsQ8_0;
    case GgmlType::kQ4_0: return RowsQ4_0;
    case GgmlType::kQ5_0: return RowsQ5_0;
    case GgmlType::kIQ4_NL: return RowsIQ4_NL;
    case GgmlType::kQ4_1: return RowsQ4_1;
    case GgmlType::kQ5_1: return RowsQ5_1;
    case GgmlType::kIQ4_XS: return RowsIQ4_XS;
    case GgmlType::kQ2_K: return RowsQ2_K;
    case GgmlType::kQ3_K: return RowsQ3_K;
    case GgmlType::kQ4_K: return RowsQ4_K;
    case GgmlType::kQ5_K: return RowsQ5_K;
    case GgmlType::kQ6_K: return RowsQ6_K;
    default: return nullptr;
  }
}

}  // namespace quant
