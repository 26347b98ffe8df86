#include "iolab/analysis/csv.hpp"

#include <cstdio>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::analysis {
namespace {

std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

std::string csv_header() {
  return "algo,tiling,dtype,N,d,M_elems,M_bytes,Br,Bc,working_set_elems,peak_sram_elems,fits,hbm_reads,hbm_writes,"
         "hbm_accesses,hbm_bytes,closed_form_reads,closed_form_writes,closed_form_match,bound_formula,bound,ratio,"
         "transfers,pass,causal,regime,lower_bound_formula,lower_bound,lower_ratio,mask,nonzero_fraction\n";
}

std::string csv_row(const Evaluation& e) {
  const auto& p = e.sim.plan;
  const auto& s = e.sim;
  std::string r;
  auto add = [&](const std::string& v) {
    if (!r.empty()) r += ',';
    r += v;
  };
  auto num = [&](auto v) { add(std::to_string(v)); };
  add(p.algo);
  add(sim::single_tiling(p.algo) ? "-" : std::string(sim::name_of(p.tiling)));
  add(std::string(sim::name_of(p.dtype)));
  num(p.N);
  num(p.d);
  num(p.M);
  num(p.M * sim::bytes_of(p.dtype));
  num(p.br);
  num(p.bc);
  num(p.working_set);
  num(s.peak_sram_elems);
  add(s.peak_sram_elems <= p.M ? "true" : "false");
  num(s.reads_elems);
  num(s.writes_elems);
  num(s.reads_elems + s.writes_elems);
  num(s.hbm_bytes);
  num(e.closed.reads);
  num(e.closed.writes);
  add(e.closed_form_matches ? "true" : "false");
  add(e.bound.formula);
  add(fmt_double(e.bound.value));
  add(fmt_double(e.bound.ratio));
  num(s.transfers);
  add(std::string(sim::name_of(p.pass)));
  add(p.causal ? "true" : "false");
  add(e.bound.regime);
  add(e.bound.lower_formula);
  add(fmt_double(e.bound.lower_value));
  add(fmt_double(e.bound.lower_ratio));
  add(p.block_mask ? p.block_mask->spec : "");
  add(p.block_mask ? fmt_double(p.block_mask->fraction()) : "1");
  return r + "\n";
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  std::string out = csv_header();
  for (const auto& r : rows) out += csv_row(r.eval);
  return out;
}

}  // namespace iolab::analysis
