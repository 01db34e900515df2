// Prefill of Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 and IQ4_NL in repack.h's groups of
// 8 rows on AMX; entered only where the CPU has AMX-INT8 and the OS lets this
// process use it. Fewer tokens than a tile go to the AVX-512 kernel.
//
// Every block of 32 weights has its own scale per row, and every activation
// block its own per token, so a tile product is one block deep: tdpbssd
// multiplies 16 tokens x 32 activation bytes (read in place: a tile row is a
// token's block, the next row a token further) by 32 x 16 rows' weights
// into 16 x 16 int32 sums, which the vector unit scales into 16 float
// accumulators (one a token).
// The weights of 16 rows (two groups) are unpacked once per band and chunk
// of tokens into signed bytes as the tiles read them; one group's block
// vectors V_k (r8_group_vectors.inc) are already a weight tile's rows for
// 8 rows, so the unpacking takes the offset off and puts the two groups'
// side by side.
//
// Integer sums are exact, as in the other kernels; only the order in which
// the float scales are applied and summed differs.
// GCC 12's 512-bit intrinsics pass _mm512_undefined_*() as the unused merge
// operand, which -Wmaybe-uninitialized and -Wuninitialized report as a use of an
// uninitialized value.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/cpu/amx_tiles.h"
#include "common/quant/blocks.h"
#include "common/quant/dot_kernels.h"
#include "common/quant/repack.h"

namespace quant {
namespace amx_groups {
namespace {

#define APR_INLINE inline __attribute__((always_inline))
#include "common/quant/r8_group_vectors.inc"

constexpr int kTile = 16;                 // tokens and rows of a result tile
constexpr int kTileBytes = 8 * 64;        // a block's weight tile: 8 rows of 4 weights x 16 rows
constexpr int64_t kL2ActivationBytes = 1 << 20;

// Tiles 0-1: sums (16 tokens x 16 rows of int32); 2-3: activations (16
// tokens x 32 bytes); 4-5: weights (8 rows of 64 bytes).
constexpr cpu::AmxTileConfig BlockTiles() {
  cpu::AmxTileConfig c;
  for (int t = 0; t < 2; ++t) c.rows[t] = 16, c.colsb[t] = 64;
  for (int t = 2; t < 4; ++t) c.rows[t] = 16, c.colsb[t] = 32;
  for (int t = 4; t < 6; ++t) c.rows[t] = 8, c.colsb[t] = 64;
  return c;
}

// A band of up to 16 rows (one or two groups) for the tiles: per block, the
// weight tile (row k: group 0's V_k, then group 1's, offset taken off), the
// rows' scales and, for Q4_1 and Q5_1, their minimums, as floats. Rows of a
// missing second group are zero.
struct Band {
  std::vector<int8_t> tiles;  // [nb][512]
  std::vector<float> d;       // [nb][16]
  std::vector<float> m;       // [nb][16]
};

template <class Format>
void UnpackBand(const uint8_t* w, size_t group_bytes, int groups, int64_t nb, Band* band) {
  constexpr bool kMins = Format::kScaleBytes == 32;
  band->tiles.resize(nb * kTileBytes);
  band->d.resize(nb * kTile);
  if (kMins) band->m.resize(nb * kTile);
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(Format::kOffset));
  for (int g = 0; g < 2; ++g) {
    const uint8_t* group = w + g * group_bytes;
    const uint8_t* quants = group + R8MetaRegion(nb, Format::kScaleBytes);
    for (int64_t b = 0; b < nb; ++b) {
      int8_t* tile = band->tiles.data() + b * kTileBytes + 32 * g;
      float* d = band->d.data() + b * kTile + 8 * g;
      if (g >= groups) {
        for (int k = 0; k < 8; ++k) _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + 64 * k), _mm256_setzero_si256());
        _mm256_storeu_ps(d, _mm256_setzero_ps());
        if (kMins) _mm256_storeu_ps(band->m.data() + b * kTile + 8 * g, _mm256_setzero_ps());
        continue;
      }
      __m256i v[8];
      Format::Vectors(quants + Format::kQuantBytes * b, v);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + 64 * k), _mm256_sub_epi8(v[k], offset));
      }
      const uint8_t* scales = group + Format::kScaleBytes * b;
      _mm256_storeu_ps(d, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales))));
      if (kMins) {
        _mm256_storeu_ps(band->m.data() + b * kTile + 8 * g,
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 16))));
      }
    }
  }
}

// Block b's sums (c, [token][row]) into the accumulators: per token, the
// rows' scales times the token's, and for Q4_1 and Q5_1 the minimums times
// the token's scale x sum.
template <bool kMins>
APR_INLINE void Scale(const int32_t* c, const Band& band, int64_t b, const uint8_t* a, size_t stride,
                      __m512 (&acc)[kTile]) {
  const __m512 d = _mm512_loadu_ps(band.d.data() + b * kTile);
  __m512 m;
  if constexpr (kMins) m = _mm512_loadu_ps(band.m.data() + b * kTile);
  const uint8_t* block = a + sizeof(BlockQ8_0S) * b;
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) {
    const BlockQ8_0S* x = reinterpret_cast<const BlockQ8_0S*>(block + t * stride);
    const __m512 sum = _mm512_cvtepi32_ps(_mm512_load_si512(c + kTile * t));
    acc[t] = _mm512_fmadd_ps(sum, _mm512_mul_ps(d, _mm512_set1_ps(x->d)), acc[t]);
    if constexpr (kMins) acc[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(x->d * static_cast<float>(x->sum)), acc[t]);
  }
}

// Block b's product into sums tile C, activations through tile A and
// weights through tile B: a macro, since GCC's tile intrinsics paste their
// tile numbers into the instruction's text.
#define APR_BLOCK_PRODUCT(C, A, B, b)                                                          \
  do {                                                                                         \
    _tile_zero(C);                                                                             \
    _tile_loadd(A, a + sizeof(BlockQ8_0S) * (b) + offsetof(BlockQ8_0S, qs), stride);          \
    _tile_loadd(B, band.tiles.data() + (b) * kTileBytes, 64);                                  \
    _tile_dpbssd(C, A, B);                                                                     \
  } while (0)

// One tile of 16 tokens (a: the first one's activations, `stride` apart)
// against a band. Each block's sums go to their own buffer, and the vector
// unit scales those of kLag blocks back: here the two units barely overlap
// (lab notes, 2026-12 Sapphire Rapids), and the lag took a thread from
// 0.41-0.55 to 0.45-0.68 of the int8 loop (Q8_0, two alternating rounds;
// 2 blocks as good, 8 worse, prefetching the activations no better).
template <bool kMins>
void TokenTile(const Band& band, int64_t nb, const uint8_t* a, size_t stride, int tokens, float* y,
               int64_t y_stride, int rows) {
  __m512 acc[kTile];
  for (int t = 0; t < kTile; ++t) acc[t] = _mm512_setzero_ps();
  constexpr int kLag = 4;
  alignas(64) int32_t c[2 * kLag][kTile * kTile];
  for (int64_t b = 0; b < nb; b += 2) {
    APR_BLOCK_PRODUCT(0, 2, 4, b);
    _tile_stored(0, c[b % (2 * kLag)], 64);
    if (b + 1 < nb) {
      APR_BLOCK_PRODUCT(1, 3, 5, b + 1);
      _tile_stored(1, c[(b + 1) % (2 * kLag)], 64);
    }
    if (b >= kLag) {
      Scale<kMins>(c[(b - kLag) % (2 * kLag)], band, b - kLag, a, stride, acc);
      Scale<kMins>(c[(b + 1 - kLag) % (2 * kLag)], band, b + 1 - kLag, a, stride, acc);
    }
  }
  for (int64_t b = std::max<int64_t>(0, (nb + 1) / 2 * 2 - kLag); b < nb; ++b) {
    Scale<kMins>(c[b % (2 * kLag)], band, b, a, stride, acc);
  }
  const __mmask16 valid = static_cast<__mmask16>((1u << rows) - 1);
  for (int t = 0; t < tokens; ++t) _mm512_mask_storeu_ps(y + t * y_stride, valid, acc[t]);
}

template <class Format, gguf::GgmlType kType>
void GroupRows(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act, size_t act_row_bytes,
               int64_t tokens, int64_t n, float* y, int64_t y_stride) {
  if (tokens < kTile) {
    internal::Avx512VnniDotKernel(kType, true)(w, row_bytes, rows, act, act_row_bytes, tokens, n, y, y_stride);
    return;
  }
  constexpr bool kMins = Format::kScaleBytes == 32;
  const int64_t nb = n / kQK;
  const size_t group_bytes = 8 * row_bytes;
  // The last tile's tokens, padded to a whole tile (zeros: every block's
  // scale 0) so that its tile loads stay in bounds.
  const int64_t whole = tokens / kTile * kTile;
  thread_local std::vector<uint8_t> tail;
  if (whole < tokens) {
    tail.assign(kTile * act_row_bytes, 0);
    std::memcpy(tail.data(), act + whole * act_row_bytes, (tokens - whole) * act_row_bytes);
  }
  // Tokens in chunks whose activations stay in L2 while every band reads
  // them; each chunk unpacks the bands anew.
  const int64_t chunk = std::max<int64_t>(kTile, kL2ActivationBytes / int64_t(act_row_bytes) / kTile * kTile);
  thread_local Band band;
  static constexpr cpu::AmxTileConfig kConfig = BlockTiles();
  _tile_loadconfig(&kConfig);
  for (int64_t c0 = 0; c0 < tokens; c0 += chunk) {
    const int64_t c1 = std::min(tokens, c0 + chunk);
    for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
      const int count = static_cast<int>(std::min<int64_t>(kTile, rows - r0));
      UnpackBand<Format>(w + r0 * row_bytes, group_bytes, (count + 7) / 8, nb, &band);
      for (int64_t t0 = c0; t0 < c1; t0 += kTile) {
        const bool last = t0 == whole;
        const uint8_t* a = last ? tail.data() : act + t0 * act_row_bytes;
        const int n_tokens = static_cast<int>(std::min<int64_t>(kTile, tokens - t0));
        TokenTile<kMins>(band, nb, a, act_row_bytes, n_tokens, y + t0 * y_stride + r0, y_stride, count);
      }
    }
  }
  _tile_release();
}

}  // namespace
}  // namespace amx_groups

namespace internal {

DotRowsFn AmxGroupKernel(gguf::GgmlType type) {
  using gguf::GgmlType;
  using namespace amx_groups;
  switch (type) {
    case GgmlType::kQ8_0: return GroupRows<Q8_0R8, GgmlType::kQ8_0>;
    case GgmlType::kQ4_0: return GroupRows<Q4_0R8, GgmlType::kQ4_0>;
    case GgmlType::kQ5_0: return GroupRows<Q5_0R8, GgmlType::kQ5_0>;
    case GgmlType::kQ4_1: return GroupRows<Q4_1R8, GgmlType::kQ4_1>;
    case GgmlType::kQ5_1: return GroupRows<Q5_1R8, GgmlType::kQ5_1>;
    case GgmlType::kIQ4_NL: return GroupRows<IQ4_NLR8, GgmlType::kIQ4_NL>;
    default: return nullptr;
  }
}

}  // namespace internal
}  // namespace quant
