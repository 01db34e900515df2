// Human-readable numbers: SI prefixes, durations, bytes.
#ifndef APR_COMMON_REPORT_UNITS_H_
#define APR_COMMON_REPORT_UNITS_H_

#include <string>

namespace report {

// 1.23e9 -> "1.23 G"; 950 -> "950 "; 0.002 -> "2.00 m". Three significant digits.
std::string Si(double value);
// Seconds as "12.3 us", "4.56 ms", "1.20 s".
std::string Duration(double seconds);
// Bytes in binary units: "1.50 GiB", "144 B".
std::string Bytes(double bytes);

}  // namespace report

#endif  // APR_COMMON_REPORT_UNITS_H_
