// Survives SIGBUS on memory-mapped files that shrink while in use.
//
// Reading a mapped page past the end of a file that was truncated after it
// was mapped raises SIGBUS. The guard's handler, for addresses inside a
// registered mapping, maps a zero page over the faulting one, marks the
// mapping as changed and lets the read continue; any other SIGBUS keeps its
// default action.
//
//   int slot = RegisterMapping(base, size);   // -1 when the table is full
//   ... reads ...
//   if (MappingChanged(slot)) { error }
//   UnregisterMapping(slot);
#ifndef APR_COMMON_GGUF_MAPPING_GUARD_H_
#define APR_COMMON_GGUF_MAPPING_GUARD_H_

#include <cstddef>

namespace gguf {

int RegisterMapping(const void* base, size_t size);
bool MappingChanged(int slot);
void UnregisterMapping(int slot);

}  // namespace gguf

#endif  // APR_COMMON_GGUF_MAPPING_GUARD_H_
