#pragma once
// Block-sparsity masks for block-sparse FlashAttention (Algorithm 5 of the
// paper). A mask is a T_r x T_c grid of 0/1 over the algorithm's own blocks
// (B_r query rows by B_c key rows): a zero block is skipped, a nonzero block is
// attended in full. The token-level mask is the block mask's expansion
// (Sec. 3.3: M~_xy = M_ij for x in block i, y in block j); every block row
// must hold a nonzero block so that every query attends to some key.
//
// Patterns (--mask), each a predicate on a block's token ranges [r0, r0+R) of
// queries and [c0, c0+C) of keys, so it means the same for any block sizes:
//   causal           some key y <= some query x (c0 <= r0 + R - 1)
//   local:W          some pair with |x - y| <= W
//   strided:S        local:S-1, plus every key y with y mod S = S - 1 (the
//                    "summary" columns of Child et al.'s strided pattern)
//   butterfly        with key-block indices a = floor(x / B_c): some a with
//                    a XOR j equal to 0 or a power of two (Dao et al.'s fixed
//                    butterfly pattern on the key-block grid)
//   random:P[:SEED]  each block nonzero with probability P (mt19937_64 from
//                    SEED, default 1), diagonal blocks always nonzero
//   file:PATH        a text grid of 0/1 (R lines of C characters; blanks and
//                    lines starting with # ignored) over the tokens: cell
//                    (a, b) covers queries [a*ceil(N/R), ...) and keys
//                    [b*ceil(N/C), ...); a block is nonzero when any cell it
//                    overlaps is 1
// Malformed patterns and masks that leave a query block without keys throw
// InputError with a one-line message.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iolab::sim {

struct BlockMask {
  std::string spec;                ///< the pattern as given
  std::int64_t rows = 0, cols = 0; ///< T_r, T_c
  std::vector<std::uint8_t> bits;  ///< rows x cols, row-major
  bool at(std::int64_t i, std::int64_t j) const { return bits[static_cast<std::size_t>(i * cols + j)] != 0; }
  std::int64_t nonzero() const;
  double fraction() const;         ///< s = nonzero / (rows * cols)
};

/// Checks the syntax of a pattern (no file access, no sizes): InputError if malformed.
void validate_mask_spec(std::string_view spec);

/// The mask of a pattern on the grid of blocks B_r x B_c over N tokens.
BlockMask make_block_mask(std::string_view spec, std::int64_t N, std::int64_t Br, std::int64_t Bc);

}  // namespace iolab::sim
