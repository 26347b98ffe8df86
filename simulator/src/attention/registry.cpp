#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

const std::vector<AlgorithmInfo>& algorithms() {
  static const std::vector<AlgorithmInfo> kAlgorithms{
      {"standard",
       "Algorithm 0: S = QK^T and P = softmax(S) materialised in HBM, then O = PV; backward (Algorithm 3) reads "
       "the stored P",
       &plan_standard, &run_standard, &run_standard_backward, "P"},
      {"flash1",
       "Algorithm 1 (FlashAttention): outer loop over K/V blocks, O, l, m updated in HBM; backward is Algorithm 4",
       &plan_flash1, &run_flash1, &run_flash1_backward, "O,l,m"},
      {"flash2",
       "FlashAttention-2 order: outer loop over Q blocks, O on chip, O and L written once; FA2 backward with D",
       &plan_flash2, &run_flash2, &run_flash2_backward, "O,L"},
      {"flash_dtile",
       "small SRAM (M < d^2): square blocks B ~ sqrt(M), the head dimension tiled too, O updated in HBM; "
       "Theta(N^2 d / sqrt(M))",
       &plan_flash_dtile, &run_flash_dtile},
      {"decode",
       "one decoding step with a KV cache: the query rows of a K/V group against N cached keys, K and V read once",
       &plan_decode, &run_decode},
      {"flash_decoding",
       "Flash-Decoding: the KV length split into chunks, partial outputs and log-sum-exps reduced at the end",
       &plan_flash_decoding, &run_flash_decoding},
      {"rabe_staats",
       "Rabe & Staats: query and key chunks summarised independently and combined; chunk-sized memory, but S and "
       "P still pass through HBM",
       &plan_rabe_staats, &run_rabe_staats},
  };
  return kAlgorithms;
}

bool is_decoding(std::string_view algo) { return algo == "decode" || algo == "flash_decoding"; }

bool single_tiling(std::string_view algo) {
  return algo == "standard" || algo == "flash_dtile" || algo == "rabe_staats";
}

const AlgorithmInfo& algorithm(std::string_view name) {
  std::string known;
  for (const auto& a : algorithms()) {
    if (a.name == name) return a;
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  }
  throw InputError("unknown algorithm '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace iolab::sim
