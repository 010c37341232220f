#pragma once

#include <cstddef>
#include <string_view>

namespace kagami::console {

// One file of the web console (web/ in the source tree), compiled into the binary.
struct Asset {
  const char* path;  // "/index.html", "/assets/app.js"
  const char* type;  // Content-Type
  const unsigned char* data;
  std::size_t size;
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

const Asset* find_asset(std::string_view path);

}  // namespace kagami::console
