// A query row rounded to Q8_0, as the tiled attention (attention_tiled.h)
// takes it against Q8_0 keys.
#ifndef APR_COMMON_SIMD_Q8_QUERY_H_
#define APR_COMMON_SIMD_Q8_QUERY_H_

#include <cstdint>
#include <vector>

namespace simd::tiled {

// A query row rounded to Q8_0 (RoundToQ8_0): hd codes, and per block of 32
// its scale and the sum of its codes.
struct Q8Query {
  const int8_t* codes;
  const float* scales;
  const int32_t* sums;
};

}  // namespace simd::tiled

// Built without instruction-set flags, in q8_query.cc (see std_instances.h).
extern template class std::vector<simd::tiled::Q8Query>;

#endif  // APR_COMMON_SIMD_Q8_QUERY_H_
