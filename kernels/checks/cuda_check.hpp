// CUDA_OK(call): for the check and benchmark programs (not the library). A
// failing CUDA runtime call prints its name, file, line and message, and the
// program exits with status 1.  open_gpu_or_skip(prop): device 0's properties,
// or 77 (the CTest skip code) after printing SKIPPED when there is no GPU.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CUDA_OK(call)                                                                                \
  do {                                                                                               \
    cudaError_t err_ = (call);                                                                       \
    if (err_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(err_), __FILE__, __LINE__, \
                   cudaGetErrorString(err_));                                                        \
      std::exit(1);                                                                                  \
    }                                                                                                \
  } while (0)

// 0 with device 0's properties in `prop`, or 77 after printing why there is no GPU.
inline int open_gpu_or_skip(cudaDeviceProp& prop) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no CUDA GPU available (%s)\n",
                err != cudaSuccess ? cudaGetErrorString(err) : "cudaGetDeviceCount returned 0");
    return 77;
  }
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  return 0;
}
