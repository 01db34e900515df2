// Memory for weights the engine keeps in its own layout (repacked rows),
// read once per token while decode streams them from DRAM.
//
// Buffers of 2 MiB or more are 2 MiB aligned and advised as transparent huge
// pages before they are first written. With 4 KiB pages a stream crosses a
// page boundary every 4 KiB, each a TLB miss for the software prefetch and
// an edge the hardware prefetcher stops at; measured on this project's decode
// kernels (2 threads, weights cycled through 512 MiB), huge pages read
// Q4_K 12-17% faster, Q6_K 12-13%, Q8_0 and F16 8-9%. Where the kernel grants no
// huge pages the buffer is an ordinary aligned one.
#ifndef APR_COMMON_QUANT_WEIGHT_BUFFER_H_
#define APR_COMMON_QUANT_WEIGHT_BUFFER_H_

#include <cstddef>
#include <cstdint>

namespace quant {

class WeightBuffer {
 public:
  WeightBuffer() = default;
  // `bytes` zeroed bytes, at least 64-byte aligned.
  explicit WeightBuffer(size_t bytes);
  ~WeightBuffer();
  WeightBuffer(WeightBuffer&& other) noexcept;
  WeightBuffer& operator=(WeightBuffer&& other) noexcept;
  WeightBuffer(const WeightBuffer&) = delete;
  WeightBuffer& operator=(const WeightBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace quant

#endif  // APR_COMMON_QUANT_WEIGHT_BUFFER_H_
