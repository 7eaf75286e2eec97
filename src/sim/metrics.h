// Summary statistics for simulation reports: nearest-rank percentiles and Jain's fairness index.
// Pure functions over samples; must not know what the samples mean.
#pragma once

#include <span>

namespace stampede::sim {

// Nearest-rank percentile (q in [0, 1]) of `sorted` (ascending); 0 for no samples.
double Percentile(std::span<const double> sorted, double q);

// Jain's fairness index (Jain, Chiu, Hawe 1984): (Σx)² / (n·Σx²), in [1/n, 1]; 1 means equal
// shares. 1 for no samples or all zeros (nothing to be unfair about).
double JainIndex(std::span<const double> samples);

}  // namespace stampede::sim
