// ProgressBar (progress_bar.h).
#include "cli/progress_bar.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/core.h>

namespace stampede::cli {

std::string FormatBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

ProgressBar::ProgressBar(std::span<client::ClientTransfer* const> transfers, std::string label,
                         bool enabled, Instant start)
    : transfers_(transfers), label_(std::move(label)), enabled_(enabled), start_(start) {}

void ProgressBar::OnTick(Instant now) {
  if (!enabled_ || (drawn_ && now - last_draw_ < std::chrono::milliseconds(200))) return;
  // Once every transfer has its data only the dally (RFC 1350 §6) runs: a falling rate would lie.
  if (drawn_ && std::all_of(transfers_.begin(), transfers_.end(),
                            [](const auto* t) { return t->succeeded() || t->finished(); })) {
    return;
  }
  last_draw_ = now;
  std::uint64_t bytes = 0;
  std::uint64_t total = 0;
  bool total_known = true;
  std::uint64_t retransmissions = 0;
  for (const auto* t : transfers_) {
    const auto p = t->progress();
    bytes += p.bytes;
    retransmissions += p.retransmissions;
    if (p.total_bytes) {
      total += *p.total_bytes;
    } else {
      total_known = false;
    }
  }
  const double elapsed_s = ToSeconds(now - start_);
  const double rate = elapsed_s > 0 ? static_cast<double>(bytes) / elapsed_s : 0;
  std::string line = fmt::format("{} {}", label_, FormatBytes(static_cast<double>(bytes)));
  if (total_known && total > 0) {
    const double fraction = static_cast<double>(bytes) / static_cast<double>(total);
    line += fmt::format(" / {} {:3.0f}%", FormatBytes(static_cast<double>(total)), 100 * fraction);
    if (rate > 0 && bytes < total) {
      const auto eta_s = static_cast<long>(static_cast<double>(total - bytes) / rate);
      line += fmt::format(" ETA {}:{:02}", eta_s / 60, eta_s % 60);
    }
  }
  line += fmt::format("  {}/s", FormatBytes(rate));
  if (retransmissions > 0) line += fmt::format("  retx {}", retransmissions);
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Clear() {
  if (!drawn_) return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace stampede::cli
