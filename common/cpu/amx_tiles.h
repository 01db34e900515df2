// AMX tile configuration, for translation units compiled with -mamx-tile and
// entered only where cpu::CpuFeatures::HasAmxInt8().
#ifndef APR_COMMON_CPU_AMX_TILES_H_
#define APR_COMMON_CPU_AMX_TILES_H_

#include <immintrin.h>

#include <cstdint>

namespace cpu {

// ldtilecfg's 64-byte operand, palette 1.
struct alignas(64) AmxTileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

constexpr AmxTileConfig FullTiles() {
  AmxTileConfig c;
  for (int t = 0; t < 8; ++t) c.rows[t] = 16, c.colsb[t] = 64;
  return c;
}

// Tiles 0-7 each 16 rows of 64 bytes, the largest. A thread configures its
// tiles before using them and calls _tile_release() when done. The
// configuration is constant data: GCC 12 does not see ldtilecfg read its
// operand, and dropped the stores that filled a local one (the tiles were
// left unconfigured and the first tileloadd raised SIGILL).
inline void LoadFullTileConfig() {
  static constexpr AmxTileConfig kFull = FullTiles();
  _tile_loadconfig(&kFull);
}

}  // namespace cpu

#endif  // APR_COMMON_CPU_AMX_TILES_H_
