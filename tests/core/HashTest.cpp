#include <gtest/gtest.h>

#include "lib/core/Hash.h"

using namespace mst;

// FNV-1a 64-bit reference values from the algorithm's published test vectors
// (Fowler/Noll/Vo, http://www.isthe.com/chongo/tech/comp/fnv/): "" -> cbf29ce484222325,
// "a" -> af63dc4c8601ec8c, "foobar" -> 85944171f73967e8.
TEST(Hasher, MatchesPublishedFnv1aVectors) {
  EXPECT_EQ(Hasher().hex(), "cbf29ce484222325");
  EXPECT_EQ(Hasher().bytes("a", 1).hex(), "af63dc4c8601ec8c");
  EXPECT_EQ(Hasher().bytes("foobar", 6).hex(), "85944171f73967e8");
}

TEST(Hasher, LengthPrefixSeparatesConcatenations) {
  EXPECT_NE(Hasher().str("ab").str("c").value(), Hasher().str("a").str("bc").value());
}
