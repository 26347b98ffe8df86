#include <catch2/catch.hpp>

#include <vector>

#include "iolab/sim/errors.hpp"
#include "iolab/sim/machine.hpp"

using namespace iolab::sim;

namespace {
struct Recorder : TransferObserver {
  std::vector<TransferEvent> events;
  std::vector<std::string> allocs;
  void on_transfer(const TransferEvent& e) override { events.push_back(e); }
  void on_sram_alloc(const SramTile& t, count_t) override { allocs.push_back(t.name()); }
};
}  // namespace

TEST_CASE("load and store count elements and bytes per tensor", "[machine]") {
  Machine m({1000, Mode::compute, true});
  auto& A = m.hbm_tensor("A", 10, 8, DType::fp16);
  auto& B = m.hbm_tensor("B", 10, 8, DType::fp32);
  for (std::int64_t r = 0; r < 10; ++r)
    for (std::int64_t c = 0; c < 8; ++c) A.at(r, c) = 100.0 * r + c;
  auto t = m.sram_tile("t", 4, 8);
  m.load(t, A.view(3, 4, 2, 5));
  CHECK(t.rows() == 4);
  CHECK(t.cols() == 5);
  CHECK(t(1, 2) == 100.0 * 4 + 4);
  m.store(B.view(0, 4, 0, 5), t);
  CHECK(B.at(1, 2) == 100.0 * 4 + 4);
  CHECK(A.reads_elems() == 20);
  CHECK(A.reads_bytes() == 40);
  CHECK(A.writes_elems() == 0);
  CHECK(B.writes_elems() == 20);
  CHECK(B.writes_bytes() == 80);
  CHECK(m.hbm_reads_elems() == 20);
  CHECK(m.hbm_writes_elems() == 20);
  CHECK(m.hbm_bytes() == 120);
  CHECK(m.transfers() == 2);
}

TEST_CASE("SRAM capacity is enforced with a message naming the tile, use and M", "[machine]") {
  Machine m({100, Mode::count_only, true});
  auto a = m.sram_tile("K_j", 8, 8);
  auto b = m.sram_tile("V_j", 4, 4);
  CHECK(m.sram().in_use_elems() == 80);
  try {
    auto c = m.sram_tile("S_ij", 5, 5);
    FAIL("no CapacityError");
  } catch (const CapacityError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("S_ij") && Catch::Contains("25 elements") && Catch::Contains("80 elements in use") &&
                        Catch::Contains("K_j 64") && Catch::Contains("V_j 16") && Catch::Contains("M = 100"));
  }
  {
    auto c = m.sram_tile("S_ij", 4, 5);  // exactly fills
    CHECK(m.sram().in_use_elems() == 100);
  }
  CHECK(m.sram().in_use_elems() == 80);
  CHECK(m.sram().peak_elems() == 100);
}

TEST_CASE("a non-enforcing scratchpad records the true peak", "[machine]") {
  Machine m({10, Mode::count_only, false});
  auto a = m.sram_tile("big", 4, 4);
  CHECK(m.sram().peak_elems() == 16);
}

TEST_CASE("misuse of tiles and views is a logic error", "[machine]") {
  Machine m({100, Mode::count_only, true});
  auto& A = m.hbm_tensor("A", 4, 4, DType::fp16);
  auto t = m.sram_tile("t", 2, 2);
  CHECK_THROWS_AS(A.view(3, 2, 0, 1), std::out_of_range);
  CHECK_THROWS_AS(m.load(t, A.view(0, 3, 0, 2)), std::logic_error);
  t.set_extent(2, 1);
  CHECK_THROWS_AS(m.store(A.view(0, 2, 0, 2), t), std::logic_error);
  CHECK_THROWS_AS(A.at(0, 0), std::logic_error);  // count-only holds no values
  CHECK(A.reads_elems() == 0);
  CHECK(A.writes_elems() == 0);
}

TEST_CASE("the observer sees every transfer in order with its range", "[machine]") {
  Recorder rec;
  Machine m({100, Mode::count_only, true});
  m.set_observer(&rec);
  auto& A = m.hbm_tensor("A", 6, 3, DType::bf16);
  auto t = m.sram_tile("tile", 2, 3);
  m.load(t, A.rows_view(4, 2));
  m.store(A.view(0, 2, 1, 2), (t.set_extent(2, 2), t));
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[0].step == 0);
  CHECK(rec.events[0].direction == Direction::load);
  CHECK(rec.events[0].tensor == &A);
  CHECK(rec.events[0].row0 == 4);
  CHECK(rec.events[0].rows == 2);
  CHECK(rec.events[0].elems == 6);
  CHECK(rec.events[1].direction == Direction::store);
  CHECK(rec.events[1].col0 == 1);
  CHECK(rec.events[1].cols == 2);
  CHECK(rec.events[1].elems == 4);
  CHECK(rec.allocs == std::vector<std::string>{"tile"});
}

TEST_CASE("tile ids survive moves and the scratchpad tracks moved tiles", "[machine]") {
  Machine m({100, Mode::count_only, true});
  std::vector<SramTile> tiles;
  tiles.push_back(m.sram_tile("a", 2, 2));
  tiles.push_back(m.sram_tile("b", 3, 3));
  CHECK(tiles[0].id() == 0);
  CHECK(tiles[1].id() == 1);
  CHECK(m.sram().in_use_elems() == 13);
  tiles.clear();
  CHECK(m.sram().in_use_elems() == 0);
}
