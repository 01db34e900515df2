#include <immintrin.h>
#include <chrono>
#include <cstdio>
int main() {
  __m256i acc[16]; for (int k = 0; k < 16; ++k) acc[k] = _mm256_set1_epi32(k);
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  long iters = 100000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) acc[k] = _mm256_dpbusd_epi32(acc[k], a, b);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m256i t = acc[0]; for (int k = 1; k < 16; ++k) t = _mm256_add_epi32(t, acc[k]);
  printf("%d ymm dpbusd per ns: %.2f (per cycle at 3.6: %.2f)\n", _mm256_extract_epi32(t, 0) & 1, iters * 16 / s / 1e9, iters * 16 / s / 3.6e9);
}
