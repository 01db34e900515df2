// The x86 dot kernels built for avx512vnni; entered only on CPUs that have it.
#define APR_DPBUSD_AVX512
#define APR_DOT_NAMESPACE avx512vnni
#include "common/quant/dot_kernels_x86.inc"

namespace quant::internal {
DotRowsFn Avx512VnniDotKernel(gguf::GgmlType type, bool repacked) { return avx512vnni::Kernel(type, repacked); }
}  // namespace quant::internal
