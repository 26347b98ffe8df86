// iolab: the IO complexity of attention, runnable. See README.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "iolab/sim/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"iolab: count, bound and sweep the HBM traffic of attention algorithms on a simulated HBM/SRAM machine"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  iolab::cli::register_count(app);
  iolab::cli::register_sweep(app);
  iolab::cli::register_study(app);
  iolab::cli::register_presets(app);
  iolab::cli::register_animate(app);
  iolab::cli::register_pebble(app);
  iolab::cli::register_bound(app);
  iolab::cli::register_compare(app);
  iolab::cli::register_probe(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command's own status (e.g. compare: 3 = targets missed), already reported
  } catch (const CLI::ParseError& e) {
    std::cerr << "iolab: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const iolab::sim::InputError& e) {
    std::cerr << "iolab: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "iolab: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
