#pragma once
// Error types of the simulator. Every error carries a one-line message that
// names the offending quantity; front ends print it and exit with status 2.
#include <stdexcept>
#include <string>

namespace iolab::sim {

/// Invalid user input: a malformed size, an unknown name, N <= 0, ...
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An SRAM allocation that would exceed the scratchpad capacity M.
class CapacityError : public InputError {
 public:
  using InputError::InputError;
};

/// A count (elements or bytes) that would not fit in 64 bits.
class OverflowError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace iolab::sim
