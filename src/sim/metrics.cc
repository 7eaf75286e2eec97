// Percentile and fairness arithmetic (metrics.h).
#include "sim/metrics.h"

#include <cmath>
#include <cstddef>

namespace stampede::sim {

double Percentile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  if (q <= 0) return sorted.front();
  // Nearest rank: the smallest value with at least q·n samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[(rank == 0 ? 1 : rank > sorted.size() ? sorted.size() : rank) - 1];
}

double JainIndex(std::span<const double> samples) {
  double sum = 0;
  double sum_squares = 0;
  for (const double x : samples) {
    sum += x;
    sum_squares += x * x;
  }
  if (samples.empty() || sum_squares == 0) return 1;
  return sum * sum / (static_cast<double>(samples.size()) * sum_squares);
}

}  // namespace stampede::sim
