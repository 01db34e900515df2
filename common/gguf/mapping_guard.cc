#include "common/gguf/mapping_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace gguf {
namespace {

constexpr int kSlots = 64;

struct Slot {
  std::atomic<uintptr_t> base{0};
  std::atomic<size_t> size{0};
  std::atomic<bool> changed{false};
};

Slot g_slots[kSlots];
std::once_flag g_install_once;

void OnSigbus(int sig, siginfo_t* info, void*) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& s : g_slots) {
    const uintptr_t base = s.base.load(std::memory_order_acquire);
    if (base != 0 && addr >= base && addr < base + s.size.load(std::memory_order_acquire)) {
      const uintptr_t page = addr & ~(static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)) - 1);
      // A zero page in place of the vanished one; the read then completes.
      if (mmap(reinterpret_cast<void*>(page), sysconf(_SC_PAGESIZE), PROT_READ,
               MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
        s.changed.store(true, std::memory_order_release);
        return;
      }
    }
  }
  // Not ours: the default action.
  signal(sig, SIG_DFL);
  raise(sig);
}

void Install() {
  struct sigaction action = {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, nullptr);
}

}  // namespace

int RegisterMapping(const void* base, size_t size) {
  std::call_once(g_install_once, Install);
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (g_slots[i].base.load() == 0) {
      g_slots[i].size.store(size);
      g_slots[i].changed.store(false);
      if (g_slots[i].base.compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(base))) return i;
    }
  }
  return -1;
}

bool MappingChanged(int slot) {
  return slot >= 0 && slot < kSlots && g_slots[slot].changed.load(std::memory_order_acquire);
}

void UnregisterMapping(int slot) {
  if (slot >= 0 && slot < kSlots) g_slots[slot].base.store(0, std::memory_order_release);
}

}  // namespace gguf
