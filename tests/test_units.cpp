#include <catch2/catch.hpp>

#include "iolab/sim/dtype.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/presets.hpp"
#include "iolab/sim/units.hpp"

using namespace iolab::sim;

TEST_CASE("sizes parse with explicit units", "[units]") {
  CHECK(parse_bytes("96KiB") == 96 * 1024);
  CHECK(parse_bytes("100KB") == 100'000);
  CHECK(parse_bytes("100kB") == 100'000);
  CHECK(parse_bytes("1MiB") == 1024 * 1024);
  CHECK(parse_bytes("2GB") == 2'000'000'000ull);
  CHECK(parse_bytes("1GiB") == 1024ull * 1024 * 1024);
  CHECK(parse_bytes("4096") == 4096);
  CHECK(parse_bytes("17B") == 17);
}

TEST_CASE("malformed sizes are refused with the input quoted", "[units]") {
  for (const char* bad : {"12XB", "", "KiB", "-3KiB", "1.5KiB", "96 KiB", "96kib", "0x10"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_bytes(bad), InputError);
  }
  CHECK_THROWS_WITH(parse_bytes("12XB"), Catch::Contains("'12XB'"));
  CHECK_THROWS_AS(parse_bytes("99999999999999999999"), OverflowError);
  CHECK_THROWS_AS(parse_bytes("17179869184GiB"), OverflowError);
}

TEST_CASE("element counts and byte formatting", "[units]") {
  CHECK(parse_count("49152", "M") == 49152);
  CHECK_THROWS_AS(parse_count("49k", "M"), InputError);
  CHECK_THROWS_AS(parse_count("", "M"), InputError);
  CHECK(format_bytes(96 * 1024) == "96KiB");
  CHECK(format_bytes(1000) == "1000B");
  CHECK(format_bytes(3 * 1024 * 1024) == "3MiB");
}

TEST_CASE("dtypes have their sizes and names", "[units]") {
  CHECK(bytes_of(DType::fp16) == 2);
  CHECK(bytes_of(DType::bf16) == 2);
  CHECK(bytes_of(DType::fp32) == 4);
  CHECK(bytes_of(DType::fp64) == 8);
  for (auto t : {DType::fp16, DType::bf16, DType::fp32, DType::fp64}) CHECK(parse_dtype(name_of(t)) == t);
  CHECK_THROWS_AS(parse_dtype("int8"), InputError);
}

TEST_CASE("presets exist with sources", "[presets]") {
  for (const char* name : {"paper", "a100", "h100", "h200"}) {
    const auto& p = preset(name);
    CHECK(p.sram_bytes > 0);
    CHECK(p.hbm_bytes_per_s > 0);
    CHECK_FALSE(p.source.empty());
  }
  CHECK(preset("h100").sram_bytes == 227 * 1024);
  CHECK_THROWS_WITH(preset("v100"), Catch::Contains("known: paper, a100, h100, h200"));
}
