#pragma once
// Every `iolab` subcommand registers itself on the top-level CLI11 app.
// One file per subcommand (cmd_<name>.cpp); main.cpp calls each register
// function. A command's callback reports bad input by throwing
// iolab::sim::InputError (or std::runtime_error for I/O failures): main
// prints it as one line on stderr and exits with status 2.
#include <CLI/CLI.hpp>

namespace iolab::cli {

void register_count(CLI::App& app);
void register_sweep(CLI::App& app);
void register_study(CLI::App& app);
void register_presets(CLI::App& app);
void register_animate(CLI::App& app);
void register_pebble(CLI::App& app);
void register_bound(CLI::App& app);
void register_compare(CLI::App& app);
void register_probe(CLI::App& app);

}  // namespace iolab::cli
