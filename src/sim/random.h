// The simulator's only source of randomness: xoshiro256** seeded through splitmix64, and the few
// distributions the simulator needs, written out so a seed gives the same run with any standard
// library (std:: distributions are implementation-defined). Must not read a clock or the OS.
#pragma once

#include <cstdint>

#include "base/time.h"

namespace stampede::sim {

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang built-in; -Wpedantic knows it not

// splitmix64 (Steele, Lea, Flood 2014): expands one 64-bit seed into well-mixed state words.
constexpr std::uint64_t SplitMix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** 1.0 (Blackman, Vigna). One generator per independent stream (each link direction,
// the start times), so a change in one stream does not shift the others.
class Rng {
 public:
  // `stream` separates generators that share the run's seed.
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) {
    std::uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (auto& word : s_) word = SplitMix64(sm);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability p (p <= 0: never, p >= 1: always; no draw is consumed for those, so
  // a fault switched off does not perturb the stream of the others).
  bool Bernoulli(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return Uniform01() < p;
  }

  // Uniform in [0, bound) (bound > 0), by Lemire's multiply-shift with rejection: unbiased.
  std::uint64_t UniformBelow(std::uint64_t bound) {
    Uint128 m = static_cast<Uint128>(Next()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Uniform in [0, max] at nanosecond resolution; 0 for a non-positive max.
  Duration UniformDuration(Duration max) {
    if (max.count() <= 0) return Duration{0};
    return Duration{static_cast<Duration::rep>(
        UniformBelow(static_cast<std::uint64_t>(max.count()) + 1))};
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t s_[4];
};

}  // namespace stampede::sim
