#include "app/store_access.h"

#include <iostream>

namespace kagami::app {

bool check_store(const store::StoreLayout& layout) {
  if (auto s = layout.check_exists(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return false;
  }
  return true;
}

std::unique_ptr<store::SqliteIndex> read_index(const store::StoreLayout& layout) {
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return nullptr;
  }
  return std::move(index.value());
}

}  // namespace kagami::app
