// epoll dispatch, eventfd stop and signalfd signals (see event_loop.h). Events carry the fd and a
// registration generation in epoll_data.u64, so an event collected for an fd that a handler
// removed (and perhaps re-added) in the same wake-up is recognised as stale and dropped.
#include "io/event_loop.h"

#include <cerrno>
#include <ctime>

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/check.h"
#include "base/units.h"
#include "io/clock.h"

namespace stampede::io {
namespace {

std::uint64_t PackData(int fd, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

constexpr std::size_t kSignalsPerWake = 16;

}  // namespace

class EventLoop::WakeHandler final : public IoHandler {
 public:
  explicit WakeHandler(EventLoop* loop) : loop_(loop) {}
  void OnIoReady(const IoEvent&) override { loop_->DrainWakeFd(); }

 private:
  EventLoop* loop_;
};

class EventLoop::SignalFdHandler final : public IoHandler {
 public:
  explicit SignalFdHandler(EventLoop* loop) : loop_(loop) {}
  void OnIoReady(const IoEvent& event) override { loop_->DrainSignalFd(event.now); }

 private:
  EventLoop* loop_;
};

EventLoop::EventLoop(const EventLoopOptions& options)
    : options_(options), timers_(options.reserve_timers) {
  STAMPEDE_CHECK(options_.events_per_wake > 0 && options_.timers_per_wake > 0);
  ready_.resize(options_.events_per_wake);
}

tl::expected<std::unique_ptr<EventLoop>, Error> EventLoop::Create(const EventLoopOptions& options) {
  std::unique_ptr<EventLoop> loop(new EventLoop(options));
  if (auto ok = loop->Init(); !ok) return tl::unexpected(ok.error());
  return loop;
}

tl::expected<void, Error> EventLoop::Init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return tl::unexpected(MakeError(errno, "epoll_create1"));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return tl::unexpected(MakeError(errno, "eventfd"));
  wake_handler_ = std::make_unique<WakeHandler>(this);
  return Add(wake_fd_, EPOLLIN, wake_handler_.get());
}

EventLoop::~EventLoop() {
  if (signal_fd_ >= 0) close(signal_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

tl::expected<void, Error> EventLoop::Add(int fd, std::uint32_t events, IoHandler* handler) {
  STAMPEDE_CHECK(fd >= 0 && handler != nullptr);
  const auto index = static_cast<std::size_t>(fd);
  if (index >= registrations_.size()) registrations_.resize(index + 1);
  Registration& r = registrations_[index];
  STAMPEDE_CHECK(!r.active);
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = PackData(fd, r.generation + 1);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return tl::unexpected(MakeError(errno, "epoll_ctl add fd " + std::to_string(fd)));
  }
  ++r.generation;
  r.handler = handler;
  r.active = true;
  return {};
}

tl::expected<void, Error> EventLoop::Modify(int fd, std::uint32_t events) {
  const auto index = static_cast<std::size_t>(fd);
  STAMPEDE_CHECK(fd >= 0 && index < registrations_.size() && registrations_[index].active);
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = PackData(fd, registrations_[index].generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return tl::unexpected(MakeError(errno, "epoll_ctl mod fd " + std::to_string(fd)));
  }
  return {};
}

void EventLoop::Remove(int fd) {
  const auto index = static_cast<std::size_t>(fd);
  if (fd < 0 || index >= registrations_.size() || !registrations_[index].active) return;
  // Failure means the fd was already closed, which removed it from the epoll set anyway.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  registrations_[index].active = false;
  registrations_[index].handler = nullptr;
}

tl::expected<void, Error> EventLoop::WatchSignals(std::span<const int> signals,
                                                  SignalHandler* handler) {
  STAMPEDE_CHECK(handler != nullptr);
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  // pthread_sigmask returns the error number instead of setting errno.
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return tl::unexpected(MakeError(rc, "pthread_sigmask"));
  }
  const int fd = signalfd(signal_fd_, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return tl::unexpected(MakeError(errno, "signalfd"));
  signal_handler_ = handler;
  if (signal_fd_ < 0) {
    signal_fd_ = fd;
    signal_fd_handler_ = std::make_unique<SignalFdHandler>(this);
    return Add(signal_fd_, EPOLLIN, signal_fd_handler_.get());
  }
  return {};
}

void EventLoop::Stop() {
  const int saved_errno = errno;  // may run inside a signal handler
  stop_requested_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  // The only possible failure is EAGAIN at a counter near 2^64, which still leaves it readable.
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof(one));
  errno = saved_errno;
}

int EventLoop::WaitForEvents(Duration max_wait, bool& caught_spinning) {
  const auto max_events = static_cast<int>(ready_.size());
  const Instant next = timers_.NextDeadline();
  Duration wait = max_wait;
  if (next != kInstantNever) {
    const Duration until_timer = next <= now_ ? Duration::zero() : next - now_;
    if (until_timer < wait) wait = until_timer;
  }
  if (busy_poll_armed_ && options_.busy_poll > Duration::zero() && wait > Duration::zero()) {
    // Never past the wait: a timer due within the spin still fires on time.
    const Instant until = now_ + std::min(wait, options_.busy_poll);
    Instant now = now_;
    do {
      const int n = epoll_wait(epoll_fd_, ready_.data(), max_events, 0);
      if (n != 0) {
        caught_spinning = n > 0;
        return n;
      }
      now = Now();
    } while (now < until);
    if (wait != kForever) {
      wait -= now - now_;
      if (wait <= Duration::zero()) return 0;
    }
  }
  if (wait == kForever) return epoll_wait(epoll_fd_, ready_.data(), max_events, -1);
  if (wait < Duration::zero()) wait = Duration::zero();
  // epoll_pwait2 (Linux 5.11) takes nanoseconds; epoll_wait's milliseconds would make a 200 us
  // retransmission timer fire up to 1 ms late.
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(wait.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(wait.count() % 1'000'000'000);
  const int n = epoll_pwait2(epoll_fd_, ready_.data(), max_events, &ts, nullptr);
  if (n >= 0 || errno != ENOSYS) return n;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return epoll_wait(epoll_fd_, ready_.data(), max_events, static_cast<int>(ms));
}

tl::expected<WakeStats, Error> EventLoop::RunOnce(Duration max_wait) {
  WakeStats stats;
  now_ = Now();
  const int n = WaitForEvents(max_wait, stats.caught_spinning);
  if (n < 0 && errno != EINTR) return tl::unexpected(MakeError(errno, "epoll_wait"));
  now_ = Now();
  busy_poll_armed_ = n > 0;
  signals_this_wake_ = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t data = ready_[static_cast<std::size_t>(i)].data.u64;
    const auto fd = static_cast<int>(data & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(data >> 32);
    const auto index = static_cast<std::size_t>(fd);
    if (index >= registrations_.size()) continue;
    const Registration& r = registrations_[index];
    if (!r.active || r.generation != generation) continue;  // removed earlier in this wake-up
    IoEvent event{fd, ready_[static_cast<std::size_t>(i)].events, options_.packets_per_event, now_};
    r.handler->OnIoReady(event);
    ++stats.io_events;
  }
  stats.signals = signals_this_wake_;
  if (n > 0) now_ = Now();
  stats.timers_fired = timers_.RunExpired(now_, options_.timers_per_wake);
  stats.stopped = stop_requested_.load(std::memory_order_acquire);
  return stats;
}

tl::expected<void, Error> EventLoop::Run() {
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (auto r = RunOnce(); !r) return tl::unexpected(r.error());
  }
  DrainWakeFd();
  stop_requested_.store(false, std::memory_order_release);
  return {};
}

void EventLoop::DrainWakeFd() {
  // The flag carries the request; reading the counter only resets the fd's readiness.
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = read(wake_fd_, &count, sizeof(count));
}

void EventLoop::DrainSignalFd(Instant now) {
  signalfd_siginfo info{};
  for (std::size_t i = 0; i < kSignalsPerWake; ++i) {
    if (read(signal_fd_, &info, sizeof(info)) != static_cast<ssize_t>(sizeof(info))) return;
    ++signals_this_wake_;
    if (signal_handler_ != nullptr)
      signal_handler_->OnSignal(static_cast<int>(info.ssi_signo), now);
  }
}

tl::expected<Duration, std::string> ParseBusyPoll(std::string_view text) {
  auto duration = base::ParseDuration(text);
  if (!duration) return tl::unexpected(duration.error());
  if (*duration > kBusyPollMax) {
    return tl::unexpected("busy poll '" + std::string(text) + "': at most " +
                          base::FormatDuration(kBusyPollMax));
  }
  return *duration;
}

}  // namespace stampede::io
