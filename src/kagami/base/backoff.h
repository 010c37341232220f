#pragma once

#include <chrono>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kagami {

// Waiting for a lock-free queue: spin briefly, then yield, then sleep, so an idle consumer
// costs no CPU while a busy one reacts within microseconds.
class Backoff {
 public:
  void wait() {
    if (n_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
    } else if (n_ < 128) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ++n_;
  }
  void reset() { n_ = 0; }

 private:
  unsigned n_ = 0;
};

}  // namespace kagami
