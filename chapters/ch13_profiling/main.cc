// Chapter 13, "Profiling and Optimization", measured on this machine.
#include <cstdio>

#include "chapters/ch13_profiling/book_reference.h"
#include "chapters/ch13_profiling/decode_roofline.h"

int main() {
  const model::ModelConfig seven_b = *model::FindPreset(ch13::kSevenBPreset);
  const ch13::DecodeFootprint book =
      ch13::BookFootprint(ch13::kBookParams, ch13::kBookBytesPerParam);
  const ch13::DecodeFootprint q4k = ch13::DecodeFootprintOf(seven_b, gguf::GgmlType::kQ4_K);

  std::printf("13.1 Roofline analysis (Williams, Waterman, Patterson, CACM 2009)\n\n");
  std::printf("  decode of one token of a 7B model: a matrix-vector product, 2 FLOPs per weight\n\n");
  std::printf("  %-34s %14s %14s %12s\n", "", "FLOP/token", "bytes/token", "FLOP/byte");
  std::printf("  %-34s %14.3e %14.3e %12.2f\n", "book: 7e9 params x 0.5 B/param", book.flops_per_token,
              book.bytes_per_token, book.OperationalIntensity());
  std::printf("  %-34s %14.3e %14.3e %12.2f\n", "llama-2-7b preset, Q4_K (4.5 bits)",
              q4k.flops_per_token, q4k.bytes_per_token, q4k.OperationalIntensity());
  std::printf("\n  tok/s ceiling at the book's assumed %.0f GB/s: book %.1f, Q4_K preset %.1f\n",
              ch13::kBookAssumedBandwidth / 1e9,
              ch13::BandwidthCeilingTps(book.bytes_per_token, ch13::kBookAssumedBandwidth),
              ch13::BandwidthCeilingTps(q4k.bytes_per_token, ch13::kBookAssumedBandwidth));
  return 0;
}
