// The x86 dot kernels built for avxvnni; entered only on CPUs that have it.
#define APR_DPBUSD_AVXVNNI
#define APR_DOT_NAMESPACE avxvnni
#include "common/quant/dot_kernels_x86.inc"

namespace quant::internal {
DotRowsFn AvxVnniDotKernel(gguf::GgmlType type, bool repacked) { return avxvnni::Kernel(type, repacked); }
}  // namespace quant::internal
