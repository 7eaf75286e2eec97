// DescriptorBudget (descriptor_budget.h) and the process census behind it.
#include "server/descriptor_budget.h"

#include <dirent.h>
#include <sys/resource.h>

#include <cstdint>

namespace stampede::server {
namespace {

class ProcessDescriptorCensus final : public DescriptorCensus {
 public:
  std::size_t OpenCount() override {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return 0;  // no /proc: nothing known, the limit check alone applies
    std::size_t count = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    return count > 0 ? count - 1 : 0;  // less the directory's own descriptor
  }
  std::size_t Limit() override {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    return static_cast<std::size_t>(limit.rlim_cur);
  }
};

}  // namespace

std::unique_ptr<DescriptorCensus> MakeProcessDescriptorCensus() {
  return std::make_unique<ProcessDescriptorCensus>();
}

std::size_t RaiseDescriptorSoftLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
}

bool DescriptorBudget::HasRoom(Instant now) {
  const auto in_use = [&] {
    return open_at_count_ + admitted_since_count_ * kDescriptorsPerSession;
  };
  const auto fits = [&] { return in_use() + kDescriptorsPerSession + reserved_ <= limit_; };
  // Recount on a schedule, and sooner when the estimate says no: sessions may have ended since.
  if (!counted_ || now - counted_at_ >= kRecountInterval * 10 ||
      (!fits() && now - counted_at_ >= kRecountInterval)) {
    open_at_count_ = census_->OpenCount();
    limit_ = census_->Limit();
    admitted_since_count_ = 0;
    counted_at_ = now;
    counted_ = true;
  }
  return fits();
}

}  // namespace stampede::server

