// Parse allocates nothing on the DATA/ACK hot path (ARCHITECTURE.md, wire/). The global allocation
// functions are replaced for this test executable to count calls while a scope is active; outside
// a scope they only forward to malloc/free, so every other test is unaffected.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "wire/packet.h"
#include "wire/packet_testing.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

void* CountedAlloc(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

// Counts allocations made between construction and count().
class AllocationScope {
 public:
  AllocationScope() {
    allocations = 0;
    counting = true;
  }
  ~AllocationScope() { counting = false; }
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;
  std::size_t count() const { return allocations.load(); }
};

}  // namespace

// All non-aligned forms are replaced together so every new is paired with a matching delete.
void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace stampede::wire {
namespace {

using namespace std::string_literals;
using testing::AsBytes;

TEST(PacketAlloc, ScopeSeesAllocations) {
  AllocationScope scope;
  auto* probe = new int(1);
  delete probe;
  EXPECT_EQ(scope.count(), 1u);
}

TEST(PacketAlloc, ParseAndWriteOfDataAndAckAllocateNothing) {
  const std::string data = "\x00\x03\x00\x01"s + std::string(1468, 'd');
  const std::string ack = "\x00\x04\x00\x01"s;
  const std::string request = "\x00\x01" "f\0octet\0" "blksize\0" "1428\0"s;
  std::array<std::byte, 1500> out{};
  std::size_t blocks = 0;
  {
    AllocationScope scope;
    for (int i = 0; i < 100; ++i) {
      blocks += std::get<Data>(*Parse(AsBytes(data))).payload.size();
      blocks += std::get<Ack>(*Parse(AsBytes(ack))).block;
      blocks += std::get<Request>(*Parse(AsBytes(request))).options.size();
      blocks += WriteData(out, 1, std::get<Data>(*Parse(AsBytes(data))).payload);
      blocks += WriteAck(out, 2);
    }
    EXPECT_EQ(scope.count(), 0u);
  }
  EXPECT_GT(blocks, 0u);
}

}  // namespace
}  // namespace stampede::wire
