// The std::vector members that kernels of one instruction set use, compiled
// once, in a translation unit without -m flags (std_instances.cc). Every
// file built with an instruction set's flags includes this first (AVX2_COPTS'
// -include): otherwise it emits its own copy of, say, vector<float>'s
// growth, vectorised for that set, and the linker may give that copy to every
// caller. Under the sanitizers' -O1 nothing inlines it, and an AVX2 machine
// ran an AVX-512 copy (SIGILL, Zen 3, 2026-12-07).
#ifndef APR_COMMON_SIMD_STD_INSTANCES_H_
#define APR_COMMON_SIMD_STD_INSTANCES_H_

#include <vector>

extern template class std::vector<float>;
extern template class std::vector<unsigned char>;
extern template class std::vector<signed char>;
extern template class std::vector<unsigned short>;
extern template class std::vector<short>;
extern template class std::vector<int>;
extern template class std::vector<unsigned int>;
extern template class std::vector<long>;
extern template class std::vector<float*>;
extern template class std::vector<const float*>;

#endif  // APR_COMMON_SIMD_STD_INSTANCES_H_
