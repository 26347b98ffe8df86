// gemm_peak: the measured matrix-multiply ceiling of this GPU, for the
// "fraction of peak" columns of the attention tables.
//
// cuBLAS GEMM (cublasGemmEx, fp16 or bf16 inputs, fp32 accumulation, fp16/bf16
// output, tensor-op default algorithm) on square M = N = K problems filled
// with random values (never zeros: the tensor cores draw less power on zeros
// and run faster).  Each size is timed like the attention benchmarks
// (event_timing.hpp: warm-up, then launches each bracketed by its own
// CUDA-event pair, about --target-ms in all); the median is reported.
// TFLOP/s = 2*M*N*K / time.  The peak is the largest median over the sizes.
//
//   gemm_peak --csv FILE [--gpu NAME] [--date DATE] [--dtype fp16|bf16] [--target-ms MS]
//
// CSV columns: gpu, date, dtype, m, n, k, ms, tflops, reps.  Exit 77 without a GPU.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../checks/cuda_check.hpp"
#include "../checks/host_half.hpp"
#include "bench_options.hpp"
#include "event_timing.hpp"

namespace {

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "gemm_peak: %s: cuBLAS status %d\n", what, static_cast<int>(s));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  iolab::kernels::bench::Options opt;
  opt.target_ms = 300;
  if (int rc = iolab::kernels::bench::parse_options("gemm_peak", argc, argv, opt,
                                                    [](const std::string&, const std::string&) { return false; }))
    return rc;
  if (opt.csv.empty()) {
    std::fprintf(stderr, "usage: gemm_peak --csv FILE [--gpu NAME] [--date DATE] [--dtype fp16|bf16] [--target-ms MS>0]\n");
    return 2;
  }
  if (int rc = iolab::kernels::bench::open_device(opt)) return rc;
  const std::string &csv_path = opt.csv, &gpu = opt.gpu, &date = opt.date;
  const std::string dtype_s = opt.dtype == iolab::kernels::DType::bf16 ? "bf16" : "fp16";
  const double target_ms = opt.target_ms;
  const bool bf16 = dtype_s == "bf16";
  const cudaDataType_t type = bf16 ? CUDA_R_16BF : CUDA_R_16F;

  const std::vector<int> sizes = {4096, 8192, 16384};
  const std::size_t max_elems = static_cast<std::size_t>(sizes.back()) * sizes.back();
  std::vector<std::uint16_t> host(max_elems);
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& x : host) x = bf16 ? iolab::kernels::host::float_to_bf16(dist(rng)) : iolab::kernels::host::float_to_half(dist(rng));
  void *a = nullptr, *b = nullptr, *c = nullptr;
  CUDA_OK(cudaMalloc(&a, max_elems * 2));
  CUDA_OK(cudaMalloc(&b, max_elems * 2));
  CUDA_OK(cudaMalloc(&c, max_elems * 2));
  CUDA_OK(cudaMemcpy(a, host.data(), max_elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b, host.data(), max_elems * 2, cudaMemcpyHostToDevice));

  cublasHandle_t handle;
  check(cublasCreate(&handle), "cublasCreate");
  const float alpha = 1.0f, beta = 0.0f;
  std::FILE* f = std::fopen(csv_path.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "gemm_peak: cannot write %s\n", csv_path.c_str());
    return 1;
  }
  std::fprintf(f, "gpu,date,dtype,m,n,k,ms,tflops,reps\n");
  double best = 0;
  for (int n : sizes) {
    const auto t = iolab::kernels::bench::time_launches(
        [&] {
          check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &alpha, a, type, n, b, type, n, &beta, c, type,
                             n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
          return iolab::kernels::Status::success();
        },
        target_ms);
    const double med = t.median_ms;
    const int reps = t.reps;
    const double tflops = 2.0 * n * static_cast<double>(n) * n / (med * 1e-3) / 1e12;
    best = std::max(best, tflops);
    std::fprintf(f, "%s,%s,%s,%d,%d,%d,%.5f,%.1f,%d\n", gpu.c_str(), date.c_str(), dtype_s.c_str(), n, n, n, med, tflops,
                 reps);
    std::printf("cuBLAS %s GEMM %5d^3: %8.4f ms  %6.1f TFLOP/s\n", dtype_s.c_str(), n, med, tflops);
  }
  std::fclose(f);
  std::printf("matrix-multiply peak (%s, %s): %.1f TFLOP/s\n", gpu.c_str(), dtype_s.c_str(), best);
  cublasDestroy(handle);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return 0;
}
