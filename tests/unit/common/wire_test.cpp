// Unit tests: the bounds-checked wire reader and writer.
#include <gtest/gtest.h>

#include "common/dns.h"
#include "common/wire.h"

using namespace cdns;

TEST(WireReader, ReadsBigEndianAndStopsAtEnd) {
  const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  WireReader r(buf, sizeof buf);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.atEnd());
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.u8(), 0);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireReader, OverrunFailsWithoutReading) {
  const uint8_t buf[] = {0xff, 0xff, 0xff};
  WireReader r(buf, sizeof buf);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.failed());
  EXPECT_TRUE(r.bytes(1).empty());
  WireReader r2(buf, sizeof buf);
  EXPECT_TRUE(r2.bytes(4).empty());
  EXPECT_TRUE(r2.failed());
  WireReader r3(buf, sizeof buf);
  EXPECT_FALSE(r3.seek(4));
  EXPECT_TRUE(r3.failed());
}

TEST(WireWriter, RoundTrips) {
  std::vector<uint8_t> out;
  WireWriter w(out);
  w.u16(0xbeef);
  w.u32(0xdeadbeef);
  w.u64(0x0102030405060708ULL);
  w.patchU16(0, 0x1234);
  WireReader r(out.data(), out.size());
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.u64(), 0x0102030405060708ULL);
  EXPECT_TRUE(r.atEnd());
}

TEST(Hex, BothWays) {
  std::vector<uint8_t> b;
  EXPECT_TRUE(fromHex("00ff 10Ab", b));
  EXPECT_EQ(toHex(b), "00ff10ab");
  std::vector<uint8_t> bad;
  EXPECT_FALSE(fromHex("abc", bad));
  EXPECT_FALSE(fromHex("zz", bad));
  EXPECT_FALSE(fromHex("a bc", bad));
}

TEST(Utf8, InvalidBytesReplaced) {
  using cdns::dns::validUtf8;
  EXPECT_EQ(validUtf8("plain"), "plain");
  EXPECT_EQ(validUtf8("深圳 ok"), "深圳 ok");
  EXPECT_EQ(validUtf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(validUtf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");        // overlong
  EXPECT_EQ(validUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(validUtf8("\xe6\xb7"), "\xEF\xBF\xBD\xEF\xBF\xBD");        // cut short
}
