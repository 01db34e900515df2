// BF16 weights on the CPU's BF16 dot product (vdpbf16ps); entered only on
// CPUs with AVX512-BF16. The instruction multiplies bf16 by bf16, so the
// float activations are rounded to bf16 first (to nearest even; the
// instruction reads denormal inputs as zero); the products are exact in
// float and summed in float. The scalar reference keeps float activations:
// the tests compare this kernel with a bf16-rounded reference instead.
// GCC 12's 512-bit intrinsics pass _mm512_undefined_*() as the unused merge
// operand, which -Wmaybe-uninitialized reports as a use of an uninitialized value.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "common/quant/dot_kernels.h"
#include "common/quant/fp16.h"
#include "common/simd/avx512_sums.h"

namespace quant {
namespace avx512bf16 {
namespace {


#include "common/quant/float_gemm_x86.inc"

// Each call converts its activation rows once and reuses them for all its rows.
void ToBf16(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(out + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

#include "common/quant/bf16_row_gemm512.inc"

// R rows x T tokens; every weight load serves T tokens, every activation
// load R rows, and the R x T accumulators are independent chains.
template <int R, int T>
void Tile(const uint16_t* const* w, const uint16_t* const* x, int64_t n, float* y, int64_t y_stride) {
  __m512 acc[R][T];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  auto step = [&](int64_t i, __mmask32 m) {
    __m512i wv[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) wv[r] = _mm512_maskz_loadu_epi16(m, w[r] + i);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const __m512i xv = _mm512_maskz_loadu_epi16(m, x[t] + i);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], (__m512bh)wv[r], (__m512bh)xv);
    }
  };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) step(i, ~__mmask32{0});
  if (i < n) step(i, static_cast<__mmask32>((uint64_t{1} << (n - i)) - 1));  // zeros past the end add nothing
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = simd::SumLanes(acc[r][t]);
}

// One row, one token, in two chains (one would wait on the instruction's latency).
float DotRow(const uint16_t* w, const uint16_t* x, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(w + i), (__m512bh)_mm512_loadu_si512(x + i));
    acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_loadu_si512(w + i + 32),
                            (__m512bh)_mm512_loadu_si512(x + i + 32));
  }
  for (; i < n; i += 32) {
    const __mmask32 m = n - i >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << (n - i)) - 1);
    acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_maskz_loadu_epi16(m, w + i),
                            (__m512bh)_mm512_maskz_loadu_epi16(m, x + i));
  }
  return simd::SumLanes(_mm512_add_ps(acc0, acc1));
}

template <int R>
void TileTokens(const uint16_t* const* w, const uint16_t* const* x, int64_t tokens, int64_t n, float* y,
                int64_t y_stride) {
  switch (tokens) {
    case 4: Tile<R, 4>(w, x, n, y, y_stride); break;
    case 3: Tile<R, 3>(w, x, n, y, y_stride); break;
    case 2: Tile<R, 2>(w, x, n, y, y_stride); break;
    default: Tile<R, 1>(w, x, n, y, y_stride); break;
  }
}

template <bool kDotGemm>
void RowsBF16(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act, size_t act_row_bytes,
              int64_t tokens, int64_t n, float* y, int64_t y_stride) {
  if (tokens >= kGemmMinTokens) {
    if (kDotGemm && BF16RowGemmFits(n)) {
      BF16RowGemm(w, row_bytes, rows, act, act_row_bytes, tokens, n, y, y_stride);
    } else {
      FloatGemm<BF16WidenRoundedActivations>(w, row_bytes, rows, act, act_row_bytes, tokens, n, y, y_stride);
    }
    return;
  }
  thread_local std::vector<uint16_t> x16;
  x16.resize(tokens * n);
  for (int64_t t = 0; t < tokens; ++t) {
    ToBf16(reinterpret_cast<const float*>(act + t * act_row_bytes), n, x16.data() + t * n);
  }
  if (tokens == 1 && n <= 4096) {
    // Decode with short rows: one row at a time streams fastest (measured
    // with 2 threads on rows of 1536: 31 GB/s, against 25 for groups of 4).
    const uint16_t* x = x16.data();
    for (int64_t r = 0; r < rows; ++r) y[r] = DotRow(reinterpret_cast<const uint16_t*>(w + r * row_bytes), x, n);
    return;
  }
  constexpr int kRows = 4;
  for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
    const int64_t count = std::min<int64_t>(kRows, rows - r0);
    const uint16_t* wr[kRows];
    for (int64_t r = 0; r < count; ++r) wr[r] = reinterpret_cast<const uint16_t*>(w + (r0 + r) * row_bytes);
    for (int64_t t0 = 0; t0 < tokens; t0 += 4) {
      const int64_t tile = std::min<int64_t>(4, tokens - t0);
      const uint16_t* xt[4];
      for (int64_t t = 0; t < tile; ++t) xt[t] = x16.data() + (t0 + t) * n;
      float* out = y + t0 * y_stride + r0;
      if (count == kRows) {
        TileTokens<kRows>(wr, xt, tile, n, out, y_stride);
      } else {
        for (int64_t r = 0; r < count; ++r) TileTokens<1>(wr + r, xt, tile, n, out + r, y_stride);
      }
    }
  }
}

}  // namespace
}  // namespace avx512bf16

namespace internal {
DotRowsFn Avx512Bf16DotKernel(gguf::GgmlType type, bool repacked) {
  return type == gguf::GgmlType::kBF16 && !repacked ? avx512bf16::RowsBF16<false> : nullptr;
}
DotRowsFn Avx512Bf16DotGemmKernel(gguf::GgmlType type, bool repacked) {
  return type == gguf::GgmlType::kBF16 && !repacked ? avx512bf16::RowsBF16<true> : nullptr;
}
}  // namespace internal

}  // namespace quant
