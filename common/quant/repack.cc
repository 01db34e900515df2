#include "common/quant/repack.h"

#include <cstring>

#include "common/quant/fp16.h"
#include "common/quant/quantize.h"

namespace quant {

namespace {

// A block's codes of 8 sub-blocks of 32 as P_0..P_3, the fifth bits after
// them if `fifth_bit` (repack.h).
void WriteSub32Codes(const uint8_t (&q)[8][32], bool fifth_bit, uint8_t* out) {
  for (int k = 0; k < 8; ++k) {
    for (int i = 0; i < 8; ++i) {
      for (int e = 0; e < 4; ++e) {
        const uint8_t code = q[i][4 * k + e];  // V_k's byte 4i+e
        out[32 * (k % 4) + 4 * i + e] |= static_cast<uint8_t>((code & 0xF) << (k < 4 ? 0 : 4));
        if (fifth_bit) out[128 + 4 * i + e] |= static_cast<uint8_t>((code >> 4) << k);
      }
    }
  }
}

// Q4_K and Q5_K: the low 4 bits of each code as P_0..P_3, Q5_K's fifth bits
// after them (repack.h).
template <class Block, gguf::GgmlType kType>
void RepackQ4_5KRow(const Block* src, int64_t nb, uint8_t* dst) {
  constexpr int kQuantBytes = kType == gguf::GgmlType::kQ5_K ? kQ5KQuantBytes : kQ4KQuantBytes;
  uint8_t* meta = dst;
  uint8_t* quants = dst + Q4KMetaRegion(nb);
  std::memset(dst, 0, RepackedRowBytes(kType, nb));
  for (int64_t b = 0; b < nb; ++b) {
    // GGUF: chunk c of 32 bytes holds sub-block 2c (low nibbles) and 2c+1 (high).
    uint8_t q[8][32];
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        q[2 * c][l] = static_cast<uint8_t>(KQuantCode(src[b], c, l, false));
        q[2 * c + 1][l] = static_cast<uint8_t>(KQuantCode(src[b], c, l, true));
      }
    }
    WriteSub32Codes(q, kQuantBytes > 128, quants + kQuantBytes * b);
    uint8_t* m = meta + kQ4KMetaBytes * b;
    for (int i = 0; i < 8; ++i) Q4KScaleMin(i, src[b].scales, &m[i], &m[8 + i]);
    std::memcpy(m + 16, &src[b].d, 2);
    std::memcpy(m + 18, &src[b].dmin, 2);
  }
}

void RepackIQ4_XSRow(const BlockIQ4_XS* src, int64_t nb, uint8_t* dst) {
  std::memset(dst, 0, RepackedRowBytes(gguf::GgmlType::kIQ4_XS, nb));
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t q[8][32];
    for (int i = 0; i < 8; ++i) {
      for (int l = 0; l < 32; ++l) q[i][l] = static_cast<uint8_t>(Q4Code(src[b].qs + 16 * i, l));
    }
    WriteSub32Codes(q, /*fifth_bit=*/false, dst + Q4KMetaRegion(nb) + kQ4KQuantBytes * b);
    uint8_t* m = dst + kQ4KMetaBytes * b;
    for (int i = 0; i < 8; ++i) m[i] = static_cast<uint8_t>(static_cast<int8_t>(IQ4XSScale(src[b], i)));
    std::memcpy(m + 16, &src[b].d, 2);
  }
}

void RepackQ6_KRow(const BlockQ6_K* src, int64_t nb, uint8_t* dst) {
  uint8_t* meta = dst;
  uint8_t* quants = dst + Q6KMetaRegion(nb);
  std::memset(dst, 0, RepackedRowBytes(gguf::GgmlType::kQ6_K, nb));
  for (int64_t b = 0; b < nb; ++b) {
    // The 256 values 0..63 in natural order.
    uint8_t q[kQKK];
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = src[b].ql + 64 * half;
      const uint8_t* qh = src[b].qh + 32 * half;
      uint8_t* v = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        v[l] = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
        v[l + 32] = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
        v[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
        v[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
      }
    }
    uint8_t* ql = quants + 192 * b;  // L_{h,m} at 64m + 32h
    uint8_t* qh = ql + 128;
    for (int half = 0; half < 2; ++half) {
      uint8_t V[4][32];  // V[k][4i+e] = weight 4k+e of group 8*half+i
      for (int k = 0; k < 4; ++k) {
        for (int i = 0; i < 8; ++i) {
          for (int e = 0; e < 4; ++e) V[k][4 * i + e] = q[128 * half + 16 * i + 4 * k + e];
        }
      }
      for (int m = 0; m < 2; ++m) {
        for (int j = 0; j < 32; ++j) {
          ql[64 * m + 32 * half + j] = static_cast<uint8_t>((V[m][j] & 0xF) | ((V[m + 2][j] & 0xF) << 4));
        }
      }
      for (int j = 0; j < 32; ++j) {
        qh[32 * half + j] = static_cast<uint8_t>((V[0][j] >> 4) | ((V[1][j] >> 4) << 2) | ((V[2][j] >> 4) << 4) |
                                                 ((V[3][j] >> 4) << 6));
      }
    }
    std::memcpy(meta + kQ6KMetaBytes * b, src[b].scales, 16);
    std::memcpy(meta + kQ6KMetaBytes * b + 16, &src[b].d, 2);
  }
}

// A Q2_K or Q3_K block's codes (in natural order) into L_0, L_1 (and H).
void RepackLowCodes(const uint8_t* codes, bool third_bit, uint8_t* quants) {
  for (int i = 0; i < kQKK; ++i) {
    const int group = i / 16, half = group / 8, k = i % 16 / 4;
    const int j = 4 * (group % 8) + i % 4;  // byte j of V_{half,k}
    quants[32 * half + j] |= static_cast<uint8_t>((codes[i] & 3) << (2 * k));
    if (third_bit) quants[64 + j] |= static_cast<uint8_t>(((codes[i] >> 2) & 1) << (4 * half + k));
  }
}

void RepackQ3_KRow(const BlockQ3_K* src, int64_t nb, uint8_t* dst) {
  std::memset(dst, 0, RepackedRowBytes(gguf::GgmlType::kQ3_K, nb));
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t codes[kQKK];
    for (int i = 0; i < kQKK; ++i) codes[i] = static_cast<uint8_t>(Q3KCode(src[b], i));
    RepackLowCodes(codes, /*third_bit=*/true, dst + Q6KMetaRegion(nb) + kQ3KQuantBytes * b);
    uint8_t* meta = dst + kQ6KMetaBytes * b;
    for (int g = 0; g < 16; ++g) meta[g] = static_cast<uint8_t>(static_cast<int8_t>(Q3KScale(src[b].scales, g)));
    std::memcpy(meta + 16, &src[b].d, 2);
  }
}

void RepackQ2_KRow(const BlockQ2_K* src, int64_t nb, uint8_t* dst) {
  std::memset(dst, 0, RepackedRowBytes(gguf::GgmlType::kQ2_K, nb));
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t codes[kQKK];
    for (int i = 0; i < kQKK; ++i) codes[i] = static_cast<uint8_t>(Q2KCode(src[b].qs, i));
    RepackLowCodes(codes, /*third_bit=*/false, dst + Q2KMetaRegion(nb) + kQ2KQuantBytes * b);
    uint8_t* meta = dst + kQ2KMetaBytes * b;
    for (int g = 0; g < 16; ++g) {
      meta[g] = src[b].scales[g] & 0xF;
      meta[16 + g] = src[b].scales[g] >> 4;
    }
    std::memcpy(meta + 32, &src[b].d, 2);
    std::memcpy(meta + 34, &src[b].dmin, 2);
  }
}

}  // namespace

void RepackRow(gguf::GgmlType type, const uint8_t* src, int64_t nb, uint8_t* dst) {
  using gguf::GgmlType;
  switch (type) {
    case GgmlType::kQ4_K:
      return RepackQ4_5KRow<BlockQ4_K, GgmlType::kQ4_K>(reinterpret_cast<const BlockQ4_K*>(src), nb, dst);
    case GgmlType::kQ5_K:
      return RepackQ4_5KRow<BlockQ5_K, GgmlType::kQ5_K>(reinterpret_cast<const BlockQ5_K*>(src), nb, dst);
    case GgmlType::kIQ4_XS: return RepackIQ4_XSRow(reinterpret_cast<const BlockIQ4_XS*>(src), nb, dst);
    case GgmlType::kQ6_K: return RepackQ6_KRow(reinterpret_cast<const BlockQ6_K*>(src), nb, dst);
    case GgmlType::kQ3_K: return RepackQ3_KRow(reinterpret_cast<const BlockQ3_K*>(src), nb, dst);
    default: return RepackQ2_KRow(reinterpret_cast<const BlockQ2_K*>(src), nb, dst);
  }
}

void InterleaveQ8_KI(const int8_t* plain, int group, int8_t* qs) {
  // 8 groups share a 32-byte vector; each vector takes 4 values of each.
  // Groups of 16 come in two sets (halves), whose vectors k alternate.
  const int per_set = 8 * group;  // values covered by one set of 8 groups
  const int sets = kQKK / per_set;
  for (int set = 0; set < sets; ++set) {
    for (int k = 0; k < group / 4; ++k) {
      for (int i = 0; i < 8; ++i) {
        std::memcpy(qs + 32 * (sets * k + set) + 4 * i, plain + set * per_set + group * i + 4 * k, 4);
      }
    }
  }
}

void PairQ8_KI32(BlockQ8_KI* row, int64_t nb) {
  for (int64_t b = 0; b + 1 < nb; b += 2) {
    BlockQ8_KI& x = row[b];
    BlockQ8_KI& y = row[b + 1];
    int8_t pair[2 * kQKK];
    for (int u = 0; u < 8; ++u) {
      std::memcpy(pair + 64 * u, x.qs + 32 * u, 32);
      std::memcpy(pair + 64 * u + 32, y.qs + 32 * u, 32);
    }
    std::memcpy(x.qs, pair, kQKK);
    std::memcpy(y.qs, pair + kQKK, kQKK);
    for (int i = 0; i < 8; ++i) {
      x.q4.pair[i] = x.d;
      x.q4.pair[8 + i] = y.d;
      y.q4.pair[i] = x.q4.sums[i];
      y.q4.pair[8 + i] = y.q4.sums[i];
    }
  }
}

namespace {

// Quantizes like Q8_K, then lays the values out with `group` values per lane
// group (32 for Q4_K's sub-blocks, 16 for Q6_K's groups).
void QuantizeInterleaved(const float* x, BlockQ8_KI* y, int64_t n, int group) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    BlockQ8_K plain;
    QuantizeQ8_K(x + b * kQKK, &plain, kQKK);
    BlockQ8_KI& out = y[b];
    out.d = plain.d;
    std::memset(&out.q4, 0, sizeof(out.q4));
    for (int g = 0; g < kQKK / group; ++g) {
      int sum = 0;
      for (int l = 0; l < group; ++l) sum += plain.qs[group * g + l];
      if (group == 32) {
        out.q4.sums[g] = plain.d * sum;
      } else {
        out.q6_offsets[g] = -32 * sum;
      }
    }
    InterleaveQ8_KI(plain.qs, group, out.qs);
  }
  if (group == 32) PairQ8_KI32(y, n / kQKK);
}

}  // namespace

void QuantizeQ8_KI32(const float* x, BlockQ8_KI* y, int64_t n) { QuantizeInterleaved(x, y, n, 32); }
void QuantizeQ8_KI16(const float* x, BlockQ8_KI* y, int64_t n) { QuantizeInterleaved(x, y, n, 16); }

namespace {

// Each row's block scales (and minimums) into the meta region, its quants via `write`.
template <class Block, class WriteQuants>
void RepackGroup(gguf::GgmlType type, const uint8_t* src, size_t src_stride, int count, int64_t nb, uint8_t* dst,
                 WriteQuants write) {
  std::memset(dst, 0, RepackedR8GroupBytes(nb, type));
  const int scale_bytes = R8ScaleBytes(type), quant_bytes = R8QuantBytes(type);
  uint8_t* quants = dst + R8MetaRegion(nb, scale_bytes);
  for (int i = 0; i < count; ++i) {
    const Block* row = reinterpret_cast<const Block*>(src + i * src_stride);
    for (int64_t b = 0; b < nb; ++b) {
      std::memcpy(dst + scale_bytes * b + 2 * i, &row[b].d, 2);
      if constexpr (requires { row[b].m; }) std::memcpy(dst + scale_bytes * b + 16 + 2 * i, &row[b].m, 2);
      write(row[b], i, quants + quant_bytes * b);
    }
  }
}

void RepackQ8_0Group(const uint8_t* src, size_t src_stride, int count, int64_t nb, uint8_t* dst) {
  RepackGroup<BlockQ8_0>(gguf::GgmlType::kQ8_0, src, src_stride, count, nb, dst,
                         [](const BlockQ8_0& x, int i, uint8_t* q) {
                           for (int j = 0; j < kQK; ++j) q[32 * (j / 4) + 4 * i + j % 4] = uint8_t(x.qs[j] + 128);
                         });
}

// Q4_0, Q4_1 and IQ4_NL: the same nibbles, 4 bytes of each row in turn.
template <class Block>
void RepackNibbleGroup(gguf::GgmlType type, const uint8_t* src, size_t src_stride, int count, int64_t nb,
                       uint8_t* dst) {
  RepackGroup<Block>(type, src, src_stride, count, nb, dst, [](const Block& x, int i, uint8_t* q) {
    for (int k = 0; k < 4; ++k) std::memcpy(q + 32 * k + 4 * i, x.qs + 4 * k, 4);
  });
}

// Q5_0 and Q5_1: Q4_0's nibbles, then the fifth bits.
template <class Block>
void RepackFiveBitGroup(gguf::GgmlType type, const uint8_t* src, size_t src_stride, int count, int64_t nb,
                        uint8_t* dst) {
  RepackGroup<Block>(type, src, src_stride, count, nb, dst, [](const Block& x, int i, uint8_t* q) {
    for (int k = 0; k < 4; ++k) std::memcpy(q + 32 * k + 4 * i, x.qs + 4 * k, 4);
    uint32_t qh;
    std::memcpy(&qh, x.qh, 4);
    for (int j = 0; j < kQK; ++j) {
      const int k = j < 16 ? j / 4 : 4 + (j - 16) / 4;
      q[128 + 4 * i + j % 4] |= uint8_t(((qh >> j) & 1) << k);
    }
  });
}

}  // namespace

void RepackR8Group(gguf::GgmlType type, const uint8_t* src, size_t src_stride, int count, int64_t nb,
                   uint8_t* dst) {
  using gguf::GgmlType;
  switch (type) {
    case GgmlType::kQ8_0: return RepackQ8_0Group(src, src_stride, count, nb, dst);
    case GgmlType::kQ4_0: return RepackNibbleGroup<BlockQ4_0>(type, src, src_stride, count, nb, dst);
    case GgmlType::kQ4_1: return RepackNibbleGroup<BlockQ4_1>(type, src, src_stride, count, nb, dst);
    case GgmlType::kIQ4_NL: return RepackNibbleGroup<BlockIQ4_NL>(type, src, src_stride, count, nb, dst);
    case GgmlType::kQ5_1: return RepackFiveBitGroup<BlockQ5_1>(type, src, src_stride, count, nb, dst);
    default: return RepackFiveBitGroup<BlockQ5_0>(type, src, src_stride, count, nb, dst);
  }
}

void QuantizeQ8_0S(const float* x, BlockQ8_0S* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    BlockQ8_0 plain;
    QuantizeQ8_0(x + b * kQK, &plain, kQK);
    y[b].d = F16ToF32(plain.d);
    y[b].sum = 0;
    for (int i = 0; i < kQK; ++i) {
      y[b].qs[i] = plain.qs[i];
      y[b].sum += plain.qs[i];
    }
  }
}

}  // namespace quant
