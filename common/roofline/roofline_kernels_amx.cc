// AMX-INT8 (Intel's tile unit, Sapphire Rapids on): the int8 ceiling of the
// tiles, apart from the vector unit's, for CPUs that have them and where the
// OS grants the process their state (cpu_features asks).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "common/cpu/amx_tiles.h"
#include "common/roofline/roofline_kernels.h"

namespace roofline {
namespace {

// 4 independent accumulating tiles, each tdpbusd 16 x 16 x 64 pairs: 4 x
// 16384 pairs, 2 ops a pair = 131072 ops an iteration. Operands stay in the
// tiles: this is the unit's rate, not a memory system's.
float Int8Amx(uint64_t iterations) {
  cpu::LoadFullTileConfig();
  alignas(64) int8_t a[1024], b[1024];
  std::memset(a, 3, sizeof(a));
  std::memset(b, 2, sizeof(b));
  _tile_loadd(4, a, 64);
  _tile_loadd(5, a, 64);
  _tile_loadd(6, b, 64);
  _tile_loadd(7, b, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (uint64_t i = 0; i < iterations; ++i) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  alignas(64) int32_t out[4][256];
  _tile_stored(0, out[0], 64);
  _tile_stored(1, out[1], 64);
  _tile_stored(2, out[2], 64);
  _tile_stored(3, out[3], 64);
  _tile_release();
  return static_cast<float>(out[0][0]) + out[1][17] + out[2][34] + out[3][255];
}

}  // namespace

namespace internal {
std::vector<ComputeLoop> AmxComputeLoops() {
  return {{"int8_tile", "amx", 131072.0, Int8Amx}};
}
}  // namespace internal
}  // namespace roofline
