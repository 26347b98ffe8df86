#pragma once
// The sweep CSV schema (one row per configuration; documented in README):
//   algo,tiling,dtype,N,d,M_elems,M_bytes,Br,Bc,working_set_elems,peak_sram_elems,
//   fits,hbm_reads,hbm_writes,hbm_accesses,hbm_bytes,closed_form_reads,
//   closed_form_writes,closed_form_match,bound_formula,bound,ratio,transfers,pass,
//   causal,regime,lower_bound_formula,lower_bound,lower_ratio,mask,nonzero_fraction
// Counts are elements except *_bytes. `fits` says whether the working set is
// within M (always true for enforced tilings).
#include <string>
#include <vector>

#include "iolab/analysis/sweep.hpp"

namespace iolab::analysis {

std::string csv_header();
std::string csv_row(const Evaluation& e);
std::string sweep_csv(const std::vector<SweepRow>& rows);

}  // namespace iolab::analysis
