// Fuzz target for the path resolver against a fixture tree: at start-up a small tree is built in a
// fresh temporary directory, with a secret file beside the served root, symlinks that escape it
// (relative, absolute, through a directory, chained), in-root symlinks, a symlink loop, a FIFO,
// mixed-case names for fold_case, and deep directories. The first input byte picks the resolver's
// options (and whether the name is prefixed with the root's absolute path, PROTOCOL D28); the rest
// is the requested name. Only reads and directory opens happen: nothing is ever written.
// Invariants: a file opened for a read is a regular file whose real path lies beneath the root and
// is never the secret; an upload target's directory lies beneath the root (or is it) and its name
// is one plain component; the canonical path never holds "..", an empty or a "." component.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/path_resolver.h"

namespace {

using stampede::server::PathResolver;
using stampede::server::PathResolverOptions;
using stampede::server::SymlinkPolicy;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (false)

struct Fixture {
  std::string base;  // realpath of the temporary directory
  std::string root;  // base + "/root"
  dev_t secret_dev = 0;
  ino_t secret_ino = 0;
};

void WriteFile(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
}

void Dir(const std::string& path) { FUZZ_CHECK(::mkdir(path.c_str(), 0755) == 0); }
void Link(const char* target, const std::string& path) {
  FUZZ_CHECK(::symlink(target, path.c_str()) == 0);
}

// Removes the fixture at exit (best effort: a fuzzer killed by a signal leaves it in /tmp).
Fixture* g_fixture = nullptr;
void RemoveFixture() {
  if (g_fixture != nullptr) {
    const std::string cmd = "rm -rf '" + g_fixture->base + "'";
    static_cast<void>(std::system(cmd.c_str()));
  }
}

const Fixture& GetFixture() {
  static Fixture fixture = [] {
    Fixture f;
    char tmpl[] = "/tmp/stampede-fuzz-tree-XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
    char real[PATH_MAX];
    FUZZ_CHECK(::realpath(tmpl, real) != nullptr);
    f.base = real;
    f.root = f.base + "/root";
    Dir(f.base + "/outside");
    WriteFile(f.base + "/outside/secret", "secret");
    Dir(f.base + "/root-private");  // a sibling sharing the root's prefix (D28, tftpy)
    WriteFile(f.base + "/root-private/x", "private");
    Dir(f.root);
    WriteFile(f.root + "/pxelinux.0", "boot");
    Dir(f.root + "/pxelinux.cfg");
    WriteFile(f.root + "/pxelinux.cfg/default", "menu");
    Link("default", f.root + "/pxelinux.cfg/01-aa-bb");
    Dir(f.root + "/Boot");
    WriteFile(f.root + "/Boot/BCD", "bcd");
    Dir(f.root + "/a");
    Dir(f.root + "/a/b");
    WriteFile(f.root + "/a/b/c", "deep");
    Link("..", f.root + "/a/up");
    Link("../../outside/secret", f.root + "/a/b/escape");
    Link("../outside/secret", f.root + "/escape");
    Link("../outside", f.root + "/escape_dir");
    Link((f.base + "/outside/secret").c_str(), f.root + "/absolute");
    Link("/etc/passwd", f.root + "/passwd");
    Link("escape", f.root + "/chain");
    Link("loop", f.root + "/loop");
    Link("pxelinux.0", f.root + "/inside");
    FUZZ_CHECK(::mkfifo((f.root + "/fifo").c_str(), 0644) == 0);
    struct stat st{};
    FUZZ_CHECK(::stat((f.base + "/outside/secret").c_str(), &st) == 0);
    f.secret_dev = st.st_dev;
    f.secret_ino = st.st_ino;
    return f;
  }();
  if (g_fixture == nullptr) {
    g_fixture = &fixture;
    std::atexit(RemoveFixture);
  }
  return fixture;
}

std::string FdPath(int fd) {
  char link[PATH_MAX];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(proc.c_str(), link, sizeof link - 1);
  FUZZ_CHECK(n > 0);
  return std::string(link, static_cast<std::size_t>(n));
}

bool Beneath(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

void CheckCanonical(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    FUZZ_CHECK(!part.empty() && part != "." && part != "..");
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Fixture& fixture = GetFixture();
  const std::uint8_t flags = data[0];
  PathResolverOptions options;
  options.map_backslashes = (flags & 1) != 0;
  options.absolute_is_root_relative = (flags & 2) != 0;
  options.fold_case = (flags & 4) != 0;
  options.symlinks = (flags & 8) != 0 ? SymlinkPolicy::kRefuse : SymlinkPolicy::kFollowBeneath;
  options.force_walk = (flags & 16) != 0;
  options.require_world_readable = (flags & 32) != 0;
  std::string name((flags & 64) != 0 ? fixture.root + "/" : "");
  name.append(reinterpret_cast<const char*>(data + 1), size - 1);

  // One resolver per option combination, opened once: the root does not change.
  static std::array<std::optional<PathResolver>, 64> resolvers;
  auto& resolver = resolvers[flags & 63];
  if (!resolver) {
    auto opened = PathResolver::Open(fixture.root, options);
    FUZZ_CHECK(opened.has_value());
    resolver.emplace(std::move(*opened));
  }

  if (auto read = resolver->ResolveRead(name)) {
    struct stat st{};
    FUZZ_CHECK(::fstat(read->fd.get(), &st) == 0);
    FUZZ_CHECK(S_ISREG(st.st_mode));
    FUZZ_CHECK(!(st.st_dev == fixture.secret_dev && st.st_ino == fixture.secret_ino));
    FUZZ_CHECK(Beneath(FdPath(read->fd.get()), fixture.root));
    FUZZ_CHECK(static_cast<std::uint64_t>(st.st_size) == read->size_bytes);
    CheckCanonical(read->path);
  }
  if (auto write = resolver->ResolveWrite(name)) {
    FUZZ_CHECK(Beneath(FdPath(write->parent_fd.get()), fixture.root));
    FUZZ_CHECK(!write->name.empty() && write->name != "." && write->name != "..");
    FUZZ_CHECK(write->name.find('/') == std::string::npos);
    CheckCanonical(write->path);
  }
  return 0;
}
