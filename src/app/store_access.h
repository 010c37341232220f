#pragma once
// What every command that reads a store does first: check that the store is there and open
// its index for reading. Errors are printed ("error: ...") and the command exits with 1.

#include <memory>

#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

namespace kagami::app {

bool check_store(const store::StoreLayout& layout);
std::unique_ptr<store::SqliteIndex> read_index(const store::StoreLayout& layout);

}  // namespace kagami::app
