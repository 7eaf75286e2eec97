// Test helper: a scratch directory under /tmp (mkdtemp) removed with its contents at scope end,
// plus small file-system helpers for building hostile trees (symlinks, FIFOs, sockets).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stampede::server::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/stampede-server-test.XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    // Mode 0000 directories made by tests must not block the removal.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ignored);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
      if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
        std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ignored);
      }
    }
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

  void Write(const std::string& relative, const std::string& content) const {
    const std::filesystem::path full = *this / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary | std::ios::trunc) << content;
  }
  void MakeDir(const std::string& relative) const {
    std::filesystem::create_directories(*this / relative);
  }
  void Symlink(const std::string& target, const std::string& relative) const {
    std::filesystem::create_symlink(target, *this / relative);
  }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string ReadFd(int fd) {
  std::string out;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const ssize_t got = ::pread(fd, buffer, sizeof(buffer), offset);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  return out;
}

}  // namespace stampede::server::testing
