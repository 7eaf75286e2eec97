// Names for transfer outcomes (stats.h), for logs and the simulator's reports.
#include "transfer/stats.h"

namespace stampede::transfer {

std::string_view StatusName(TransferStatus status) {
  switch (status) {
    case TransferStatus::kActive:
      return "active";
    case TransferStatus::kComplete:
      return "complete";
    case TransferStatus::kCompleteUnconfirmed:
      return "complete-unconfirmed";
    case TransferStatus::kProbe:
      return "probe";
    case TransferStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace stampede::transfer
