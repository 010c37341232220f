#pragma once

#include "kagami/base/byte_view.h"

namespace kagami::content {

// Where a streaming decoder puts its output.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(ByteView bytes) = 0;
};

}  // namespace kagami::content
