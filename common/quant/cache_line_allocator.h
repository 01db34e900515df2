// An allocator for std::vector whose storage starts on a cache line, so that
// kernels writing whole 64-byte lines of it can use streaming stores.
#ifndef APR_COMMON_QUANT_CACHE_LINE_ALLOCATOR_H_
#define APR_COMMON_QUANT_CACHE_LINE_ALLOCATOR_H_

#include <cstddef>
#include <new>
#include <vector>

namespace quant {

inline constexpr std::size_t kCacheLineBytes = 64;

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kCacheLineBytes)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kCacheLineBytes)); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const {
    return true;
  }
};

// Floats whose first element starts a cache line.
using LineAlignedFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace quant

#endif  // APR_COMMON_QUANT_CACHE_LINE_ALLOCATOR_H_
