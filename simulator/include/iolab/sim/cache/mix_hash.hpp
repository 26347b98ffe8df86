#pragma once
// A 64-bit mixing function (the splitmix64 finalizer: Steele, Lea and Flood, "Fast splittable pseudorandom
// number generators", OOPSLA 2014) for the places where the cache models spread blocks by a hash: set
// indices, home partitions, the blocks that get near copies. Unlike a multiplicative hash, whose values for
// consecutive blocks form a low-discrepancy sequence (every set gets the same number of a stream's blocks,
// so a set-associative cache goes from no conflict misses to thrashing at one size, and which size depends
// on the set count's arithmetic), mixed values behave like independent random draws: a stream's blocks
// spread over the sets binomially, as over a GPU's address-hashed L2 slices.
//
// Contract: mix64 is a bijection of 64-bit integers; different salts give unrelated functions of a block.
#include <cstdint>

namespace iolab::sim::cache {

constexpr std::uint64_t mix64(std::uint64_t x, std::uint64_t salt = 0) {
  x += 0x9E3779B97F4A7C15ull * (salt + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace iolab::sim::cache
