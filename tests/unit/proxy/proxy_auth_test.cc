#include "kagami/proxy/proxy_auth.h"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "kagami/base/password_hash.h"
#include "kagami/base/sha256.h"

#include "support/temp_dir.h"

namespace kagami::proxy {
namespace {

// check() and, when it is pending, the verdict the checking thread hands back.
bool login(ProxyAuth& auth, const char* from, const std::string& user, const std::string& pw,
           ProxyAuth::Verdict* first = nullptr) {
  std::mutex m;
  std::condition_variable cv;
  int answer = -1;
  const auto v = auth.check(IpAddress::parse(from).value(), user, pw, [&](bool ok) {
    std::lock_guard lock(m);
    answer = ok ? 1 : 0;
    cv.notify_one();
  });
  if (first != nullptr) *first = v;
  if (v != ProxyAuth::Verdict::kPending) return v == ProxyAuth::Verdict::kOk;
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return answer >= 0; });
  return answer == 1;
}

TEST(ProxyAuth, ChecksScryptOnceAndRemembers) {
  ProxyUsers users{{"hanako", hash_password("pw-hanako-1", ScryptCost{10, 8, 1}).value()}};
  ProxyAuth auth(users, {});
  ProxyAuth::Verdict v;
  EXPECT_TRUE(login(auth, "10.0.0.1", "hanako", "pw-hanako-1", &v));
  EXPECT_EQ(v, ProxyAuth::Verdict::kPending);
  EXPECT_TRUE(login(auth, "10.0.0.2", "hanako", "pw-hanako-1", &v));
  EXPECT_EQ(v, ProxyAuth::Verdict::kOk);  // remembered
  EXPECT_FALSE(login(auth, "10.0.0.1", "hanako", "pw-hanako-2"));
  EXPECT_FALSE(login(auth, "10.0.0.1", "nobody", "pw-hanako-1"));
  auth.set_users({});
  EXPECT_FALSE(auth.required());
}

TEST(ProxyAuth, AnAddressThatKeepsFailingIsRefusedUnchecked) {
  ProxyAuth::Options o;
  o.free_failures = 3;
  ProxyAuth auth({{"u", hash_password("right-password", ScryptCost{10, 8, 1}).value()}}, o);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(login(auth, "10.0.0.9", "u", "guess"));
  ProxyAuth::Verdict v;
  EXPECT_FALSE(login(auth, "10.0.0.9", "u", "right-password", &v));
  EXPECT_EQ(v, ProxyAuth::Verdict::kThrottled);
  EXPECT_TRUE(login(auth, "10.0.0.10", "u", "right-password"));  // others are not affected
  EXPECT_EQ(auth.counters().throttled.load(), 1u);
}

TEST(ProxyAuth, AnUnsaltedEntryIsAcceptedOnceAndRewritten) {
  test::TempDir dir;
  const std::string file = dir.path() + "/users";
  const std::string legacy = to_hex(Sha256::of(as_bytes("old-password")));
  ASSERT_TRUE(write_proxy_user(file, "old", legacy).ok());
  auto users = load_proxy_users(file);
  ASSERT_TRUE(users.ok());
  ProxyAuth::Options o;
  o.users_file = file;
  ProxyAuth auth(*users, o);
  EXPECT_TRUE(login(auth, "10.0.0.1", "old", "old-password"));
  auto again = load_proxy_users(file);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["old"].rfind("scrypt$", 0), 0u);
  EXPECT_TRUE(verify_password("old-password", (*again)["old"]));
  EXPECT_EQ(auth.counters().upgraded.load(), 1u);
  EXPECT_FALSE(load_proxy_users(dir.path() + "/missing").ok());
}

}  // namespace
}  // namespace kagami::proxy
