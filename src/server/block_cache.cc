// BlockCache (block_cache.h): entries per file identity, a pool of fixed-size chunks, an intrusive
// LRU list of the chunks no reader holds.
#include "server/block_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <sys/types.h>
#include <unistd.h>

#include "base/check.h"

namespace stampede::server {

struct BlockCache::Chunk {
  std::unique_ptr<std::byte[]> data;
  std::size_t size = 0;  // valid bytes (the file's last chunk may be short)
  Entry* owner = nullptr;
  std::uint64_t index = 0;
  std::uint32_t pins = 0;
  Chunk* prev = nullptr;  // LRU links, while unpinned and filled
  Chunk* next = nullptr;
  bool in_lru = false;
};

struct BlockCache::Entry {
  FileIdentity id;
  std::vector<Chunk*> chunks;  // by chunk index; nullptr: not cached
  std::size_t cached = 0;      // non-null entries of `chunks`
  std::uint32_t readers = 0;
  bool changed = false;  // seen changed under a transfer: every further fill fails
};

FileIdentity FileIdentity::Of(const struct stat& st) {
  FileIdentity id;
  id.device = static_cast<std::uint64_t>(st.st_dev);
  id.inode = static_cast<std::uint64_t>(st.st_ino);
  id.size_bytes = static_cast<std::uint64_t>(st.st_size);
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

std::size_t BlockCache::IdentityHash::operator()(const FileIdentity& id) const {
  std::uint64_t h = id.inode * 0x9e3779b97f4a7c15ull;
  h ^= id.device + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
  h ^= static_cast<std::uint64_t>(id.mtime_ns) + (h << 6) + (h >> 2);
  return static_cast<std::size_t>(h);
}

BlockCache::BlockCache(BlockCacheLimits limits)
    : limits_(limits),
      chunks_max_(limits.capacity_bytes / std::max<std::size_t>(1, limits.chunk_bytes)) {
  STAMPEDE_CHECK(limits_.chunk_bytes > 0);
}

BlockCache::~BlockCache() {
  for (const auto& [id, entry] : entries_) STAMPEDE_CHECK(entry->readers == 0);
}

BlockCache::Reader BlockCache::Open(int fd, const FileIdentity& id) {
  auto [it, inserted] = entries_.try_emplace(id);
  if (inserted) {
    it->second = std::make_unique<Entry>();
    it->second->id = id;
    const std::uint64_t chunks = (id.size_bytes + limits_.chunk_bytes - 1) / limits_.chunk_bytes;
    it->second->chunks.assign(static_cast<std::size_t>(chunks), nullptr);
  }
  ++it->second->readers;
  return Reader(this, it->second.get(), fd);
}

BlockCache::Chunk* BlockCache::TakeFreeChunk() {
  if (!free_.empty()) {
    Chunk* c = free_.back();
    free_.pop_back();
    return c;
  }
  if (pool_.size() < chunks_max_) {
    auto chunk = std::make_unique<Chunk>();
    chunk->data = std::make_unique_for_overwrite<std::byte[]>(limits_.chunk_bytes);
    pool_.push_back(std::move(chunk));
    stats_.chunks_allocated = pool_.size();
    return pool_.back().get();
  }
  if (lru_head_ == nullptr) return nullptr;  // every chunk is held by a reader
  Chunk* victim = lru_head_;
  LruRemove(victim);
  Detach(victim);
  ++stats_.evictions;
  return victim;
}

void BlockCache::Detach(Chunk* chunk) {
  Entry* owner = chunk->owner;
  if (owner == nullptr) return;
  owner->chunks[static_cast<std::size_t>(chunk->index)] = nullptr;
  --owner->cached;
  chunk->owner = nullptr;
  chunk->size = 0;
  MaybeErase(owner);
}

void BlockCache::MaybeErase(Entry* entry) {
  if (entry->readers == 0 && entry->cached == 0) entries_.erase(entry->id);
}

tl::expected<BlockCache::Chunk*, transfer::StorageError> BlockCache::Pin(Entry& entry,
                                                                         std::uint64_t index,
                                                                         int fd) {
  Chunk* chunk = entry.chunks[static_cast<std::size_t>(index)];
  if (chunk != nullptr) {
    ++stats_.chunk_hits;
    if (chunk->in_lru) LruRemove(chunk);
    ++chunk->pins;
    return chunk;
  }
  if (entry.changed) return tl::unexpected(transfer::StorageError::kIo);
  chunk = TakeFreeChunk();
  if (chunk == nullptr) return nullptr;
  const std::uint64_t offset = index * limits_.chunk_bytes;
  const auto wanted = static_cast<std::size_t>(
      std::min<std::uint64_t>(limits_.chunk_bytes, entry.id.size_bytes - offset));
  std::size_t done = 0;
  bool failed = false;
  while (done < wanted) {
    const ssize_t got =
        ::pread(fd, chunk->data.get() + done, wanted - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {  // an error, or the file is shorter than its identity says
      failed = true;
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  // The bytes just read belong to the identity only if the file did not change meanwhile:
  // write(2) and truncate(2) update mtime before the data, so a concurrent writer shows.
  struct stat st {};
  if (!failed && (::fstat(fd, &st) != 0 || !(FileIdentity::Of(st) == entry.id))) failed = true;
  if (failed) {
    entry.changed = true;
    ++stats_.changed_files;
    free_.push_back(chunk);
    return tl::unexpected(transfer::StorageError::kIo);
  }
  ++stats_.chunk_fills;
  chunk->size = wanted;
  chunk->owner = &entry;
  chunk->index = index;
  chunk->pins = 1;
  entry.chunks[static_cast<std::size_t>(index)] = chunk;
  ++entry.cached;
  return chunk;
}

void BlockCache::Unpin(Chunk* chunk) {
  STAMPEDE_CHECK(chunk->pins > 0);
  if (--chunk->pins > 0) return;
  if (chunk->owner->changed) {
    // Nobody may start on a changed file's chunks; drop them as soon as they are free.
    Detach(chunk);
    free_.push_back(chunk);
    return;
  }
  LruPushBack(chunk);
}

void BlockCache::Release(Entry* entry) {
  STAMPEDE_CHECK(entry->readers > 0);
  --entry->readers;
  MaybeErase(entry);
}

void BlockCache::LruPushBack(Chunk* chunk) {
  chunk->prev = lru_tail_;
  chunk->next = nullptr;
  if (lru_tail_ != nullptr) {
    lru_tail_->next = chunk;
  } else {
    lru_head_ = chunk;
  }
  lru_tail_ = chunk;
  chunk->in_lru = true;
}

void BlockCache::LruRemove(Chunk* chunk) {
  if (chunk->prev != nullptr) {
    chunk->prev->next = chunk->next;
  } else {
    lru_head_ = chunk->next;
  }
  if (chunk->next != nullptr) {
    chunk->next->prev = chunk->prev;
  } else {
    lru_tail_ = chunk->prev;
  }
  chunk->prev = chunk->next = nullptr;
  chunk->in_lru = false;
}

// Reader

BlockCache::Reader::Reader(Reader&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)),
      fd_(std::exchange(other.fd_, -1)),
      pinned_(std::exchange(other.pinned_, nullptr)) {}

BlockCache::Reader& BlockCache::Reader::operator=(Reader&& other) noexcept {
  if (this != &other) {
    Reset();
    cache_ = std::exchange(other.cache_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
    pinned_ = std::exchange(other.pinned_, nullptr);
  }
  return *this;
}

void BlockCache::Reader::Reset() {
  if (cache_ == nullptr) return;
  if (pinned_ != nullptr) cache_->Unpin(pinned_);
  pinned_ = nullptr;
  cache_->Release(entry_);
  cache_ = nullptr;
  entry_ = nullptr;
}

tl::expected<std::size_t, transfer::StorageError> BlockCache::Reader::ReadAt(
    std::uint64_t offset, std::span<std::byte> out) {
  STAMPEDE_CHECK(cache_ != nullptr);
  const std::uint64_t size = entry_->id.size_bytes;
  if (offset >= size) return 0;
  const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size - offset));
  const std::size_t chunk_bytes = cache_->limits_.chunk_bytes;
  std::size_t done = 0;
  while (done < wanted) {
    const std::uint64_t at = offset + done;
    const std::uint64_t index = at / chunk_bytes;
    if (pinned_ == nullptr || pinned_->index != index) {
      if (pinned_ != nullptr) cache_->Unpin(pinned_);
      pinned_ = nullptr;
      auto chunk = cache_->Pin(*entry_, index, fd_);
      if (!chunk) return tl::unexpected(chunk.error());
      pinned_ = *chunk;
    }
    const std::size_t in_chunk = static_cast<std::size_t>(at - index * chunk_bytes);
    if (pinned_ == nullptr) {
      // Every chunk is held by some reader: read around the cache, up to this chunk's end.
      ++cache_->stats_.bypass_reads;
      if (entry_->changed) return tl::unexpected(transfer::StorageError::kIo);
      const std::size_t n = std::min(wanted - done, chunk_bytes - in_chunk);
      const ssize_t got = ::pread(fd_, out.data() + done, n, static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return tl::unexpected(transfer::StorageError::kIo);  // shrank under us
      done += static_cast<std::size_t>(got);
      continue;
    }
    const std::size_t n = std::min(wanted - done, pinned_->size - in_chunk);
    std::memcpy(out.data() + done, pinned_->data.get() + in_chunk, n);
    done += n;
  }
  return done;
}

}  // namespace stampede::server
