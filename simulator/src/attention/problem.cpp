#include "iolab/sim/attention/problem.hpp"

#include <cmath>

#include "iolab/sim/errors.hpp"

namespace iolab::sim {

std::string_view name_of(Tiling t) { return t == Tiling::fit ? "fit" : "paper"; }

Tiling parse_tiling(std::string_view s) {
  if (s == "fit") return Tiling::fit;
  if (s == "paper") return Tiling::paper;
  throw InputError("unknown tiling '" + std::string(s) + "' (expected fit or paper)");
}

std::string_view name_of(Pass p) {
  switch (p) {
    case Pass::fwd: return "fwd";
    case Pass::bwd: return "bwd";
    case Pass::fwdbwd: return "fwdbwd";
  }
  return "?";
}

Pass parse_pass(std::string_view s) {
  if (s == "fwd") return Pass::fwd;
  if (s == "bwd") return Pass::bwd;
  if (s == "fwdbwd") return Pass::fwdbwd;
  throw InputError("unknown pass '" + std::string(s) + "' (expected fwd, bwd or fwdbwd)");
}

void validate_common(const AttentionProblem& p) {
  if (p.N <= 0) throw InputError("N must be a positive sequence length, got " + std::to_string(p.N));
  if (p.d <= 0) throw InputError("d must be a positive head dimension, got " + std::to_string(p.d));
  if (p.M == 0) throw InputError("SRAM size M must be positive");
  // Indices are 64-bit signed; refuse shapes whose N*N or N*d would not fit.
  count_t nn = 0;
  if (__builtin_mul_overflow(static_cast<count_t>(p.N), static_cast<count_t>(p.N), &nn) ||
      nn > static_cast<count_t>(INT64_MAX))
    throw OverflowError("N = " + std::to_string(p.N) + " is too large: N*N overflows 64-bit indices");
  if (p.br && *p.br <= 0) throw InputError("block size --br must be positive, got " + std::to_string(*p.br));
  if (p.bc && *p.bc <= 0) throw InputError("block size --bc must be positive, got " + std::to_string(*p.bc));
  if (p.br.has_value() != p.bc.has_value()) throw InputError("--br and --bc must be given together");
  if (p.groups < 1) throw InputError("--groups must be at least 1, got " + std::to_string(p.groups));
  if (p.splits < 0) throw InputError("--splits must be positive, got " + std::to_string(p.splits));
  if (p.groups > 1 && p.algo != "decode" && p.algo != "flash_decoding")
    throw InputError("--groups (query heads per K/V head) applies to decode and flash_decoding, not to " + p.algo);
  if ((p.query_chunk || p.key_chunk) && p.algo != "rabe_staats")
    throw InputError("--query-chunk/--key-chunk apply to rabe_staats, not to " + p.algo);
  if (p.query_chunk < 0 || p.key_chunk < 0) throw InputError("chunk sizes must be positive");
  if (p.splits > 0 && p.algo != "flash_decoding" && p.algo != "flash1")
    throw InputError("--splits applies to flash_decoding and flash1, not to " + p.algo);
  if (!p.mask.empty() && p.causal)
    throw InputError("--mask and --causal do not combine; use --mask causal for the block-level causal pattern");
  if (!p.mask.empty() && p.pass != Pass::fwd)
    throw InputError("block-sparse masks (--mask) are simulated for the forward pass only (use --pass fwd)");
  if (p.br && p.tiling == Tiling::paper)
    throw InputError("explicit --br/--bc need --tiling fit (the paper tiling fixes its own blocks)");
}

void refuse_mask(const AttentionProblem& p, std::string_view algo) {
  if (!p.mask.empty())
    throw InputError("--mask applies to block-sparse flash1 (Algorithm 5) and flash2, not to " + std::string(algo));
}

Plan start_plan(const AttentionProblem& p, std::string algo) {
  Plan plan;
  plan.algo = std::move(algo);
  plan.N = p.N;
  plan.d = p.d;
  plan.M = p.M;
  plan.dtype = p.dtype;
  plan.tiling = p.tiling;
  plan.pass = p.pass;
  plan.causal = p.causal;
  plan.scale = 1.0 / std::sqrt(static_cast<double>(p.d));
  return plan;
}

}  // namespace iolab::sim
