// The x86 dot kernels built for avx2; entered only on CPUs that have it.

#define APR_DOT_NAMESPACE avx2
#include "common/quant/dot_kernels_x86.inc"

namespace quant::internal {
DotRowsFn Avx2DotKernel(gguf::GgmlType type, bool repacked) { return avx2::Kernel(type, repacked); }
}  // namespace quant::internal
