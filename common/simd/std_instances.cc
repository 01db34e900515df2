// The instances std_instances.h declares, built without instruction-set flags.
#include "common/simd/std_instances.h"

template class std::vector<float>;
template class std::vector<unsigned char>;
template class std::vector<signed char>;
template class std::vector<unsigned short>;
template class std::vector<short>;
template class std::vector<int>;
template class std::vector<unsigned int>;
template class std::vector<long>;
template class std::vector<float*>;
template class std::vector<const float*>;
