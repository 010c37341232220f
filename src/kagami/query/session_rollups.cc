#include "kagami/query/session_rollups.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace kagami::query {

namespace {

constexpr TimeNs kMinute = 60 * kNsPerSec;
constexpr TimeNs kHour = 60 * kMinute;
constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kAll = std::numeric_limits<std::int64_t>::max();

TimeNs floor_to(TimeNs t, TimeNs unit) { return t / unit * unit; }
TimeNs ceil_to(TimeNs t, TimeNs unit) { return (t + unit - 1) / unit * unit; }

// A window split on a unit's boundaries: whole units [inner_lo, inner_hi) the rollups hold,
// and at most two ends counted from the sessions: those that started in [lo - longest
// session, inner_lo) and were still active at lo, and those that started in [inner_hi, hi).
struct Split {
  std::int64_t inner_lo = kNone, inner_hi = kAll;  // in ns, whole units
  bool low_end = false, high_end = false;
  TimeNs low_from = 0, lo = 0, hi = 0;
};

// False when the window lies within a unit or two (nothing whole inside: counting it is cheap).
bool split(const CompiledQuery& cq, TimeNs unit, TimeNs longest, Split& s) {
  if (cq.window_lo) {
    s.lo = *cq.window_lo;
    s.inner_lo = ceil_to(s.lo, unit);
    s.low_end = true;
    s.low_from = s.lo - std::max<TimeNs>(0, longest);
  }
  if (cq.window_hi) {
    s.hi = *cq.window_hi;
    s.inner_hi = floor_to(s.hi, unit);
    s.high_end = true;
  }
  return !(cq.window_lo && cq.window_hi && s.inner_lo >= s.inner_hi);
}

// The sessions of one end, as SQL over the sessions table with its binds.
struct End {
  std::string where;
  std::vector<store::SqlValue> binds;
};
std::vector<End> ends(const Split& s) {
  std::vector<End> out;
  if (s.low_end)
    out.push_back(
        {"ts_first >= ? AND ts_first < ? AND ts_last >= ?", {s.low_from, s.inner_lo, s.lo}});
  if (s.high_end) out.push_back({"ts_first >= ? AND ts_first < ?", {s.inner_hi, s.hi}});
  return out;
}

// The matched values' sessions over time, hour by hour: when the span holds a bucket of an
// hour or more, those hours are the timeline's as counting rows would make it.
std::optional<Result<Timeline>> value_timeline(store::SqliteIndex& index, const CompiledQuery& cq,
                                               std::size_t buckets, std::uint32_t budget_ms) {
  constexpr std::size_t kMaxValues = 64;
  auto values = rolled_values(index, cq, kMaxValues, budget_ms);
  if (!values) return Result<Timeline>(values.error());
  if (!*values) return std::nullopt;
  std::vector<store::SqlValue> binds{cq.value_field};
  std::string in;
  for (const RolledValue& v : **values) {
    in += in.empty() ? "?" : ", ?";
    binds.emplace_back(v.value);
  }
  std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> hours;
  if (!in.empty()) {
    const Status st = index.select(
        "SELECT hour, sum(sessions), sum(bytes) FROM session_hours WHERE field = ? AND value IN (" +
            in + ") GROUP BY hour ORDER BY hour",
        binds,
        [&](const store::SqlRow& r) {
          hours.emplace_back(r.i64(0), r.i64(1), r.i64(2));
          return true;
        },
        budget_ms);
    if (!st) return Result<Timeline>(st.error());
  }
  Timeline t;
  t.counts.assign(buckets, 0);
  t.bytes.assign(buckets, 0);
  if (hours.empty()) return Result<Timeline>(std::move(t));
  const TimelineGrid grid =
      timeline_grid(std::get<0>(hours.front()) * kHour, std::get<0>(hours.back()) * kHour, buckets);
  if (grid.unit != kHour) return std::nullopt;
  t.start = grid.start;
  t.width = grid.width;
  for (const auto& [hour, count, bytes] : hours) {
    const auto b = static_cast<std::size_t>((hour * kHour - t.start) / t.width);
    t.counts[b] += static_cast<std::uint64_t>(count);
    t.bytes[b] += static_cast<std::uint64_t>(bytes);
  }
  return Result<Timeline>(std::move(t));
}

}  // namespace

Result<std::optional<std::vector<RolledValue>>> rolled_values(store::SqliteIndex& index,
                                                              const CompiledQuery& cq,
                                                              std::size_t limit,
                                                              std::uint32_t budget_ms) {
  using Out = Result<std::optional<std::vector<RolledValue>>>;
  if (cq.value_field.empty()) return Out(std::nullopt);
  // The names as the sessions' columns, so the term reads them as it reads a session.
  bool empty_matches = false;
  Status st = index.select(
      "SELECT 1 FROM (SELECT '' AS host, '' AS host_rev, '' AS user) WHERE " + cq.where, cq.binds,
      [&](const store::SqlRow&) {
        empty_matches = true;
        return false;
      },
      budget_ms);
  if (!st) return Out(st.error());
  if (empty_matches) return Out(std::nullopt);
  std::vector<store::SqlValue> binds{cq.value_field};
  binds.insert(binds.end(), cq.binds.begin(), cq.binds.end());
  std::vector<RolledValue> out;
  st = index.select(
      "SELECT value, host_rev FROM (SELECT value, value AS host, key AS host_rev, value AS user "
      "FROM session_totals WHERE field = ? AND sessions > 0) WHERE " +
          cq.where + " LIMIT " + std::to_string(limit + 1),
      binds,
      [&](const store::SqlRow& r) {
        out.push_back({r.text(0), r.text(1)});
        return true;
      },
      budget_ms);
  if (!st) return Out(st.error());
  if (out.size() > limit) return Out(std::nullopt);
  return Out(std::move(out));
}

TimelineGrid timeline_grid(TimeNs first, TimeNs last, std::size_t buckets) {
  const auto n = static_cast<TimeNs>(buckets);
  for (const TimeNs unit : {kHour, kMinute}) {
    const TimeNs a = floor_to(first, unit);
    const TimeNs b = floor_to(last, unit);
    // (b - a) / n / unit + 1 whole units: wider than (b - a) / n, so the last unit's every
    // instant falls in the last bucket.
    if (b - a >= n * unit) return {a, ((b - a) / n / unit + 1) * unit, unit};
  }
  return {first, std::max<TimeNs>(1, (last - first) / n + 1), 0};
}

std::optional<Result<Timeline>> rollup_timeline(store::SqliteIndex& index, const CompiledQuery& cq,
                                                std::size_t buckets, std::uint32_t budget_ms) {
  if (!cq.value_field.empty()) return value_timeline(index, cq, buckets, budget_ms);
  if (!cq.sessions_in_window) return std::nullopt;
  auto longest = index.max_session_ns();
  if (!longest) return Result<Timeline>(longest.error());
  // Where the first and last matches start, to the minute: the minutes' rollup between the
  // ends, the sessions at the ends.
  Split s;
  if (!split(cq, kMinute, *longest, s)) return std::nullopt;
  bool any = false;
  TimeNs first = 0, last = 0;
  auto seen = [&](TimeNs a, TimeNs b) {
    first = any ? std::min(first, a) : a;
    last = any ? std::max(last, b) : b;
    any = true;
  };
  auto minmax = [&](const std::string& sql, const std::vector<store::SqlValue>& binds,
                    TimeNs scale) {
    return index.select(
        sql, binds,
        [&](const store::SqlRow& r) {
          if (!r.null(0)) seen(r.i64(0) * scale, r.i64(1) * scale);
          return false;
        },
        budget_ms);
  };
  if (auto st = minmax(
          "SELECT min(minute), max(minute) FROM session_minutes WHERE minute >= ? AND minute < ? "
          "AND sessions > 0",
          {s.inner_lo == kNone ? kNone : s.inner_lo / kMinute,
           s.inner_hi == kAll ? kAll : s.inner_hi / kMinute},
          kMinute);
      !st)
    return Result<Timeline>(st.error());
  for (const End& e : ends(s))
    if (auto st = minmax("SELECT min(ts_first), max(ts_first) FROM sessions WHERE " + e.where,
                         e.binds, 1);
        !st)
      return Result<Timeline>(st.error());
  Timeline t;
  t.counts.assign(buckets, 0);
  t.bytes.assign(buckets, 0);
  if (!any) return Result<Timeline>(std::move(t));
  const TimelineGrid grid = timeline_grid(first, last, buckets);
  if (grid.unit == 0) return std::nullopt;
  t.start = grid.start;
  t.width = grid.width;
  auto add = [&](TimeNs at, std::int64_t count, std::int64_t bytes) {
    const auto b = static_cast<std::size_t>(std::max<TimeNs>(0, (at - t.start) / t.width));
    if (b >= buckets) return;
    t.counts[b] += static_cast<std::uint64_t>(count);
    t.bytes[b] += static_cast<std::uint64_t>(bytes);
  };
  // The whole units (of the grid's size) from their rollup, the ends from the sessions.
  if (!split(cq, grid.unit, *longest, s)) return std::nullopt;
  const bool hours = grid.unit == kHour;
  const std::string inner =
      hours
          ? "SELECT hour, sessions, bytes FROM session_hours WHERE field = '*' AND value = '' "
            "AND hour >= ? AND hour < ?"
          : "SELECT minute, sessions, bytes FROM session_minutes WHERE minute >= ? AND minute < ?";
  Status st = index.select(
      inner,
      {s.inner_lo == kNone ? kNone : s.inner_lo / grid.unit,
       s.inner_hi == kAll ? kAll : s.inner_hi / grid.unit},
      [&](const store::SqlRow& r) {
        add(r.i64(0) * grid.unit, r.i64(1), r.i64(2));
        return true;
      },
      budget_ms);
  if (!st) return Result<Timeline>(st.error());
  for (const End& e : ends(s)) {
    std::vector<store::SqlValue> binds{t.start, t.width};
    binds.insert(binds.end(), e.binds.begin(), e.binds.end());
    st = index.select(
        "SELECT (ts_first - ?) / ? AS b, count(*), sum(bytes_c2s + bytes_s2c) FROM sessions "
        "WHERE " +
            e.where + " GROUP BY b",
        binds,
        [&](const store::SqlRow& r) {
          add(t.start + r.i64(0) * t.width, r.i64(1), r.i64(2));
          return true;
        },
        budget_ms);
    if (!st) return Result<Timeline>(st.error());
  }
  return Result<Timeline>(std::move(t));
}

std::optional<Result<std::vector<TopValue>>> rollup_top(store::SqliteIndex& index,
                                                        const CompiledQuery& cq,
                                                        const std::string& column, std::size_t n,
                                                        std::uint32_t budget_ms) {
  using Out = Result<std::vector<TopValue>>;
  if (!cq.sessions_in_window || (column != "host" && column != "user")) return std::nullopt;
  std::vector<TopValue> top;
  if (!cq.window_lo && !cq.window_hi) {
    // Every session: the totals, ranked by their index.
    const Status st = index.select(
        "SELECT value, sessions FROM session_totals WHERE field = ? AND sessions > 0 "
        "ORDER BY sessions DESC, value LIMIT ?",
        {column, static_cast<std::int64_t>(n)},
        [&](const store::SqlRow& r) {
          top.push_back({r.text(0), static_cast<std::uint64_t>(r.i64(1))});
          return true;
        },
        budget_ms);
    if (!st) return Out(st.error());
    return Out(std::move(top));
  }
  auto longest = index.max_session_ns();
  if (!longest) return Out(longest.error());
  Split s;
  if (!split(cq, kHour, *longest, s)) return std::nullopt;
  // The ends' counts, added to the whole hours' below.
  std::map<std::string, std::uint64_t> at_ends;
  for (const End& e : ends(s)) {
    const Status st = index.select(
        "SELECT " + column + ", count(*) FROM sessions WHERE " + e.where + " AND " + column +
            " != '' GROUP BY 1",
        e.binds,
        [&](const store::SqlRow& r) {
          at_ends[r.text(0)] += static_cast<std::uint64_t>(r.i64(1));
          return true;
        },
        budget_ms);
    if (!st) return Out(st.error());
  }
  // Values in order of their count over all time, which bounds their count in any window:
  // once the next one's total is below the n-th best window count found, no later one can
  // enter (the threshold algorithm). Ties go by value, as counting orders them, so equal
  // totals are still read. A window where the busiest values are quiet could read many
  // before stopping; past kMaxCandidates, counting the window's rows is left to the caller.
  constexpr std::uint64_t kMaxCandidates = 50'000;
  auto better = [](const TopValue& a, const TopValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  };
  std::uint64_t read = 0;
  bool gave_up = false;
  const Status st = index.select(
      "SELECT t.value, t.sessions, (SELECT coalesce(sum(h.sessions), 0) FROM session_hours h "
      "WHERE h.field = t.field AND h.value = t.value AND h.hour >= ? AND h.hour < ?) "
      "FROM session_totals t WHERE t.field = ? AND t.sessions > 0 "
      "ORDER BY t.sessions DESC, t.value",
      {s.inner_lo == kNone ? kNone : s.inner_lo / kHour,
       s.inner_hi == kAll ? kAll : s.inner_hi / kHour, column},
      [&](const store::SqlRow& r) {
        const auto total = static_cast<std::uint64_t>(r.i64(1));
        if (top.size() == n && total < top.back().count) return false;
        if (++read > kMaxCandidates) {
          gave_up = true;
          return false;
        }
        TopValue v{r.text(0), static_cast<std::uint64_t>(r.i64(2))};
        if (auto it = at_ends.find(v.value); it != at_ends.end()) v.count += it->second;
        if (v.count == 0) return true;
        if (top.size() == n && !better(v, top.back())) return true;
        top.insert(std::upper_bound(top.begin(), top.end(), v, better), std::move(v));
        if (top.size() > n) top.pop_back();
        return true;
      },
      budget_ms);
  if (!st) return Out(st.error());
  if (gave_up) return std::nullopt;
  return Out(std::move(top));
}

}  // namespace kagami::query
