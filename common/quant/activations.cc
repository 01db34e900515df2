#include "common/quant/activations.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/cpu/cpu_features.h"
#include "common/quant/activations_avx2.h"
#include "common/quant/blocks.h"
#include "common/quant/quantize.h"
#include "common/quant/repack.h"

namespace quant {

using gguf::GgmlType;

namespace {

// The quantizers for the formats the engine's kernels take, the AVX2 ones
// where the CPU has it (byte for byte the same output).
struct Quantizers {
  void (*q8_0)(const float*, BlockQ8_0*, int64_t);
  void (*q8_0s)(const float*, BlockQ8_0S*, int64_t);
  void (*q8_ki)(const float*, BlockQ8_KI*, int64_t, int group);
};

void QuantizeQ8_KIScalar(const float* x, BlockQ8_KI* y, int64_t n, int group) {
  if (group == 32) {
    QuantizeQ8_KI32(x, y, n);
  } else {
    QuantizeQ8_KI16(x, y, n);
  }
}

const Quantizers& BestQuantizers() {
  static const Quantizers q = cpu::GetCpuFeatures().HasAvx2Fma()
                                  ? Quantizers{internal::QuantizeQ8_0Avx2, internal::QuantizeQ8_0SAvx2,
                                               internal::QuantizeQ8_KIAvx2}
                                  : Quantizers{QuantizeQ8_0, QuantizeQ8_0S, QuantizeQ8_KIScalar};
  return q;
}

}  // namespace

ActivationFormat ActivationFor(GgmlType weight_type, bool repacked) {
  if (repacked &&
      (weight_type == GgmlType::kQ4_K || weight_type == GgmlType::kQ5_K || weight_type == GgmlType::kIQ4_XS)) {
    return ActivationFormat::kQ8_KI32;
  }
  if (repacked && (weight_type == GgmlType::kQ6_K || weight_type == GgmlType::kQ3_K ||
                   weight_type == GgmlType::kQ2_K)) {
    return ActivationFormat::kQ8_KI16;
  }
  if (repacked && R8QuantBytes(weight_type) > 0) return ActivationFormat::kQ8_0S;
  switch (weight_type) {
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kIQ4_NL: return ActivationFormat::kQ8_0;
    // d * q + m: the offset m times the activations' sum, which Q8_0S carries.
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1: return ActivationFormat::kQ8_0S;
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
    case GgmlType::kIQ4_XS: return ActivationFormat::kQ8_K;
    default: return ActivationFormat::kF32;
  }
}

size_t ActivationRowBytes(ActivationFormat format, int64_t n) {
  switch (format) {
    case ActivationFormat::kQ8_0: return n / kQK * sizeof(BlockQ8_0);
    case ActivationFormat::kQ8_0S: return n / kQK * sizeof(BlockQ8_0S);
    case ActivationFormat::kQ8_K: return n / kQKK * sizeof(BlockQ8_K);
    case ActivationFormat::kQ8_KI32:
    case ActivationFormat::kQ8_KI16: return n / kQKK * sizeof(BlockQ8_KI);
    case ActivationFormat::kF32: break;
  }
  return n * sizeof(float);
}

QuantizedActivations::QuantizedActivations(GgmlType weight_type, int64_t n, int64_t tokens, bool repacked)
    : format_(ActivationFor(weight_type, repacked)),
      n_(n),
      tokens_(tokens),
      row_bytes_(ActivationRowBytes(format_, n)),
      data_(row_bytes_ * tokens + 64) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(data_.data());
  base_ = data_.data() + ((64 - p % 64) % 64);
}

void QuantizedActivations::QuantizeRow(int64_t t, const float* src) {
  uint8_t* dst = base_ + t * row_bytes_;
  switch (format_) {
    case ActivationFormat::kQ8_0: BestQuantizers().q8_0(src, reinterpret_cast<BlockQ8_0*>(dst), n_); break;
    case ActivationFormat::kQ8_0S: BestQuantizers().q8_0s(src, reinterpret_cast<BlockQ8_0S*>(dst), n_); break;
    case ActivationFormat::kQ8_K: QuantizeQ8_K(src, reinterpret_cast<BlockQ8_K*>(dst), n_); break;
    case ActivationFormat::kQ8_KI32: BestQuantizers().q8_ki(src, reinterpret_cast<BlockQ8_KI*>(dst), n_, 32); break;
    case ActivationFormat::kQ8_KI16: BestQuantizers().q8_ki(src, reinterpret_cast<BlockQ8_KI*>(dst), n_, 16); break;
    case ActivationFormat::kF32: std::memcpy(dst, src, n_ * sizeof(float)); break;
  }
}

void QuantizedActivations::Quantize(const float* x, int64_t x_stride) {
  for (int64_t t = 0; t < tokens_; ++t) QuantizeRow(t, x + t * x_stride);
}

void QuantizedActivations::CopyRow(int64_t t, const QuantizedActivations& src, int64_t src_t) {
  if (src.format_ != format_ || src.n_ != n_ || t < 0 || t >= tokens_ || src_t < 0 || src_t >= src.tokens_) {
    std::fprintf(stderr, "QuantizedActivations::CopyRow: row %lld of another format, length or range\n",
                 static_cast<long long>(src_t));
    std::abort();  // a programmer's error
  }
  std::memcpy(base_ + t * row_bytes_, src.row(src_t), row_bytes_);
}

void QuantizedActivations::Quantize(parallel::ThreadPool& pool, const float* x) {
  if (tokens_ < 2 || pool.num_threads() < 2) return Quantize(x);
  pool.ParallelFor("quantize", tokens_, [&](size_t t, size_t) { QuantizeRow(t, x + t * n_); });
}

}  // namespace quant
