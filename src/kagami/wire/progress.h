#pragma once

#include <cstddef>

namespace kagami::wire {

// What a parser did with the bytes it was offered: how many it consumed (the caller keeps the
// rest and offers them again with more), and how many bytes, counted from the first one it
// did not consume, it needs before it can go on (0: any more will do).
struct Progress {
  std::size_t consumed = 0;
  std::size_t need = 0;
};

}  // namespace kagami::wire
