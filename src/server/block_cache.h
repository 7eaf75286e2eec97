// A shared, bounded, read-only cache of file contents for the server's read transfers, so that a
// thousand clients fetching one initrd read it from the file system once and no DATA costs a
// read(2): chunks of a file are filled with pread on first use, kept while any transfer is on them,
// and evicted least-recently-used when the bound is reached.
//
// Files are identified by device, inode, size and mtime (FileIdentity): a file replaced by rename,
// or rewritten, is another file, and transfers that began on the old one finish with its bytes
// (ctime is left out: unlinking the old inode, as a rename over it does, changes its ctime but
// not its content). A file changed in place under a running transfer is detected when the next
// chunk is filled (fstat after the pread: write(2) and truncate(2) update mtime before they touch
// the data) and that transfer fails with an I/O error rather than deliver old and new bytes mixed.
// Chunks are anonymous memory filled by pread, never a mapping of the file, so a file truncated
// under the server cannot raise SIGBUS.
//
// Single-threaded (the server's loop thread). No allocation once the pool of chunks has grown to
// its bound; a read within the chunk a reader already holds is a memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>
#include <tl/expected.hpp>

#include "transfer/storage_error.h"

namespace stampede::server {

struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;

  static FileIdentity Of(const struct stat& st);
  bool operator==(const FileIdentity&) const = default;
};

struct BlockCacheLimits {
  std::size_t capacity_bytes = std::size_t{256} << 20;  // memory held by chunks, at most
  std::size_t chunk_bytes = std::size_t{256} << 10;     // one pread and one fstat per chunk
};

struct BlockCacheStats {
  std::uint64_t chunk_hits = 0;      // a reader found the chunk it needed already filled
  std::uint64_t chunk_fills = 0;     // chunks read from the file system
  std::uint64_t bypass_reads = 0;    // reads served by a plain pread: every chunk was in use
  std::uint64_t evictions = 0;       // chunks dropped to make room
  std::uint64_t changed_files = 0;   // files found changed under a transfer
  std::size_t chunks_allocated = 0;  // the pool's size; never above capacity / chunk
};

class BlockCache {
  struct Entry;
  struct Chunk;

 public:
  explicit BlockCache(BlockCacheLimits limits = {});
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // One transfer's view of one file. Holds the file's entry and at most one chunk.
  class Reader {
   public:
    Reader() = default;
    ~Reader() { Reset(); }
    Reader(Reader&& other) noexcept;
    Reader& operator=(Reader&& other) noexcept;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // The BlockSource contract (transfer/block_source.h) over the first identity.size_bytes bytes.
    // kIo when the file is shorter than its identity says or changed since.
    tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                             std::span<std::byte> out);
    bool valid() const { return cache_ != nullptr; }

   private:
    friend class BlockCache;
    Reader(BlockCache* cache, Entry* entry, int fd) : cache_(cache), entry_(entry), fd_(fd) {}
    void Reset();

    BlockCache* cache_ = nullptr;
    Entry* entry_ = nullptr;
    int fd_ = -1;
    Chunk* pinned_ = nullptr;
  };

  // A reader of the file open as `fd` (not owned; it must stay open while the reader lives) whose
  // fstat was `id`. Readers of the same identity share chunks.
  Reader Open(int fd, const FileIdentity& id);

  const BlockCacheStats& stats() const { return stats_; }
  const BlockCacheLimits& limits() const { return limits_; }
  std::size_t files() const { return entries_.size(); }

 private:
  struct IdentityHash {
    std::size_t operator()(const FileIdentity& id) const;
  };

  // The filled chunk `index` of `entry`, pinned; nullptr with no error when no chunk could be had
  // (every chunk pinned): the caller reads around the cache.
  tl::expected<Chunk*, transfer::StorageError> Pin(Entry& entry, std::uint64_t index, int fd);
  void Unpin(Chunk* chunk);
  void Release(Entry* entry);
  Chunk* TakeFreeChunk();
  void Detach(Chunk* chunk);  // from its entry, erasing the entry when nothing holds it
  void LruPushBack(Chunk* chunk);
  void LruRemove(Chunk* chunk);
  void MaybeErase(Entry* entry);

  BlockCacheLimits limits_;
  std::size_t chunks_max_;
  std::unordered_map<FileIdentity, std::unique_ptr<Entry>, IdentityHash> entries_;
  std::vector<std::unique_ptr<Chunk>> pool_;  // every chunk ever allocated
  std::vector<Chunk*> free_;                  // allocated, holding nothing
  Chunk* lru_head_ = nullptr;                 // filled, unpinned; the head is evicted first
  Chunk* lru_tail_ = nullptr;
  BlockCacheStats stats_;
};

}  // namespace stampede::server
