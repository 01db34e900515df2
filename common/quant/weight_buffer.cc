#include "common/quant/weight_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "common/quant/cache_line_allocator.h"

namespace quant {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

WeightBuffer::WeightBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const size_t align = bytes >= kHugePage ? kHugePage : kCacheLineBytes;
  const size_t rounded = (bytes + align - 1) / align * align;  // aligned_alloc wants a multiple
  data_ = static_cast<uint8_t*>(std::aligned_alloc(align, rounded));
  if (data_ == nullptr) throw std::bad_alloc();  // as std::vector would
  // Advice only: without huge pages the memory works the same, slower.
  if (align == kHugePage) (void)madvise(data_, rounded, MADV_HUGEPAGE);
  std::memset(data_, 0, bytes);
}

WeightBuffer::~WeightBuffer() { std::free(data_); }

WeightBuffer::WeightBuffer(WeightBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

WeightBuffer& WeightBuffer::operator=(WeightBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace quant
