#include "kagami/console/console_assets.h"

namespace kagami::console {

const Asset* find_asset(std::string_view path) {
  for (std::size_t i = 0; i < kAssetCount; ++i)
    if (path == kAssets[i].path) return &kAssets[i];
  return nullptr;
}

}  // namespace kagami::console
