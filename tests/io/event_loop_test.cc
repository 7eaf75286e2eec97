// EventLoop: fd dispatch with budgets, removal during dispatch, timers through the loop, stop via
// eventfd (same thread, timer, other thread) and signals through signalfd. Every wait is bounded.
#include "io/event_loop.h"

#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "io/clock.h"

namespace stampede::io {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<EventLoop> MakeLoop(const EventLoopOptions& options = {}) {
  auto loop = EventLoop::Create(options);
  EXPECT_TRUE(loop.has_value()) << loop.error().ToString();
  return std::move(*loop);
}

struct Pipe {
  Pipe() { EXPECT_EQ(pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  void Poke() const { EXPECT_EQ(write(fds[1], "x", 1), 1); }
  int read_fd() const { return fds[0]; }
  std::array<int, 2> fds{};
};

class CountingHandler final : public IoHandler {
 public:
  void OnIoReady(const IoEvent& event) override {
    ++calls;
    last = event;
    if (loop != nullptr && remove_fd >= 0) loop->Remove(remove_fd);
  }
  int calls = 0;
  IoEvent last;
  EventLoop* loop = nullptr;
  int remove_fd = -1;
};

TEST(EventLoopTest, DispatchesReadableFdWithBudget) {
  EventLoopOptions options;
  options.packets_per_event = 17;
  auto loop = MakeLoop(options);
  Pipe p;
  CountingHandler h;
  ASSERT_TRUE(loop->Add(p.read_fd(), EPOLLIN, &h));
  auto idle = loop->RunOnce(milliseconds(1));
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->io_events, 0u);
  p.Poke();
  auto stats = loop->RunOnce(milliseconds(1000));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->io_events, 1u);
  EXPECT_EQ(h.calls, 1);
  EXPECT_EQ(h.last.fd, p.read_fd());
  EXPECT_TRUE(h.last.events & EPOLLIN);
  EXPECT_EQ(h.last.packet_budget, 17u);
  loop->Remove(p.read_fd());
  ASSERT_TRUE(loop->RunOnce(milliseconds(1)));
  EXPECT_EQ(h.calls, 1);
}

TEST(EventLoopTest, BoundsEventsPerWake) {
  EventLoopOptions options;
  options.events_per_wake = 2;
  auto loop = MakeLoop(options);
  std::vector<std::unique_ptr<Pipe>> pipes;
  CountingHandler h;
  for (int i = 0; i < 5; ++i) {
    pipes.push_back(std::make_unique<Pipe>());
    pipes.back()->Poke();
    ASSERT_TRUE(loop->Add(pipes.back()->read_fd(), EPOLLIN, &h));
  }
  auto stats = loop->RunOnce(milliseconds(1000));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->io_events, 2u);
}

TEST(EventLoopTest, RemovalDuringDispatchDropsPendingEvent) {
  auto loop = MakeLoop();
  Pipe a, b;
  CountingHandler ha, hb;
  ha.loop = hb.loop = loop.get();
  ha.remove_fd = b.read_fd();
  hb.remove_fd = a.read_fd();
  ASSERT_TRUE(loop->Add(a.read_fd(), EPOLLIN, &ha));
  ASSERT_TRUE(loop->Add(b.read_fd(), EPOLLIN, &hb));
  a.Poke();
  b.Poke();
  auto stats = loop->RunOnce(milliseconds(1000));
  ASSERT_TRUE(stats);
  EXPECT_EQ(ha.calls + hb.calls, 1);  // whichever ran first removed the other
}

class StopAtTimer final : public TimerHandler {
 public:
  explicit StopAtTimer(EventLoop& loop) : loop_(loop) {}
  void OnTimer(TimerId, Instant now) override {
    ++fired;
    at = now;
    loop_.Stop();
  }
  int fired = 0;
  Instant at{};

 private:
  EventLoop& loop_;
};

TEST(EventLoopTest, TimerWakesTheLoopAndStopsRun) {
  auto loop = MakeLoop();
  StopAtTimer h(*loop);
  const Instant start = Now();
  TimerId t = loop->timers().Create(&h);
  loop->timers().Arm(t, start + milliseconds(3));
  ASSERT_TRUE(loop->Run());
  EXPECT_EQ(h.fired, 1);
  EXPECT_GE(h.at, start + milliseconds(3));
  EXPECT_LT(Now() - start, milliseconds(1000));
  EXPECT_FALSE(loop->stop_requested());
}

TEST(EventLoopTest, SubMillisecondTimerIsNotRoundedToMilliseconds) {
  auto loop = MakeLoop();
  StopAtTimer h(*loop);
  const Instant start = Now();
  loop->timers().Arm(loop->timers().Create(&h), start + std::chrono::microseconds(200));
  ASSERT_TRUE(loop->Run());
  const Duration late = h.at - (start + std::chrono::microseconds(200));
  EXPECT_GE(late, Duration::zero());
  // Generous: a loaded 2-core machine with sanitizers. epoll_wait alone would wait >= 1 ms.
  EXPECT_LT(late, milliseconds(50));
}

// Busy polling (EventLoopOptions::busy_poll): after a wake-up with I/O the loop polls instead of
// sleeping, so an event that comes during the spin is found without a wake-up; an idle wake-up
// does not arm it, and it never holds a timer back.
class PokeLater {
 public:
  PokeLater(const Pipe& pipe, Duration after)
      : thread_([&pipe, after] {
          std::this_thread::sleep_for(after);
          pipe.Poke();
        }) {}
  ~PokeLater() { thread_.join(); }

 private:
  std::thread thread_;
};

// A loop with one pipe registered and the given busy poll.
struct BusyPollLoop {
  explicit BusyPollLoop(Duration busy_poll) {
    EventLoopOptions options;
    options.busy_poll = busy_poll;
    loop = MakeLoop(options);
    EXPECT_TRUE(loop->Add(pipe.read_fd(), EPOLLIN, &handler));
  }
  // A wake-up that finds I/O (and so arms the spin); the byte is consumed.
  void WakeWithIo() {
    pipe.Poke();
    auto stats = loop->RunOnce(milliseconds(1000));
    ASSERT_TRUE(stats);
    ASSERT_EQ(stats->io_events, 1u);
    char byte = 0;
    ASSERT_EQ(read(pipe.read_fd(), &byte, 1), 1);
  }
  std::unique_ptr<EventLoop> loop;
  Pipe pipe;
  CountingHandler handler;
};

TEST(EventLoopTest, BusyPollFindsTheNextEventWithoutSleeping) {
  for (const bool spin : {true, false}) {
    BusyPollLoop l(spin ? milliseconds(3000) : Duration::zero());
    l.WakeWithIo();
    PokeLater poke(l.pipe, milliseconds(5));
    auto second = l.loop->RunOnce(milliseconds(5000));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->io_events, 1u) << spin;
    EXPECT_EQ(second->caught_spinning, spin);
  }
}

TEST(EventLoopTest, BusyPollIsNotArmedByAnIdleWakeUp) {
  BusyPollLoop l(milliseconds(3000));
  auto idle = l.loop->RunOnce(milliseconds(1));
  ASSERT_TRUE(idle);
  ASSERT_EQ(idle->io_events, 0u);
  PokeLater poke(l.pipe, milliseconds(5));
  auto woken = l.loop->RunOnce(milliseconds(5000));
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->io_events, 1u);
  EXPECT_FALSE(woken->caught_spinning);  // it slept in epoll_wait
}

TEST(EventLoopTest, BusyPollDoesNotHoldATimerBack) {
  BusyPollLoop l(milliseconds(3000));
  l.WakeWithIo();
  StopAtTimer t(*l.loop);
  const Instant start = Now();
  l.loop->timers().Arm(l.loop->timers().Create(&t), start + milliseconds(3));
  auto stats = l.loop->RunOnce(milliseconds(5000));
  ASSERT_TRUE(stats);
  EXPECT_EQ(t.fired, 1);
  EXPECT_GE(t.at, start + milliseconds(3));
  EXPECT_LT(Now() - start, milliseconds(1000));  // not the 3 s spin
}

TEST(EventLoopTest, StopBeforeRunReturnsAtOnce) {
  auto loop = MakeLoop();
  loop->Stop();
  auto stats = loop->RunOnce(milliseconds(1000));
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->stopped);
  ASSERT_TRUE(loop->Run());
  EXPECT_FALSE(loop->stop_requested());
}

TEST(EventLoopTest, StopFromAnotherThread) {
  auto loop = MakeLoop();
  const Instant start = Now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    loop->Stop();
  });
  // RunOnce with a bounded wait rather than Run(), so a broken Stop() fails instead of hanging.
  bool stopped = false;
  while (!stopped && Now() - start < milliseconds(5000)) {
    auto stats = loop->RunOnce(milliseconds(5000));
    ASSERT_TRUE(stats);
    stopped = stats->stopped;
  }
  stopper.join();
  EXPECT_TRUE(stopped);
  EXPECT_LT(Now() - start, milliseconds(4000));  // woken by the eventfd, not the timeout
}

class SignalRecorder final : public SignalHandler {
 public:
  void OnSignal(int signal_number, Instant) override { signals.push_back(signal_number); }
  std::vector<int> signals;
};

TEST(EventLoopTest, SignalsArriveAsEvents) {
  auto loop = MakeLoop();
  SignalRecorder h;
  const int watched[] = {SIGHUP, SIGTERM, SIGINT};
  ASSERT_TRUE(loop->WatchSignals(watched, &h));
  ASSERT_EQ(raise(SIGHUP), 0);  // blocked now, so pending for the signalfd instead of fatal
  const Instant start = Now();
  while (h.signals.empty() && Now() - start < milliseconds(2000)) {
    ASSERT_TRUE(loop->RunOnce(milliseconds(100)));
  }
  ASSERT_EQ(h.signals, std::vector<int>{SIGHUP});
  ASSERT_EQ(raise(SIGTERM), 0);
  auto stats = loop->RunOnce(milliseconds(2000));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->signals, 1u);
  EXPECT_EQ(h.signals.back(), SIGTERM);
}

}  // namespace
}  // namespace stampede::io
