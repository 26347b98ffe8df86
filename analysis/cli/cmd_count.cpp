// iolab count: one configuration, simulated and set against its closed form
// and its Theta bound, as a table or as JSON. --pass picks the forward, the
// backward or both; --causal masks keys after the query; --batch and --heads
// scale the per-head counts to the whole layer (each head is an independent
// problem of the same shape, so totals are per-head counts times B*H).
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/units.hpp"
#include "machine_options.hpp"
#include "table.hpp"

namespace iolab::cli {
namespace {

struct CountOptions {
  std::string algo = "flash1";
  std::int64_t N = 0, d = 0;
  MachineOptions machine;
  std::string tiling = "fit";
  std::optional<std::int64_t> br, bc;
  bool json = false;
  bool verify = false;
  std::uint64_t seed = 1;
  std::string pass = "fwd";
  bool causal = false;
  std::int64_t batch = 1, heads = 1;
  std::string mask;
  std::int64_t groups = 1, splits = 0;
  std::int64_t query_chunk = 0, key_chunk = 0;
};

struct Totals {
  sim::count_t reads, writes, bytes;
};

/// Elements of HBM the run allocates beyond its inputs (Q, K, V, dO and, for
/// pass = bwd, the saved forward tensors are inputs): outputs and intermediates.
sim::count_t footprint(const analysis::Evaluation& e) {
  sim::count_t s = 0;
  const bool bwd_only = e.sim.plan.pass == sim::Pass::bwd;
  for (const auto& t : e.sim.tensors) {
    if (t.name == "Q" || t.name == "K" || t.name == "V" || t.name == "dO") continue;
    if (bwd_only && (t.name == "O" || t.name == "l" || t.name == "m" || t.name == "L" || t.name == "P")) continue;
    s = sim::checked_add(s, sim::checked_mul(static_cast<sim::count_t>(t.rows), static_cast<sim::count_t>(t.cols)));
  }
  return s;
}

/// One simulation is one head, or for decoding one K/V group of `groups`
/// query heads: totals scale by batch * heads / groups.
Totals totals(const analysis::Evaluation& e, std::int64_t batch, std::int64_t heads) {
  const auto units = static_cast<sim::count_t>(heads / std::max<std::int64_t>(1, e.sim.plan.groups));
  const auto bh = sim::checked_mul(static_cast<sim::count_t>(batch), units, "batch*heads");
  return {sim::checked_mul(e.sim.reads_elems, bh, "total HBM reads"),
          sim::checked_mul(e.sim.writes_elems, bh, "total HBM writes"),
          sim::checked_mul(e.sim.hbm_bytes, bh, "total HBM bytes")};
}

constexpr std::int64_t kMaxVerifyN = 4096;
const char* kStatsNote =
    "softmax statistics and log-sum-exps (l, m, L, D = rowsum(dO o O), LSE_split, m_sum, w_sum) and "
    "flash_decoding's partial outputs O_split are stored in fp32 whatever the input dtype";

nlohmann::json to_json(const analysis::Evaluation& e, const std::string& preset_note, const CountOptions& o) {
  const auto& p = e.sim.plan;
  nlohmann::json j;
  j["algo"] = p.algo;
  j["pass"] = sim::name_of(p.pass);
  j["causal"] = p.causal;
  j["N"] = p.N;
  j["d"] = p.d;
  j["dtype"] = sim::name_of(p.dtype);
  j["tiling"] = sim::single_tiling(p.algo) ? "-" : std::string(sim::name_of(p.tiling));
  j["M_elems"] = p.M;
  j["M_bytes"] = p.M * sim::bytes_of(p.dtype);
  j["Br"] = p.br;
  j["Bc"] = p.bc;
  if (sim::has_backward(p.pass) && p.bwd_br > 0) {
    j["bwd_Br"] = p.bwd_br;
    j["bwd_Bc"] = p.bwd_bc;
  }
  if (p.bd > 0) j["Bd"] = p.bd;
  if (p.block_mask)
    j["mask"] = {{"pattern", p.block_mask->spec},
                 {"blocks", {p.block_mask->rows, p.block_mask->cols}},
                 {"nonzero_blocks", p.block_mask->nonzero()},
                 {"s", p.block_mask->fraction()}};
  j["hbm_reads"] = e.sim.reads_elems;
  j["hbm_writes"] = e.sim.writes_elems;
  j["hbm_accesses"] = e.sim.reads_elems + e.sim.writes_elems;
  j["hbm_bytes"] = e.sim.hbm_bytes;
  j["units"] = {{"counts", "elements"}, {"hbm_bytes", "bytes"}, {"total_hbm_bytes", "bytes"}};
  const Totals t = totals(e, o.batch, o.heads);
  j["batch"] = o.batch;
  j["heads"] = o.heads;
  if (sim::is_decoding(p.algo)) {
    j["groups"] = p.groups;
    j["kv_heads"] = o.heads / p.groups;
    j["query_rows"] = p.q_rows;
  }
  if (p.algo == "flash1") j["splits"] = p.splits;
  if (p.algo == "flash_decoding") {
    j["splits"] = p.splits;
    j["split_rows"] = p.split_rows;
    j["reduce_chunk"] = p.reduce_chunk;
  }
  j["total_hbm_reads"] = t.reads;
  j["total_hbm_writes"] = t.writes;
  j["total_hbm_accesses"] = t.reads + t.writes;
  j["total_hbm_bytes"] = t.bytes;
  nlohmann::json per = nlohmann::json::object();
  for (const auto& t : e.sim.tensors)
    per[t.name] = {{"reads", t.reads_elems},       {"writes", t.writes_elems},
                   {"reads_bytes", t.reads_bytes}, {"writes_bytes", t.writes_bytes},
                   {"dtype", sim::name_of(t.dtype)}, {"shape", {t.rows, t.cols}}};
  j["per_tensor"] = per;
  j["closed_form"] = {{"reads", e.closed.reads},
                      {"writes", e.closed.writes},
                      {"bytes", e.closed.bytes},
                      {"matches_simulation", e.closed_form_matches}};
  j["bound"] = {{"formula", e.bound.formula},
                {"value", e.bound.value},
                {"ratio", e.bound.ratio},
                {"regime", e.bound.regime},
                {"lower_formula", e.bound.lower_formula},
                {"lower_value", e.bound.lower_value},
                {"lower_ratio", e.bound.lower_ratio}};
  j["peak_sram_elems"] = e.sim.peak_sram_elems;
  j["hbm_footprint_elems"] = footprint(e);
  if (p.algo == "rabe_staats") j["chunks"] = {{"query_chunk", p.query_chunk}, {"key_chunk", p.key_chunk}};
  j["working_set_elems"] = p.working_set;
  j["working_set_fits"] = e.sim.peak_sram_elems <= p.M;
  j["capacity_enforced"] = p.enforce_capacity;
  j["transfers"] = e.sim.transfers;
  if (p.algo == "standard")
    j["standard_tiling"] = {{"gemm_tile", p.gemm_tile},
                            {"softmax_rows", p.softmax_rows},
                            {"softmax_chunk", p.softmax_chunk},
                            {"softmax_passes", p.softmax_passes}};
  if (e.sim.error) {
    j["verify"] = {{"rel_error", e.sim.error->rel_frobenius}, {"max_abs_error", e.sim.error->max_abs}};
    nlohmann::json per_out = nlohmann::json::object();
    for (const auto& x : e.sim.errors)
      per_out[x.tensor] = {{"rel_error", x.stats.rel_frobenius}, {"max_abs_error", x.stats.max_abs}};
    j["verify"]["per_output"] = per_out;
  }
  j["notes"] = {kStatsNote};
  if (!preset_note.empty()) j["notes"].push_back(preset_note);
  return j;
}

void print_table(const analysis::Evaluation& e, std::ostream& os, const CountOptions& o) {
  const auto& p = e.sim.plan;
  os << p.algo << " (" << (p.pass == sim::Pass::fwd ? "forward" : p.pass == sim::Pass::bwd ? "backward" : "forward + backward")
     << (p.causal ? ", causal" : "") << "): N=" << p.N << ", d=" << p.d << ", " << sim::name_of(p.dtype) << ", M=" << grouped(p.M)
     << " elements (" << sim::format_bytes(p.M * sim::bytes_of(p.dtype)) << ")";
  if (!sim::single_tiling(p.algo))
    os << ", tiling " << sim::name_of(p.tiling) << (p.explicit_blocks ? " (explicit)" : "");
  os << "\n";
  if (p.algo == "standard")
    os << "GEMM tile t=" << p.gemm_tile << " (S tile " << p.br << "x" << p.bc << "), softmax "
       << p.softmax_rows << " row(s) x " << p.softmax_chunk << " columns, " << p.softmax_passes << " pass(es)\n";
  else if (p.algo == "flash_dtile")
    os << "blocks B_r=" << p.br << ", B_c=" << p.bc << ", head-dimension chunk B_d=" << p.bd << "\n";
  else if (p.pass == sim::Pass::fwdbwd)
    os << "blocks: forward B_r=" << p.br << ", B_c=" << p.bc << "; backward B_r=" << p.bwd_br << ", B_c=" << p.bwd_bc
       << "\n";
  else
    os << "blocks B_r=" << p.br << ", B_c=" << p.bc << "\n";
  if (sim::is_decoding(p.algo))
    os << "decoding step: " << p.q_rows << " query head(s) share one K/V head of N = " << p.N << " cached keys"
       << (p.algo == "flash_decoding" ? ", " + std::to_string(p.splits) + " splits of " + std::to_string(p.split_rows) +
                                            " keys, reduced " + std::to_string(p.reduce_chunk) + " at a time"
                                      : std::string())
       << "\n";
  if (p.algo == "flash1" && p.splits > 1)
    os << "Q blocks split over " << p.splits << " thread blocks (snake order); K and V are read once per split\n";
  if (p.block_mask)
    os << "block mask " << p.block_mask->spec << ": " << p.block_mask->nonzero() << " of " << p.block_mask->rows
       << " x " << p.block_mask->cols << " blocks nonzero, s = " << fixed(p.block_mask->fraction(), 4) << "\n";
  if (p.algo == "standard" && sim::has_backward(p.pass))
    os << "backward dS stage " << p.dsoftmax_rows << " row(s) x " << p.dsoftmax_chunk << " columns, "
       << p.dsoftmax_passes << " pass(es)\n";
  os << "\n";
  Table t({"tensor", "dtype", "reads (elems)", "writes (elems)", "bytes"});
  for (const auto& x : e.sim.tensors)
    t.add({x.name, std::string(sim::name_of(x.dtype)), grouped(x.reads_elems), grouped(x.writes_elems),
           grouped(x.reads_bytes + x.writes_bytes)});
  t.add({"total", "", grouped(e.sim.reads_elems), grouped(e.sim.writes_elems), grouped(e.sim.hbm_bytes)});
  t.print(os);
  os << "\nclosed form:  reads " << grouped(e.closed.reads) << ", writes " << grouped(e.closed.writes) << ", bytes "
     << grouped(e.closed.bytes) << (e.closed_form_matches ? "  (equals the simulation)" : "  (MISMATCH)") << "\n";
  os << "bound:        " << e.bound.formula << " = " << sci(e.bound.value) << " elements; count/bound = "
     << fixed(e.bound.ratio, 3) << "  (regime " << e.bound.regime << ")\n";
  os << "lower bound:  " << e.bound.lower_formula << " = " << sci(e.bound.lower_value)
     << " elements for exact attention when " << e.bound.regime << "; count/lower = " << fixed(e.bound.lower_ratio, 3)
     << "\n";
  os << "HBM footprint: " << grouped(footprint(e)) << " elements allocated beyond the inputs\n";
  os << "SRAM:         peak " << grouped(e.sim.peak_sram_elems) << " of M = " << grouped(p.M) << " elements"
     << (e.sim.peak_sram_elems <= p.M ? "" : "  (the paper tiling's working set exceeds M)") << "\n";
  os << "transfers:    " << grouped(e.sim.transfers) << " tile loads and stores\n";
  for (const auto& x : e.sim.errors)
    os << "verified:     " << x.tensor << ": relative error " << sci(x.stats.rel_frobenius) << ", max abs error "
       << sci(x.stats.max_abs) << " against the float64 reference\n";
  if (o.batch * o.heads > 1) {
    const Totals t = totals(e, o.batch, o.heads);
    os << "totals:       batch " << o.batch << " x heads " << o.heads << ": reads " << grouped(t.reads) << ", writes "
       << grouped(t.writes) << " elements, " << grouped(t.bytes) << " bytes (" << sci(static_cast<double>(t.bytes))
       << ")\n";
  }
  os << "note:         " << kStatsNote << "\n";
}

void run(const CountOptions& o) {
  sim::AttentionProblem p;
  p.algo = o.algo;
  p.N = o.N;
  p.d = o.d;
  p.dtype = resolve_dtype(o.machine);
  p.M = resolve_M(o.machine, p.dtype);
  p.tiling = sim::parse_tiling(o.tiling);
  p.br = o.br;
  p.bc = o.bc;
  p.pass = sim::parse_pass(o.pass);
  p.causal = o.causal;
  p.mask = o.mask;
  p.groups = o.groups;
  p.splits = o.splits;
  p.query_chunk = o.query_chunk;
  p.key_chunk = o.key_chunk;
  if (o.heads % std::max<std::int64_t>(1, o.groups) != 0)
    throw sim::InputError("--heads " + std::to_string(o.heads) + " is not a multiple of --groups " +
                          std::to_string(o.groups));
  if (o.batch < 1) throw sim::InputError("--batch must be at least 1, got " + std::to_string(o.batch));
  if (o.heads < 1) throw sim::InputError("--heads must be at least 1, got " + std::to_string(o.heads));
  const auto plan = sim::algorithm(p.algo).plan(p);
  if (o.verify && p.N > kMaxVerifyN)
    throw sim::InputError("--verify holds float64 values in memory and supports N <= " + std::to_string(kMaxVerifyN) +
                          ", got N = " + std::to_string(p.N));
  const auto e = analysis::evaluate(plan, o.verify ? sim::Mode::compute : sim::Mode::count_only, o.seed);
  if (!e.closed_form_matches) throw std::logic_error("internal error: closed form differs from the simulation");
  std::string preset_note;
  if (o.machine.sram.empty() && o.machine.sram_elems.empty()) preset_note = "M taken from preset " + o.machine.preset;
  const auto json = to_json(e, preset_note, o);  // computes the totals: overflow is refused before printing
  if (o.json)
    std::cout << json.dump(2) << "\n";
  else
    print_table(e, std::cout, o);
}

}  // namespace

void register_count(CLI::App& app) {
  auto o = std::make_shared<CountOptions>();
  auto* cmd = app.add_subcommand("count", "Simulate one configuration: HBM traffic per tensor, closed form, bound");
  cmd->add_option("--algo", o->algo, "Algorithm: standard, flash1, flash2, flash_dtile (see `iolab count --help`)")
      ->capture_default_str();
  cmd->add_option("--pass", o->pass, "Pass: fwd, bwd (backward alone) or fwdbwd (forward then backward)")
      ->capture_default_str();
  cmd->add_flag("--causal", o->causal, "Causal mask: blocks entirely above the diagonal are skipped");
  cmd->add_option("--mask", o->mask,
                  "Block-sparse FlashAttention (Algorithm 5, flash1/flash2, forward): causal, local:W, strided:S, "
                  "butterfly, random:P[:SEED], file:PATH");
  cmd->add_option("--groups", o->groups,
                  "decode, flash_decoding: query heads sharing one K/V head (1 multi-head, H multi-query, else "
                  "grouped-query); K/V traffic is counted once per group")
      ->capture_default_str();
  cmd->add_option("--splits", o->splits,
                  "flash_decoding: splits of the KV length (default about sqrt(N)); flash1: thread blocks its Q "
                  "blocks are split over, in the CUDA kernel's snake order (default 1, the paper's schedule; at most "
                  "ceil(N/B_r))");
  cmd->add_option("--query-chunk", o->query_chunk, "rabe_staats: query chunk size (default 1024)");
  cmd->add_option("--key-chunk", o->key_chunk, "rabe_staats: key chunk size (default 4096)");
  cmd->add_option("--batch", o->batch, "Batch size B: totals are per-head counts times B*H")->capture_default_str();
  cmd->add_option("--heads", o->heads, "Attention heads H: totals are per-head counts times B*H")->capture_default_str();
  cmd->add_option("--N", o->N, "Sequence length N (rows of Q, K, V)")->required();
  cmd->add_option("--d", o->d, "Head dimension d")->required();
  add_machine_options(cmd, o->machine, /*lists=*/false);
  cmd->add_option("--tiling", o->tiling, "Block sizes: fit (largest that fit in M) or paper (ceil(M/4d), literal)")
      ->capture_default_str();
  cmd->add_option("--br", o->br, "Explicit B_r (rows of a Q block), with --bc; capacity-checked");
  cmd->add_option("--bc", o->bc, "Explicit B_c (rows of a K/V block), with --br; capacity-checked");
  cmd->add_flag("--json", o->json, "Print JSON instead of a table");
  cmd->add_flag("--verify", o->verify,
                "Also compute in float64 and compare O (and dQ, dK, dV) with the reference (N <= 4096)");
  cmd->add_option("--seed", o->seed, "Seed of the random inputs for --verify")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace iolab::cli
