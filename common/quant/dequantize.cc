#include "common/quant/dequantize.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/quant/blocks.h"
#include "common/quant/fp16.h"

namespace quant {
namespace {

using gguf::GgmlType;

void Q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * x[i].qs[j];
  }
}

void Q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * ((x[i].qs[j] & 0x0F) - 8);
      y[j + kQK / 2] = d * ((x[i].qs[j] >> 4) - 8);
    }
  }
}

void Q5_0(const BlockQ5_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * (Q5Code(x[i].qh, x[i].qs, j) - 16);
  }
}

void Q4_1(const BlockQ4_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d), m = F16ToF32(x[i].m);
    for (int j = 0; j < kQK; ++j) y[j] = d * Q4Code(x[i].qs, j) + m;
  }
}

void Q5_1(const BlockQ5_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d), m = F16ToF32(x[i].m);
    for (int j = 0; j < kQK; ++j) y[j] = d * Q5Code(x[i].qh, x[i].qs, j) + m;
  }
}

void IQ4_NL(const BlockIQ4_NL* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * kIQ4NLValues[Q4Code(x[i].qs, j)];
  }
}

// Q4_K and Q5_K: value = d * sc * code - dmin * m per sub-block of 32.
template <typename Block>
void KQuant(const Block* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(x[i].d), dmin = F16ToF32(x[i].dmin);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (const bool hi : {false, true}) {
        uint8_t sc, m;
        Q4KScaleMin(2 * chunk + hi, x[i].scales, &sc, &m);
        const float step = d * sc, offset = dmin * m;
        for (int l = 0; l < 32; ++l) *y++ = step * KQuantCode(x[i], chunk, l, hi) - offset;
      }
    }
  }
}

void Q6_K(const BlockQ6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

void Q2_K(const BlockQ2_K* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, y += kQKK) {
    const float d = F16ToF32(x[b].d), dmin = F16ToF32(x[b].dmin);
    for (int i = 0; i < kQKK; ++i) {
      const uint8_t sc = x[b].scales[i / 16];
      y[i] = d * (sc & 0xF) * Q2KCode(x[b].qs, i) - dmin * (sc >> 4);
    }
  }
}

void Q3_K(const BlockQ3_K* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, y += kQKK) {
    const float d = F16ToF32(x[b].d);
    for (int i = 0; i < kQKK; ++i) y[i] = d * Q3KScale(x[b].scales, i / 16) * (Q3KCode(x[b], i) - 4);
  }
}

void IQ4_XS(const BlockIQ4_XS* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b) {
    const float d = F16ToF32(x[b].d);
    for (int ib = 0; ib < kQKK / kQK; ++ib, y += kQK) {
      const float step = d * IQ4XSScale(x[b], ib);
      for (int j = 0; j < kQK; ++j) y[j] = step * kIQ4NLValues[Q4Code(x[b].qs + 16 * ib, j)];
    }
  }
}

}  // namespace

bool IsSupportedType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
    case GgmlType::kIQ4_NL:
    case GgmlType::kIQ4_XS:
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: return true;
    default: return false;
  }
}

absl::Status DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
  const gguf::TensorTypeInfo& info = gguf::TypeInfo(type);
  if (n < 0 || n % info.block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(n, " weights are not whole ", info.name, " blocks"));
  }
  const int64_t nb = n / info.block_size;
  switch (type) {
    case GgmlType::kF32: std::memcpy(dst, src, n * 4); break;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = F16ToF32(static_cast<const uint16_t*>(src)[i]);
      break;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToF32(static_cast<const uint16_t*>(src)[i]);
      break;
    case GgmlType::kQ8_0: Q8_0(static_cast<const BlockQ8_0*>(src), dst, nb); break;
    case GgmlType::kQ4_0: Q4_0(static_cast<const BlockQ4_0*>(src), dst, nb); break;
    case GgmlType::kQ5_0: Q5_0(static_cast<const BlockQ5_0*>(src), dst, nb); break;
    case GgmlType::kQ4_1: Q4_1(static_cast<const BlockQ4_1*>(src), dst, nb); break;
    case GgmlType::kQ5_1: Q5_1(static_cast<const BlockQ5_1*>(src), dst, nb); break;
    case GgmlType::kIQ4_NL: IQ4_NL(static_cast<const BlockIQ4_NL*>(src), dst, nb); break;
    case GgmlType::kIQ4_XS: IQ4_XS(static_cast<const BlockIQ4_XS*>(src), dst, nb); break;
    case GgmlType::kQ2_K: Q2_K(static_cast<const BlockQ2_K*>(src), dst, nb); break;
    case GgmlType::kQ3_K: Q3_K(static_cast<const BlockQ3_K*>(src), dst, nb); break;
    case GgmlType::kQ4_K: KQuant(static_cast<const BlockQ4_K*>(src), dst, nb); break;
    case GgmlType::kQ5_K: KQuant(static_cast<const BlockQ5_K*>(src), dst, nb); break;
    case GgmlType::kQ6_K: Q6_K(static_cast<const BlockQ6_K*>(src), dst, nb); break;
    default:
      return absl::UnimplementedError(absl::StrCat("no kernels for tensor type ", info.name));
  }
  return absl::OkStatus();
}

}  // namespace quant
