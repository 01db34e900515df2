// The book's own figures, shown beside ours as labelled references and never
// used in place of a measurement.
#ifndef APR_CHAPTERS_CH13_PROFILING_BOOK_REFERENCE_H_
#define APR_CHAPTERS_CH13_PROFILING_BOOK_REFERENCE_H_

namespace ch13 {

inline constexpr char kSevenBPreset[] = "llama-2-7b";
inline constexpr double kBookParams = 7e9;
inline constexpr double kBookBytesPerParam = 0.5;       // "Q4 ~ 0.5 bytes/param"
inline constexpr double kBookAssumedBandwidth = 50e9;   // "~50 GB/s DDR5"
inline constexpr double kBookPrefillSpeedup = 8.2;      // 2570 ms vs 314 ms

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_BOOK_REFERENCE_H_
