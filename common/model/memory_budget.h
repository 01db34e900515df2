// How much of the machine's memory a model's copies of its weights may take:
// what the kernel reports available (MemAvailable: free memory and the page
// cache it can drop) less a reserve for the KV cache and the engine's buffers.
// Past it, matrices are read in place from the file, as llama.cpp reads
// every model, rather than the process being killed for memory.
#ifndef APR_COMMON_MODEL_MEMORY_BUDGET_H_
#define APR_COMMON_MODEL_MEMORY_BUDGET_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace model {

// MemAvailable of a /proc/meminfo text, in bytes.
absl::StatusOr<uint64_t> MemAvailableBytes(absl::string_view meminfo);

// `available` less max(1 GiB, available / 8).
uint64_t CopyBudgetFrom(uint64_t available);

// This machine's budget now; unlimited where /proc/meminfo cannot be read.
uint64_t CopyBudgetBytes();

}  // namespace model

#endif  // APR_COMMON_MODEL_MEMORY_BUDGET_H_
