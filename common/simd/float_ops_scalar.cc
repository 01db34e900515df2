#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/quant/fp16.h"
#include "common/simd/float_ops.h"
#include "common/simd/q8_rounding.h"

namespace simd {
namespace {

float Dot(const float* a, const float* b, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void GeluMul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-kGeluScale * (g + 0.044715f * g * g * g))) * up[i];
  }
}

void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  // Four independent sums: one chain would wait on the add latency per value.
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) s[k] += double(x[i + k]) * x[i + k];
  }
  for (; i < n; ++i) s[0] += double(x[i]) * x[i];
  const double sum = (s[0] + s[1]) + (s[2] + s[3]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
  for (i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

void SiluMul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void Softmax(float* x, int64_t n) {
  const float max = *std::max_element(x, x + n);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void Attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t seen, int64_t hd,
            float scale, float* scores, float* out) {
  for (int64_t j = 0; j < seen; ++j) scores[j] = Dot(q, keys + j * stride, hd) * scale;
  Softmax(scores, seen);
  for (int64_t i = 0; i < hd; ++i) out[i] = 0;
  for (int64_t j = 0; j < seen; ++j) Axpy(scores[j], values + j * stride, out, hd);
}

void AttendGroup(const float* q, int64_t heads, const float* keys, const float* values, int64_t stride,
                 int64_t seen, int64_t hd, float scale, float* scores, float* out) {
  for (int64_t h = 0; h < heads; ++h) {
    Attend(q + h * hd, keys, values, stride, seen, hd, scale, scores + h * seen, out + h * hd);
  }
}

// Value i of cache row j, widened or dequantized as read.
float KvValue(const KvRows& rows, int64_t j, int64_t i) {
  const uint8_t* row = static_cast<const uint8_t*>(rows.data) + j * rows.row_bytes;
  uint16_t bits;
  switch (rows.element) {
    case KvElement::kF32: {
      float f;
      std::memcpy(&f, row + 4 * i, 4);
      return f;
    }
    case KvElement::kF16:
      std::memcpy(&bits, row + 2 * i, 2);
      return quant::F16ToF32(bits);
    case KvElement::kBF16:
      std::memcpy(&bits, row + 2 * i, 2);
      return quant::Bf16ToF32(bits);
    case KvElement::kQ8_0: {
      const uint8_t* block = row + (i / 32) * 34;
      std::memcpy(&bits, block, 2);
      return quant::F16ToF32(bits) * static_cast<float>(static_cast<int8_t>(block[2 + i % 32]));
    }
  }
  return 0;
}

void AttendKv(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
              const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
              float* lse) {
  std::vector<float> rounded(keys.element == KvElement::kQ8_0 ? hd : 0);
  std::vector<int8_t> codes(rounded.size());
  std::vector<float> scales(rounded.size() / 32);
  std::vector<int32_t> sums(scales.size());
  for (int64_t t = 0; t < tokens; ++t) {
    const int64_t seen = end[t] - begin[t];
    std::vector<float> s(seen);
    for (int64_t h = 0; h < heads; ++h) {
      const float* qh = q + t * q_stride + h * hd;
      if (!rounded.empty()) {
        RoundToQ8_0(qh, hd, codes.data(), scales.data(), sums.data());
        Q8RowToFloats(codes.data(), scales.data(), hd, rounded.data());
        qh = rounded.data();
      }
      float* o = out + t * out_stride + h * hd;
      for (int64_t j = 0; j < seen; ++j) {
        float dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += qh[i] * KvValue(keys, begin[t] + j, i);
        s[j] = dot * scale;
      }
      const float max = *std::max_element(s.begin(), s.end());
      float sum = 0;
      for (int64_t j = 0; j < seen; ++j) sum += std::exp(s[j] - max);
      Softmax(s.data(), seen);
      if (lse) lse[t * heads + h] = max + std::log(sum);
      for (int64_t i = 0; i < hd; ++i) o[i] = 0;
      for (int64_t j = 0; j < seen; ++j) {
        for (int64_t i = 0; i < hd; ++i) o[i] += s[j] * KvValue(values, begin[t] + j, i);
      }
    }
  }
}

void Rope(float* x, int64_t heads, const float* cos, const float* sin, int64_t hd, bool neox) {
  const int64_t half = hd / 2;
  for (int64_t h = 0; h < heads; ++h) {
    float* head = x + h * hd;
    for (int64_t i = 0; i < half; ++i) {
      const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
      const float x0 = head[a], x1 = head[b];
      head[a] = std::fma(x0, cos[i], -(x1 * sin[i]));
      head[b] = std::fma(x1, cos[i], x0 * sin[i]);
    }
  }
}

void ToHalf(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = quant::F32ToF16(x[i]);
}

}  // namespace

void RoundToQ8_0(const float* x, int64_t n, int8_t* codes, float* scales, int32_t* sums) {
  RoundRowToQ8_0(x, n, codes, scales, sums);
}

void MergeAttention(const float* outs, int64_t part_stride, const float* lse, int64_t lse_stride, int64_t parts,
                    int64_t hd, float* out) {
  float max = lse[0];
  for (int64_t p = 1; p < parts; ++p) max = std::max(max, lse[p * lse_stride]);
  float total = 0;
  for (int64_t p = 0; p < parts; ++p) total += std::exp(lse[p * lse_stride] - max);
  for (int64_t i = 0; i < hd; ++i) out[i] = 0;
  for (int64_t p = 0; p < parts; ++p) {
    const float w = std::exp(lse[p * lse_stride] - max) / total;
    for (int64_t i = 0; i < hd; ++i) out[i] += w * outs[p * part_stride + i];
  }
}

const FloatOps& ScalarFloatOps() {
  static const FloatOps ops = {"scalar", Dot,         Axpy,     SiluMul, GeluMul, RmsNorm, Softmax,
                                Attend,   AttendGroup, AttendKv, Rope,    ToHalf};
  return ops;
}

const FloatOps& BestFloatOps() {
  static const FloatOps& best = []() -> const FloatOps& {
    const cpu::CpuFeatures& cpu = cpu::GetCpuFeatures();
    if (cpu.HasAmxBf16()) return AmxFloatOps();
    if (cpu.HasAvx512Vnni()) return Avx512FloatOps();
    return cpu.HasAvx2Fma() ? Avx2FloatOps() : ScalarFloatOps();
  }();
  return best;
}

}  // namespace simd
