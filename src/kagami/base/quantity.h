#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/result.h"
#include "kagami/base/time.h"

namespace kagami {

// Sizes as administrators write them: "500", "500B", "64K", "20MB", "1.5G", "2TiB", "1P".
// K, M, G, T and P are powers of 1024 (a disk's "2T" is read as 2 TiB: the limit errs on
// the safe side). Zero is refused: a limit of nothing is a mistake, not a wish.
Result<std::uint64_t> parse_size(std::string_view text);
// Durations: "45s", "30m", "12h", "90d", "2w", "1y" (365 days); a bare number is seconds.
Result<TimeNs> parse_duration(std::string_view text);

// "1.5 GiB", "90d", "36h", "2m 30s": for messages and status.
std::string format_size(std::uint64_t bytes);
std::string format_duration(TimeNs ns);

}  // namespace kagami
