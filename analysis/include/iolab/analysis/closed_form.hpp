#pragma once
// Exact closed forms of the HBM traffic of each algorithm, per tensor, in
// elements (bytes follow from each tensor's dtype). The derivations are in
// proofs/closed-forms.md; tests/test_closed_forms.cpp asserts equality with
// the simulator over hundreds of configurations. All arithmetic is checked:
// a configuration whose counts overflow 64 bits throws OverflowError.
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::analysis {

using sim::count_t;

struct TensorCount {
  std::string name;
  sim::DType dtype;
  count_t reads = 0, writes = 0;  ///< elements
};

struct ClosedForm {
  std::vector<TensorCount> tensors;  ///< same order as the simulator creates them
  count_t reads = 0, writes = 0;     ///< elements, summed over tensors
  count_t bytes = 0;                 ///< bytes read + written
  count_t total() const { return reads + writes; }
};

/// Sums the per-tensor counts into reads, writes and bytes, with checked
/// arithmetic (OverflowError). Every closed form ends with it.
void sum_totals(ClosedForm& cf);

/// flash1 (Algorithm 1), with T_c = ceil(N / B_c):
///   Q: T_c N d reads; K, V: N d reads; O: T_c N d reads, (T_c + 1) N d writes;
///   l, m (fp32): T_c N reads, (T_c + 1) N writes each.
ClosedForm closed_form_flash1(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt);

/// flash2, with T_r = ceil(N / B_r): Q: N d reads; K, V: T_r N d reads each;
/// O: N d writes; L (fp32): N writes.
ClosedForm closed_form_flash2(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt);

/// standard (Algorithm 0) with GEMM tile t = floor(sqrt(M/3)):
///   Q: N d if min(d,t) = d else N d ceil(N/min(N,t));  K: N d ceil(N/min(N,t))
///   S: N^2 writes, N^2 reads (one pass, when N + 2 <= M) or 2 N^2 reads (two passes)
///   P: N^2 writes; N^2 reads if min(N,t) = N else N^2 ceil(d/min(d,t))
///   V: N d ceil(N/min(N,t)) reads;  O: N d writes.
ClosedForm closed_form_standard(std::int64_t N, std::int64_t d, count_t M, sim::DType dt);

/// Dispatches on plan.algo and plan.pass using the plan's N, d, M, blocks and
/// mask; for pass = fwdbwd it adds the forward's and the backward's counts per
/// tensor, in the simulator's creation order (Q, K, V, dO, forward tensors,
/// backward tensors). Derivations: proofs/closed-forms.md (forward),
/// proofs/closed-forms-backward.md, proofs/closed-forms-masks.md.
ClosedForm closed_form(const sim::Plan& plan);

// ---- backward passes and causal masks (closed_form_backward.cpp) ----------
// Notation: R_j = N - B_r floor(j B_c / B_r) is the number of query rows an
// outer iteration j (K/V block j) visits under a causal mask (N without one);
// C_i = min(N, B_c ceil((i B_r + r_i) / B_c)) the key rows a Q block i visits.
// Sums run over j < T_c = ceil(N/B_c) or i < T_r = ceil(N/B_r).

/// Sum over outer K/V blocks of the query rows visited: sum_j R_j.
count_t flash_rows_visited(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal);
/// Sum over Q blocks of the key rows visited: sum_i C_i.
count_t flash_cols_visited(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal);

/// Rows of K (and of V) that flash1 with S splits of its Q blocks reads
/// (snake order, iolab/kernels/tiling.hpp): S N unmasked; causal: the sum of
/// C_i over the splits' last Q blocks i, which are [T_r - p - S, T_r - 2p - 1]
/// and [T_r - p, T_r - 1] with p = T_r mod S (N when S = 1).
count_t flash1_split_kv_rows(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal, std::int64_t splits);

/// Forward passes with an optional causal mask (equal to the functions above
/// when causal is false).  flash1 with S splits (default 1, the paper's
/// schedule): as above with K, V: d flash1_split_kv_rows reads each; Q, O, l, m
/// do not depend on S.
ClosedForm closed_form_flash1_fwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt,
                                  bool causal, std::int64_t splits = 1);
ClosedForm closed_form_flash2_fwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt,
                                  bool causal);
ClosedForm closed_form_standard_fwd(const sim::Plan& plan);

/// Algorithm 4, blocks B_r, B_c of the backward (S = sum_j R_j; S = T_c N unmasked):
///   Q, O, dO: d S reads; K, V: N d reads; l, m (fp32): S reads;
///   dQ: d S reads, N d + d S writes; dK, dV: N d writes.
ClosedForm closed_form_flash1_bwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt,
                                  bool causal);
/// FlashAttention-2 backward: O: N d reads; dO: N d + d S reads; D (fp32): N writes, S reads;
///   Q: d S reads; K, V: N d reads; L (fp32): S reads; dQ: d S reads, N d + d S writes; dK, dV: N d writes.
ClosedForm closed_form_flash2_bwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt,
                                  bool causal);
/// Algorithm 3 with the plan's GEMM tile and dS-stage blocking.
ClosedForm closed_form_standard_bwd(const sim::Plan& plan);

/// flash_dtile (closed_form_small.cpp), square blocks B, T = ceil(N/B),
/// J_i = T (causal: ceil((i B + r_i)/B)) K/V blocks per Q block:
///   Q: d sum_i r_i J_i reads (= T N d unmasked); K, V: d sum_i min(N, B J_i) reads (= T N d);
///   O: d sum_i r_i J_i - N d reads, d sum_i r_i J_i writes; L (fp32): N writes.
/// Block-sparse flash1 (Algorithm 5) and flash2 (closed_form_sparse.cpp), with
/// Z_r = sum of r_i and Z_c = sum of c_j over the nonzero blocks (i, j):
///   flash1: Q, O: d Z_r reads; O: N d + d Z_r writes; l, m: Z_r reads, N + Z_r writes; K, V: N d.
///   flash2: K, V: d Z_c reads; Q: N d; O: N d writes; L: N writes.
ClosedForm closed_form_blocksparse(const sim::Plan& plan);

/// One decoding step, g query heads per K/V head (closed_form_inference.cpp):
///   Q: g d reads; K, V: N d reads; O: g d writes; L (fp32): g writes.
ClosedForm closed_form_decode(std::int64_t N, std::int64_t d, std::int64_t g, sim::DType dt);
/// Flash-Decoding with S splits: Q: S g d reads; K, V: N d reads; O_split (fp32):
/// S g d writes and reads; LSE_split (fp32): S g writes and reads; O: g d writes; L: g writes.
ClosedForm closed_form_flash_decoding(std::int64_t N, std::int64_t d, std::int64_t g, std::int64_t S, sim::DType dt);

/// Rabe and Staats (closed_form_chunked.cpp): per (query chunk, key chunk)
/// pair the GEMM lemma for S = Q K^T and V_sum = P V, one read of S and one
/// write of P per chunk element, C_q summary entries; V_sum read T_k N d times
/// by the combine stage; O written once.
ClosedForm closed_form_rabe_staats(const sim::Plan& plan);

ClosedForm closed_form_flash_dtile(std::int64_t N, std::int64_t d, std::int64_t B, sim::DType dt, bool causal);

}  // namespace iolab::analysis
