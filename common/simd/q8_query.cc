// q8_query.h's vector instance, built without instruction-set flags.
#include "common/simd/q8_query.h"

template class std::vector<simd::tiled::Q8Query>;
