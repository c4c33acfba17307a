// Unit tests: the journal's records survive a round trip, a torn tail is cut, chains connect.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "authority/journal.h"

using namespace cdns::authority;

namespace {
Changeset change(uint32_t from, uint32_t to, const std::string& tag) {
  Changeset c;
  c.from = from;
  c.to = to;
  c.time = 1795843200;
  c.removed.push_back(Record{std::string("\x03old\x00", 5), 16, 60, "\x03" + tag});
  c.added.push_back(Record{std::string("\x03new\x00", 5), 16, 60, "\x03" + tag});
  c.leases.push_back(LeaseEntry{c.added[0], 1795843260});
  return c;
}
}  // namespace

TEST(Journal, AppendReadBackAndTornTail) {
  std::string path = ::testing::TempDir() + "/journal_test.journal";
  std::remove(path.c_str());
  {
    auto j = Journal::open(path);
    ASSERT_TRUE(j.ok()) << j.error().message;
    ASSERT_TRUE((*j)->append({change(1, 2, "abc"), change(2, 3, "def")}).ok());
    ASSERT_TRUE((*j)->append({change(3, 4, "ghi")}).ok());
  }
  // A crash in the middle of the next write leaves half a record.
  auto extra = encodeChangeset(change(4, 5, "jkl"));
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_EQ(::write(fd, extra.data(), extra.size() / 2), static_cast<ssize_t>(extra.size() / 2));
  ::close(fd);
  auto j = Journal::open(path);
  auto all = (*j)->readAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].to, 4u);
  EXPECT_EQ((*all)[1].added[0].rdata, "\x03" "def");
  EXPECT_EQ((*all)[0].leases[0].expiry, 1795843260u);
  // The torn tail was cut: a new append follows the last whole record.
  ASSERT_TRUE((*j)->append({change(4, 5, "jkl")}).ok());
  // One writer at a time.
  auto second = Journal::open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use by another cdns-authority"), std::string::npos);
  j = cdns::makeError("closed");
  auto again = Journal::open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->readAll()->size(), 4u);
  std::remove(path.c_str());
}

TEST(Journal, ChainsForIxfr) {
  std::string path = ::testing::TempDir() + "/journal_chain.journal";
  std::remove(path.c_str());
  auto j = Journal::open(path);
  ASSERT_TRUE((*j)->append({change(1, 2, "a"), change(2, 2, "lease-only"), change(2, 3, "b"), change(3, 4, "c")}).ok());
  EXPECT_EQ((*j)->chainFrom(1, 4).size(), 3u);  // the lease-only entry is not part of IXFR
  EXPECT_EQ((*j)->chainFrom(2, 4).size(), 2u);
  EXPECT_EQ((*j)->chainFrom(2, 3).size(), 1u);
  EXPECT_TRUE((*j)->chainFrom(0, 4).empty());  // history does not reach back
  EXPECT_TRUE((*j)->chainFrom(4, 4).empty());
  ASSERT_TRUE((*j)->rewrite({change(3, 4, "c")}).ok());
  EXPECT_EQ((*j)->readAll()->size(), 1u);
  std::remove(path.c_str());
}

TEST(Journal, DecodeRejectsGarbage) {
  uint8_t junk[40] = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(decodeChangeset(junk, sizeof junk).ok());
  auto good = encodeChangeset(change(7, 8, "x"));
  EXPECT_TRUE(decodeChangeset(good.data() + 12, good.size() - 12).ok());
  EXPECT_FALSE(decodeChangeset(good.data() + 12, good.size() - 13).ok());
}
