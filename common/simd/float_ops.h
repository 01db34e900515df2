// Float vector primitives for the non-matrix parts of a forward pass
// (attention over the KV cache, the FFN's SiLU), with a scalar reference and
// AVX2+FMA and AVX-512 versions chosen at run time.
//
//   const FloatOps& ops = BestFloatOps();
//   float s = ops.dot(q, k, 128);
//   ops.axpy(p, v, out, 128);   // out += p * v
//   ops.silu_mul(gate, up, out, n);
#ifndef APR_COMMON_SIMD_FLOAT_OPS_H_
#define APR_COMMON_SIMD_FLOAT_OPS_H_

#include <cstddef>
#include <cstdint>

namespace simd {

// The element type of a KV cache's rows.
enum class KvElement { kF32, kF16, kBF16, kQ8_0 };

// Rows of a KV cache: row j's hd values start at data + j * row_bytes.
// kQ8_0 rows are hd / 32 blocks of 34 bytes: an IEEE-half scale d, then 32
// int8 codes q, each value d * q (llama.cpp's Q8_0 block).
struct KvRows {
  const void* data;
  size_t row_bytes;
  KvElement element;
};

// 2 sqrt(2 / pi): GELU's tanh form as a logistic, 0.5 (1 + tanh(y)) = 1 / (1 + e^-2y).
inline constexpr float kGeluScale = 1.5957691216f;

struct FloatOps {
  const char* isa;
  float (*dot)(const float* a, const float* b, int64_t n);
  void (*axpy)(float a, const float* x, float* y, int64_t n);
  // out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g).
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // out[i] = gelu(gate[i]) * up[i], GELU's tanh form, computed as
  // g / (1 + e^(-2 sqrt(2/pi) (g + 0.044715 g^3))) (the same function).
  void (*gelu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // y = x / sqrt(mean(x^2) + eps) * weight over n values, the squares
  // summed in double.
  void (*rms_norm)(const float* x, const float* weight, float eps, int64_t n, float* y);
  // x = softmax(x), in place; n >= 1.
  void (*softmax)(float* x, int64_t n);
  // One attention head over `seen` cached positions: scores[j] =
  // scale * dot(q, key j), softmax, out = sum_j scores[j] * value j. Key and
  // value j start at keys + j * stride and values + j * stride; hd values each.
  void (*attend)(const float* q, const float* keys, const float* values, int64_t stride, int64_t seen,
                 int64_t hd, float scale, float* scores, float* out);
  // `heads` heads that share one KV head (grouped-query attention), as
  // `attend` for each: query h at q + h * hd, its output at out + h * hd;
  // scores is scratch of heads * seen floats (the tiled versions keep their
  // scores a tile at a time and leave it alone).
  void (*attend_group)(const float* q, int64_t heads, const float* keys, const float* values, int64_t stride,
                       int64_t seen, int64_t hd, float scale, float* scores, float* out);
  // Attention of `tokens` query tokens whose `heads` heads share one KV
  // head, over a cache of any KvElement: token t's head h at q + t * q_stride
  // + h * hd attends the cached positions [begin[t], end[t]) (begin < end) of
  // keys and values; its output goes to out + t * out_stride + h * hd. When
  // `lse` is given, lse[t * heads + h] = log(sum of e^score over those
  // positions), so attention over parts of a context can be merged
  // (MergeAttention). kQ8_0 needs hd % 32 == 0, and its keys are scored
  // against each query rounded to Q8_0 (RoundToQ8_0), as llama.cpp scores
  // them: integer dot products where the CPU has them, the same sums in
  // float elsewhere.
  void (*attend_kv)(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
                    const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out,
                    int64_t out_stride, float* lse);
  // Rotary position embedding of `heads` consecutive heads of hd values, in
  // place: pair i (values i and i + hd/2 when neox, else 2i and 2i + 1) turns
  // by the angle whose cosine and sine are cos[i] and sin[i]:
  // (a, b) -> (a cos - b sin, b cos + a sin), the sine's product rounded and
  // the cosine's fused onto it (one FMA), so every version gives the same
  // bits.
  void (*rope)(float* x, int64_t heads, const float* cos, const float* sin, int64_t hd, bool neox);
  // out[i] = x[i] as an IEEE half, rounded to nearest even (infinity past
  // 65504); a NaN stays a NaN.
  void (*to_half)(const float* x, uint16_t* out, int64_t n);
};

// One head's attention outputs over `parts` disjoint parts of its context,
// out[p * part_stride .. + hd] with log-sum-exp lse[p * lse_stride], merged
// into what attention over the whole context gives: the parts weighted by
// e^(lse_p - lse) with lse the log-sum-exp of all of them.
void MergeAttention(const float* outs, int64_t part_stride, const float* lse, int64_t lse_stride, int64_t parts,
                    int64_t hd, float* out);

// x's n values (a multiple of 32) as Q8_0: per block of 32, scale d =
// max |x| / 127 and codes round(x / d) in [-127, 127] (all 0 when the block
// is), so each value is d * code within d / 2. sums[b] = the sum of block
// b's codes.
void RoundToQ8_0(const float* x, int64_t n, int8_t* codes, float* scales, int32_t* sums);

const FloatOps& ScalarFloatOps();
const FloatOps& Avx2FloatOps();
// AVX2's with AVX-512 attention over the cache (attend_kv).
const FloatOps& Avx512FloatOps();
// AVX-512's with attention over F32, F16 and BF16 caches on AMX-BF16 tiles
// (AttendKvOnTiles): scores and weighted sums to 2^-16 of each product,
// not a float's 2^-24 (for CPUs with cpu::CpuFeatures::HasAmxBf16()).
const FloatOps& AmxFloatOps();
// attend_kv on the tiles for keys and values of F32, F16 or BF16, hd a
// multiple of 32, and token ranges whose begins and ends do not decrease;
// false, having done nothing, for any other call.
bool AttendKvOnTiles(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
                     const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
                     float* lse);
const FloatOps& BestFloatOps();

}  // namespace simd

#endif  // APR_COMMON_SIMD_FLOAT_OPS_H_
