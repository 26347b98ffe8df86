#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/parallel.hpp"
#include "iolab/analysis/csv.hpp"
#include "iolab/analysis/grid_spec.hpp"
#include "iolab/analysis/loglog_fit.hpp"
#include "iolab/analysis/sweep.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::analysis;

TEST_CASE("grid specs expand lists and ranges", "[sweep]") {
  CHECK(parse_int_list("512,1024", "N") == std::vector<std::int64_t>{512, 1024});
  CHECK(parse_int_list("512:4096:x2", "N") == std::vector<std::int64_t>{512, 1024, 2048, 4096});
  CHECK(parse_int_list("16:64:+16", "d") == std::vector<std::int64_t>{16, 32, 48, 64});
  CHECK(parse_int_list("1:10:4,100", "N") == std::vector<std::int64_t>{1, 5, 9, 100});
  CHECK(parse_size_list("16KiB:64KiB:x2", "M") == std::vector<std::uint64_t>{16384, 32768, 65536});
  for (const char* bad : {"", "a", "1:2", "5:1:+1", "1:9:x1", "1:9:+0", "1,,2", "0:8:x2", "1:2:3:4"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_int_list(bad, "N"), sim::InputError);
  }
  CHECK_THROWS_AS(parse_size_list("1KiB:2XB:x2", "M"), sim::InputError);
}

TEST_CASE("power-law fits recover exponents and constants", "[sweep]") {
  std::vector<double> x{1, 2, 4, 8, 16}, y;
  for (double v : x) y.push_back(3.0 * std::pow(v, -1.0));
  auto f = fit_power_law(x, y);
  CHECK(f.slope == Approx(-1.0));
  CHECK(f.constant == Approx(3.0));
  CHECK(f.r2 == Approx(1.0));
  std::vector<double> one{2, 2};
  CHECK_THROWS_AS(fit_power_law(one, one), std::invalid_argument);
}

TEST_CASE("a sweep evaluates the grid in order, lists infeasible points, and matches closed forms", "[sweep]") {
  SweepSpec s;
  s.algos = {"standard", "flash1", "flash2"};
  s.tilings = {sim::Tiling::fit, sim::Tiling::paper};
  s.Ns = {100, 257};
  s.ds = {16};
  s.Ms = {40, 1000, 4000};
  s.threads = 2;
  const auto grid = expand_grid(s);
  CHECK(grid.size() == 2 * 3 + 2 * 2 * 2 * 3);  // standard once, flash twice
  const auto out = run_sweep(s);
  CHECK(out.rows.size() + out.skipped.size() == grid.size());
  // flash fit at M = 40 < 4*16+5 is infeasible, for both N.
  CHECK(out.skipped.size() == 4);
  for (const auto& sk : out.skipped) CHECK_THAT(sk.reason, Catch::Contains("too small"));
  for (const auto& r : out.rows) CHECK(r.eval.closed_form_matches);
  const std::string csv = sweep_csv(out.rows);
  std::istringstream in(csv);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  CHECK(lines == 1 + static_cast<int>(out.rows.size()));
  CHECK(csv.rfind("algo,tiling,dtype,N,d,M_elems,M_bytes,Br,Bc", 0) == 0);
  s.algos = {"flash9"};
  CHECK_THROWS_AS(run_sweep(s), sim::InputError);
}

TEST_CASE("atomic writes leave the complete file or nothing", "[sweep]") {
  const auto dir = std::filesystem::temp_directory_path() / "iolab_atomic_test";
  std::filesystem::remove_all(dir);
  write_file_atomically(dir / "a.csv", "x,y\n1,2\n");
  std::ifstream in(dir / "a.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "x,y\n1,2\n");
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);  // no temporary left
  CHECK_THROWS(write_file_atomically("/proc/iolab_no_such_dir/x.csv", "z"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("parallel_for visits every item once and rethrows a worker's exception on the caller", "[sweep]") {
  for (unsigned threads : {0u, 1u, 3u}) {
    std::vector<int> seen(100, 0);
    iolab::analysis::parallel_for(seen.size(), threads, [&](std::size_t i) { seen[i] += 1; });
    CHECK(std::count(seen.begin(), seen.end(), 1) == 100);
    CHECK_THROWS_WITH(iolab::analysis::parallel_for(100, threads,
                                                    [](std::size_t i) {
                                                      if (i == 37) throw std::runtime_error("item 37");
                                                    }),
                      "item 37");
  }
  iolab::analysis::parallel_for(0, 2, [](std::size_t) { FAIL("no items"); });
}
