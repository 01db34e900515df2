// IEEE half and bfloat16 conversions, portable (no F16C needed).
#ifndef APR_COMMON_QUANT_FP16_H_
#define APR_COMMON_QUANT_FP16_H_

#include <cstdint>
#include <cstring>

namespace quant {

inline float BitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint32_t FloatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) return BitsToFloat(sign | 0x7f800000u | (mantissa << 13));  // inf, nan
  if (exponent != 0) return BitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return BitsToFloat(sign);
  // Subnormal: value = mantissa * 2^-24.
  const float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
  return sign ? -magnitude : magnitude;
}

// Rounds to nearest, ties to even; overflow gives infinity.
inline uint16_t F32ToF16(float f) {
  const uint32_t bits = FloatToBits(f);
  const uint32_t sign = (bits >> 16) & 0x8000;
  const uint32_t abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return static_cast<uint16_t>(sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
  if (abs >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);  // rounds past 65504
  if (abs < 0x38800000) {  // below the smallest normal half: subnormal or zero
    const float magnitude = BitsToFloat(abs) * 16777216.0f;  // in units of 2^-24
    // Round half to even in integer units.
    uint32_t units = static_cast<uint32_t>(magnitude);
    const float rest = magnitude - static_cast<float>(units);
    if (rest > 0.5f || (rest == 0.5f && (units & 1))) ++units;
    return static_cast<uint16_t>(sign | units);
  }
  uint32_t half = ((abs - 0x38000000) >> 13);
  const uint32_t rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

inline float Bf16ToF32(uint16_t b) { return BitsToFloat(uint32_t(b) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t bits = FloatToBits(f);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet nan
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

}  // namespace quant

#endif  // APR_COMMON_QUANT_FP16_H_
