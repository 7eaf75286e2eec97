// The epoll event loop: file descriptors with handler objects (no std::function per packet), a
// timer queue keyed by Instant, bounded work per wake-up (ready events, packets per event, timers),
// a Stop() that is safe from a signal handler or another thread (eventfd), and
// SIGTERM/SIGHUP/SIGINT delivered as ordinary events through signalfd. Single-threaded: apart from
// Stop(), every method must be called from the thread that runs the loop. It knows nothing about
// TFTP or sockets' contents; handlers do the reading and writing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/epoll.h>
#include <tl/expected.hpp>

#include "base/time.h"
#include "io/error.h"
#include "io/timer_queue.h"

namespace stampede::io {

struct IoEvent {
  int fd = -1;
  std::uint32_t events = 0;       // EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP
  std::size_t packet_budget = 0;  // read at most this many datagrams now; the fd stays ready
  Instant now{};                  // the loop's time for this wake-up
};

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void OnIoReady(const IoEvent& event) = 0;
};

class SignalHandler {
 public:
  virtual ~SignalHandler() = default;
  virtual void OnSignal(int signal_number, Instant now) = 0;
};

struct EventLoopOptions {
  // Bounds per wake-up (STYLE.md "bound everything"; Envoy caps packets read per loop so one busy
  // socket cannot starve timers and other sockets). epoll is level-triggered, so work left over
  // is offered again on the next wake-up.
  std::size_t events_per_wake = 64;
  std::size_t packets_per_event = 256;
  std::size_t timers_per_wake = 4096;
  std::size_t reserve_timers = 1024;
  // Busy polling: after a wake-up that found I/O, poll without sleeping (epoll_wait with a zero
  // timeout) for up to this long before blocking; 0 (the default) never spins. A task that sleeps
  // must be woken, and on a VM whose idle vCPUs halt that wake-up is the largest cost of a round
  // trip (about 75 us here, against 60-70 us of CPU for a 64-block window at each end): a
  // windowed stream on loopback moved 1.7 x (windowsize 64) to 3.7 x (windowsize 16) the bytes
  // when both ends spun (docs/io.md, "Busy polling"). It spends CPU while it waits, so it is for hosts with a core to spare, like the
  // kernel's own busy_poll and haltpoll. Only a wake-up that found I/O arms it: an idle loop
  // sleeps as before.
  Duration busy_poll = Duration::zero();
};

// The longest busy poll accepted from a flag or a config file: a spin is for the gap of one round
// trip, and past a few milliseconds a sleep and its wake-up cost less than the spin.
inline constexpr Duration kBusyPollMax = std::chrono::milliseconds(100);

// "0", "200us", "1ms" (base::ParseDuration's forms), at most kBusyPollMax.
tl::expected<Duration, std::string> ParseBusyPoll(std::string_view text);

struct WakeStats {
  std::size_t io_events = 0;
  std::size_t timers_fired = 0;
  std::size_t signals = 0;
  bool caught_spinning = false;  // the events were found by busy polling, without a sleep
  bool stopped = false;          // a Stop() request is pending
};

class EventLoop {
 public:
  static constexpr Duration kForever = Duration::max();

  static tl::expected<std::unique_ptr<EventLoop>, Error> Create(
      const EventLoopOptions& options = {});
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Level-triggered registration. `handler` must stay valid until Remove(fd). Remove before
  // closing the fd. A handler may add or remove any fd (itself included) while being called:
  // events already collected for a removed fd are discarded.
  tl::expected<void, Error> Add(int fd, std::uint32_t events, IoHandler* handler);
  tl::expected<void, Error> Modify(int fd, std::uint32_t events);
  void Remove(int fd);

  TimerQueue& timers() { return timers_; }

  // Blocks `signals` in the calling thread (call before starting other threads so they inherit the
  // mask) and delivers them to `handler` through a signalfd. A second call replaces the set and
  // the handler. The signals stay blocked after the loop is destroyed: unblocking could deliver a
  // pending SIGTERM with its default (fatal) action.
  tl::expected<void, Error> WatchSignals(std::span<const int> signals, SignalHandler* handler);

  // Asks Run() to return. Async-signal-safe and thread-safe (an atomic store and an eventfd write).
  void Stop();

  // One wake-up: waits until an fd is ready, a timer is due, Stop() is called, or `max_wait`
  // passes; then dispatches I/O events and expired timers within the configured bounds.
  tl::expected<WakeStats, Error> RunOnce(Duration max_wait = kForever);
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }
  // Runs wake-ups until Stop(); clears the stop request before returning, so it can run again.
  tl::expected<void, Error> Run();

  // The time taken at the start of the current (or last) dispatch.
  Instant now() const { return now_; }

 private:
  struct Registration {
    IoHandler* handler = nullptr;
    std::uint32_t generation = 0;
    bool active = false;
  };
  class WakeHandler;
  class SignalFdHandler;

  explicit EventLoop(const EventLoopOptions& options);
  tl::expected<void, Error> Init();
  int WaitForEvents(Duration max_wait, bool& caught_spinning);
  void DrainWakeFd();
  void DrainSignalFd(Instant now);

  EventLoopOptions options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int signal_fd_ = -1;
  SignalHandler* signal_handler_ = nullptr;
  std::unique_ptr<WakeHandler> wake_handler_;
  std::unique_ptr<SignalFdHandler> signal_fd_handler_;
  std::vector<Registration> registrations_;  // indexed by fd
  std::vector<epoll_event> ready_;
  TimerQueue timers_;
  std::atomic<bool> stop_requested_{false};
  std::size_t signals_this_wake_ = 0;
  bool busy_poll_armed_ = false;  // the last wake-up found I/O (EventLoopOptions::busy_poll)
  Instant now_{};
};

}  // namespace stampede::io
