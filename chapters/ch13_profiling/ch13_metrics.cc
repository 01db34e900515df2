// The metrics chapter 13's contracts bind their claims to.
#include "chapters/ch13_profiling/book_reference.h"
#include "chapters/ch13_profiling/decode_roofline.h"
#include "common/contracts/metric_registry.h"

namespace contracts {

void RegisterMetrics(MetricRegistry& registry) {
  const auto seven_b = [] {
    return ch13::DecodeFootprintOf(*model::FindPreset(ch13::kSevenBPreset), gguf::GgmlType::kQ4_K);
  };
  registry.Add("roofline.decode_oi_7b_q4k",
               "FLOP/byte of one decode token of the 7B preset, all matrices Q4_K",
               [seven_b]() -> absl::StatusOr<double> { return seven_b().OperationalIntensity(); });
  registry.Add("roofline.ceiling_tps_7b_q4k_at_book_bw",
               "tok/s ceiling of 7B Q4_K decode at the book's assumed DRAM bandwidth",
               [seven_b]() -> absl::StatusOr<double> {
                 return ch13::BandwidthCeilingTps(seven_b().bytes_per_token,
                                                  ch13::kBookAssumedBandwidth);
               });
  registry.Add("book.decode_oi", "the book's 7B at 0.5 bytes/param, recomputed",
               []() -> absl::StatusOr<double> {
                 return ch13::BookFootprint(ch13::kBookParams, ch13::kBookBytesPerParam)
                     .OperationalIntensity();
               });
}

}  // namespace contracts
