#pragma once

// Aggregates over the sessions of a span of time answered from the index's rollups (sessions
// and bytes per minute, per hour for each host and user, per host and user over all time;
// store/sqlite_index.cc, schema version 9) instead of every session: a dashboard over a day, a
// month or years reads thousands of rows where counting would read millions. What the rollups
// cannot place exactly (the partial minutes or hours at a window's ends, sessions that started
// before it and were still active in it) is counted from the sessions themselves, so the
// answers are the ones counting every session gives.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/base/time.h"
#include "kagami/query/search.h"

namespace kagami::query {

// The buckets of a timeline from `first` to `last`: on whole hours when the span holds a
// bucket of an hour or more, else on whole minutes when it holds a minute each, else
// `buckets` equal spans from `first` (unit 0). Whole units start on one and are a whole number
// of them wide, which is what lets rollups fill them.
struct TimelineGrid {
  TimeNs start = 0;
  TimeNs width = 0;
  TimeNs unit = 0;  // kNsPerSec * 3600, * 60, or 0
};
TimelineGrid timeline_grid(TimeNs first, TimeNs last, std::size_t buckets);

// The hosts or users that a query of one term on them (CompiledQuery::value_field) matches,
// read from the rollups' names by the term's own SQL: each value with its key (a host's
// reversed name, as sessions.host_rev). std::nullopt: more than `limit`, or the term also
// matches sessions without one (empty ones are not rolled up).
struct RolledValue {
  std::string value, key;
};
Result<std::optional<std::vector<RolledValue>>> rolled_values(store::SqliteIndex& index,
                                                              const CompiledQuery& cq,
                                                              std::size_t limit,
                                                              std::uint32_t budget_ms);

// Sessions alone in a window, or matched by one host or user term over a span of whole hours
// (a list's histogram); std::nullopt: the rollups do not answer it (anything else, a span too
// short for whole minutes, or for a term whole hours) and the caller counts the matching rows.
std::optional<Result<Timeline>> rollup_timeline(store::SqliteIndex& index, const CompiledQuery& cq,
                                                std::size_t buckets, std::uint32_t budget_ms);

// The `n` most frequent values of a rolled-up column ("host", "user"), as top_values orders
// them (count descending, then value); std::nullopt: not one the rollups answer.
std::optional<Result<std::vector<TopValue>>> rollup_top(store::SqliteIndex& index,
                                                        const CompiledQuery& cq,
                                                        const std::string& column, std::size_t n,
                                                        std::uint32_t budget_ms);

}  // namespace kagami::query
