// iolab._core: the simulated HBM/SRAM machine for Python.
//
// Everything a schedule does goes through the C++ Machine, so a schedule
// written in Python is counted exactly like a built-in algorithm:
//   m = Machine(M, compute=True)           SRAM of M elements
//   Q = m.hbm_tensor("Q", N, d, "fp16")    HBM tensor; Q[r0:r1, c0:c1] is a view
//   t = m.sram_tile("Q_i", br, d)          capacity-checked SRAM tile
//   m.load(t, Q[0:br]) / m.store(O[0:br], t)   the only counted transfers
//   t.values                               numpy view of the tile (compute mode)
// A sealed machine (see Machine.seal, used by iolab.check) refuses direct
// access to HBM values, so a checked schedule can only see data it loaded.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "iolab/analysis/animation.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/bounds.hpp"
#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/cta_trace.hpp"
#include "iolab/kernels/tiling.hpp"
#include "iolab/analysis/loglog_fit.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/reference.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/machine.hpp"
#include "iolab/sim/presets.hpp"
#include "iolab/sim/gpu/gpu_spec.hpp"

namespace py = pybind11;
using namespace iolab;
using sim::count_t;

namespace {

/// A schedule broke a rule of the machine (bad shapes, sealed HBM, ...).
struct ScheduleError : std::logic_error {
  using std::logic_error::logic_error;
};

struct MachineBox {
  MachineBox(count_t M, sim::Mode mode, bool enforce, bool trace, std::string title)
      : machine({M, mode, enforce}) {
    if (trace) {
      recorder = std::make_unique<analysis::TraceRecorder>(std::move(title), M);
      machine.set_observer(recorder.get());
    }
  }
  ~MachineBox() { machine.set_observer(nullptr); }
  // The recorder is declared first so that it outlives the machine's tiles.
  std::unique_ptr<analysis::TraceRecorder> recorder;
  sim::Machine machine;
  bool sealed = false;
};
using BoxPtr = std::shared_ptr<MachineBox>;

struct Tensor {
  BoxPtr box;
  sim::HbmTensor* t;
};

struct View {
  Tensor tensor;
  std::int64_t row0, rows, col0, cols;
  sim::HbmView hbm() const { return tensor.t->view(row0, rows, col0, cols); }
};

struct Tile {
  BoxPtr box;  // destroyed after `tile`, so the scratchpad outlives it
  std::unique_ptr<sim::SramTile> tile;
};

sim::DType dtype_arg(const std::string& s) { return sim::parse_dtype(s); }

void require_values(const MachineBox& b, const char* what) {
  if (!b.machine.computes())
    throw ScheduleError(std::string(what) + " has no values: the machine runs in count-only mode (compute=False)");
}

void require_unsealed(const MachineBox& b, const std::string& name) {
  if (b.sealed)
    throw ScheduleError("HBM tensor '" + name +
                        "' cannot be read or written directly inside a checked schedule: load a view of it into an "
                        "SRAM tile (m.load) and store results back (m.store)");
}

void same_machine(const BoxPtr& m, const BoxPtr& other, const std::string& what) {
  if (m.get() != other.get()) throw ScheduleError(what + " belongs to another Machine");
}

// Python index (int or slice) on an axis of length n -> (start, length).
std::pair<std::int64_t, std::int64_t> axis_range(const py::handle& idx, std::int64_t n, const char* axis) {
  if (py::isinstance<py::slice>(idx)) {
    py::ssize_t start = 0, stop = 0, step = 0, len = 0;
    if (!py::reinterpret_borrow<py::slice>(idx).compute(static_cast<py::ssize_t>(n), &start, &stop, &step, &len))
      throw py::error_already_set();
    if (step != 1) throw py::index_error(std::string("HBM views need a step of 1 along ") + axis);
    if (len <= 0) throw py::index_error(std::string("empty HBM view along ") + axis);
    return {start, len};
  }
  auto i = py::cast<std::int64_t>(idx);
  if (i < 0) i += n;
  if (i < 0 || i >= n) throw py::index_error(std::string(axis) + " index out of range");
  return {i, 1};
}

py::dict tensor_counts(const sim::HbmTensor& t) {
  py::dict d;
  d["reads"] = t.reads_elems();
  d["writes"] = t.writes_elems();
  d["reads_bytes"] = t.reads_bytes();
  d["writes_bytes"] = t.writes_bytes();
  d["dtype"] = std::string(sim::name_of(t.dtype()));
  d["shape"] = py::make_tuple(t.rows(), t.cols());
  return d;
}

py::dict closed_form_dict(const analysis::ClosedForm& cf) {
  py::dict per;
  for (const auto& t : cf.tensors) {
    py::dict d;
    d["reads"] = t.reads;
    d["writes"] = t.writes;
    d["dtype"] = std::string(sim::name_of(t.dtype));
    per[py::str(t.name)] = d;
  }
  py::dict out;
  out["reads"] = cf.reads;
  out["writes"] = cf.writes;
  out["total"] = cf.total();
  out["bytes"] = cf.bytes;
  out["tensors"] = per;
  return out;
}

sim::Plan make_plan(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, const std::string& dtype,
                    const std::string& tiling, std::optional<std::int64_t> br, std::optional<std::int64_t> bc,
                    const std::string& pass, bool causal, std::int64_t splits) {
  if (br.has_value() != bc.has_value()) throw sim::InputError("br and bc go together");
  sim::AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.dtype = sim::parse_dtype(dtype);
  p.tiling = sim::parse_tiling(tiling);
  p.br = br;
  p.bc = bc;
  p.pass = sim::parse_pass(pass);
  p.causal = causal;
  p.splits = splits;
  return sim::algorithm(algo).plan(p);
}

py::array_t<double> matrix_copy(const std::vector<double>& v, std::int64_t rows, std::int64_t cols) {
  py::array_t<double> a({rows, cols});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

std::vector<double> matrix_in(const py::array_t<double, py::array::c_style | py::array::forcecast>& a,
                              const char* name, std::int64_t& rows, std::int64_t& cols) {
  if (a.ndim() != 2) throw sim::InputError(std::string(name) + " must be a 2-D array");
  rows = a.shape(0);
  cols = a.shape(1);
  return std::vector<double>(a.data(), a.data() + a.size());
}

analysis::AnimationOptions anim_options(std::size_t max_frames, int delay, int width, int height) {
  if (max_frames < 1) throw sim::InputError("max_frames must be at least 1");
  analysis::AnimationOptions o;
  o.max_frames = max_frames;
  o.delay_cs = delay;
  o.width = width;
  o.height = height;
  return o;
}

}  // namespace

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "iolab: the simulated HBM/SRAM machine, attention algorithms, closed forms, bounds, animations";

  // Exceptions: InputError < ValueError, CapacityError < InputError,
  // ScheduleError < RuntimeError (a schedule broke a rule of the machine).
  static py::exception<sim::InputError> input_error(mod, "InputError", PyExc_ValueError);
  static py::exception<sim::CapacityError> capacity_error(mod, "CapacityError", input_error.ptr());
  static py::exception<ScheduleError> schedule_error(mod, "ScheduleError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const sim::CapacityError& e) {
      capacity_error(e.what());
    } catch (const sim::InputError& e) {
      input_error(e.what());
    } catch (const ScheduleError& e) {
      schedule_error(e.what());
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const std::logic_error& e) {
      // The machine's own shape checks (load into a too-small tile, store of
      // a wrong extent): a schedule error, not a crash.
      schedule_error(e.what());
    }
  });

  // ---------------------------------------------------------------- Machine
  py::class_<MachineBox, BoxPtr>(mod, "Machine",
                                 "Simulated machine: HBM tensors and an SRAM scratchpad of M elements.\n"
                                 "Only load() and store() move data, and both are counted.")
      .def(py::init([](count_t M, bool compute, bool enforce_capacity, bool trace, std::string title) {
             if (M == 0) throw sim::InputError("M must be positive");
             return std::make_shared<MachineBox>(M, compute ? sim::Mode::compute : sim::Mode::count_only,
                                                 enforce_capacity, trace, std::move(title));
           }),
           py::arg("M"), py::arg("compute") = true, py::arg("enforce_capacity") = true, py::arg("trace") = false,
           py::arg("title") = "",
           "M: SRAM capacity in elements. compute: hold float64 values (False: count only).\n"
           "trace: record every allocation and transfer for save_trace()/animate().")
      .def_static(
          "from_preset",
          [](const std::string& name, const std::string& dtype, bool compute, bool trace, std::string title) {
            const auto& p = sim::preset(name);
            const count_t M = p.sram_bytes / sim::bytes_of(sim::parse_dtype(dtype));
            if (M == 0) throw sim::InputError("preset " + name + " has no SRAM for " + dtype);
            return std::make_shared<MachineBox>(M, compute ? sim::Mode::compute : sim::Mode::count_only, true, trace,
                                                std::move(title));
          },
          py::arg("name"), py::arg("dtype") = "fp16", py::arg("compute") = true, py::arg("trace") = false,
          py::arg("title") = "",
          "A machine whose M is a preset's SRAM (see iolab.presets()) in elements of dtype.")
      .def_property_readonly("M", [](const MachineBox& b) { return b.machine.sram().capacity_elems(); })
      .def_property_readonly("computes", [](const MachineBox& b) { return b.machine.computes(); })
      .def_property_readonly("sealed", [](const MachineBox& b) { return b.sealed; })
      .def("seal", [](MachineBox& b) { b.sealed = true; },
           "Refuse direct access to HBM values from now on (iolab.check seals the machine around a schedule).")
      .def("unseal", [](MachineBox& b) { b.sealed = false; })
      .def(
          "hbm_tensor",
          [](const BoxPtr& b, std::string name, std::int64_t rows, std::int64_t cols, const std::string& dtype) {
            if (rows < 1 || cols < 1)
              throw sim::InputError("HBM tensor '" + name + "' needs a positive shape, got " + std::to_string(rows) +
                                    "x" + std::to_string(cols));
            for (const auto& t : b->machine.tensors())
              if (t.name() == name) throw sim::InputError("an HBM tensor named '" + name + "' already exists");
            return Tensor{b, &b->machine.hbm_tensor(std::move(name), rows, cols, dtype_arg(dtype))};
          },
          py::arg("name"), py::arg("rows"), py::arg("cols"), py::arg("dtype") = "fp16",
          "Creates an HBM tensor (zeros in compute mode). dtype only sets bytes per element.")
      .def(
          "sram_tile",
          [](const BoxPtr& b, std::string name, std::int64_t rows, std::int64_t cols) {
            if (rows < 1 || cols < 1)
              throw sim::InputError("SRAM tile '" + name + "' needs a positive shape, got " + std::to_string(rows) +
                                    "x" + std::to_string(cols));
            return Tile{b, std::make_unique<sim::SramTile>(b->machine.sram_tile(std::move(name), rows, cols))};
          },
          py::arg("name"), py::arg("rows"), py::arg("cols"),
          "Allocates an SRAM tile of capacity rows x cols; CapacityError when the live tiles would exceed M.\n"
          "The tile is released when the Python object (and every numpy view of it) is gone.")
      .def(
          "load",
          [](const BoxPtr& b, Tile& dst, const View& src) {
            same_machine(b, dst.box, "SRAM tile '" + dst.tile->name() + "'");
            same_machine(b, src.tensor.box, "HBM tensor '" + src.tensor.t->name() + "'");
            b->machine.load(*dst.tile, src.hbm());
          },
          py::arg("tile"), py::arg("view"), "Copies an HBM view into an SRAM tile; counts its elements as reads.")
      .def(
          "load",
          [](const BoxPtr& b, Tile& dst, const Tensor& src) {
            same_machine(b, dst.box, "SRAM tile '" + dst.tile->name() + "'");
            same_machine(b, src.box, "HBM tensor '" + src.t->name() + "'");
            b->machine.load(*dst.tile, src.t->view(0, src.t->rows(), 0, src.t->cols()));
          },
          py::arg("tile"), py::arg("tensor"))
      .def(
          "store",
          [](const BoxPtr& b, const View& dst, const Tile& src) {
            same_machine(b, src.box, "SRAM tile '" + src.tile->name() + "'");
            same_machine(b, dst.tensor.box, "HBM tensor '" + dst.tensor.t->name() + "'");
            b->machine.store(dst.hbm(), *src.tile);
          },
          py::arg("view"), py::arg("tile"),
          "Copies a tile's current extent into an HBM view of the same shape; counts writes.")
      .def(
          "store",
          [](const BoxPtr& b, const Tensor& dst, const Tile& src) {
            same_machine(b, src.box, "SRAM tile '" + src.tile->name() + "'");
            same_machine(b, dst.box, "HBM tensor '" + dst.t->name() + "'");
            b->machine.store(dst.t->view(0, dst.t->rows(), 0, dst.t->cols()), *src.tile);
          },
          py::arg("tensor"), py::arg("tile"))
      .def_property_readonly("reads", [](const MachineBox& b) { return b.machine.hbm_reads_elems(); },
                             "HBM elements read so far, all tensors")
      .def_property_readonly("writes", [](const MachineBox& b) { return b.machine.hbm_writes_elems(); },
                             "HBM elements written so far, all tensors")
      .def_property_readonly(
          "accesses", [](const MachineBox& b) { return b.machine.hbm_reads_elems() + b.machine.hbm_writes_elems(); },
          "reads + writes, elements")
      .def_property_readonly("hbm_bytes", [](const MachineBox& b) { return b.machine.hbm_bytes(); })
      .def_property_readonly("transfers", [](const MachineBox& b) { return b.machine.transfers(); })
      .def_property_readonly("sram_in_use", [](const MachineBox& b) { return b.machine.sram().in_use_elems(); })
      .def_property_readonly("sram_peak", [](const MachineBox& b) { return b.machine.sram().peak_elems(); })
      .def(
          "counts",
          [](const MachineBox& b) {
            py::dict d;
            for (const auto& t : b.machine.tensors()) d[py::str(t.name())] = tensor_counts(t);
            return d;
          },
          "Per-tensor reads and writes (elements and bytes), in creation order.")
      .def(
          "tensor",
          [](const BoxPtr& b, const std::string& name) {
            for (auto& t : b->machine.tensors())
              if (t.name() == name) return Tensor{b, const_cast<sim::HbmTensor*>(&t)};
            throw sim::InputError("no HBM tensor named '" + name + "'");
          },
          py::arg("name"))
      .def_property_readonly("tracing", [](const MachineBox& b) { return static_cast<bool>(b.recorder); })
      .def(
          "trace_json",
          [](const MachineBox& b) {
            if (!b.recorder) throw sim::InputError("this Machine was made without trace=True");
            return analysis::trace_to_json(b.recorder->trace());
          },
          "The recorded trace as JSON (see `iolab animate --trace`).")
      .def(
          "save_trace",
          [](const MachineBox& b, const std::string& path) {
            if (!b.recorder) throw sim::InputError("this Machine was made without trace=True");
            analysis::write_file_atomically(path, analysis::trace_to_json(b.recorder->trace()));
          },
          py::arg("path"), "Writes the trace as JSON, atomically; render it with `iolab animate --trace PATH`.")
      .def(
          "animate",
          [](const MachineBox& b, const std::string& path, std::size_t max_frames, int delay, std::size_t frame,
             int width, int height) {
            if (!b.recorder) throw sim::InputError("this Machine was made without trace=True");
            return analysis::render_animation(b.recorder->trace(), path, anim_options(max_frames, delay, width, height),
                                              frame);
          },
          py::arg("path"), py::arg("max_frames") = 120, py::arg("delay") = 50, py::arg("frame") = 0,
          py::arg("width") = 1100, py::arg("height") = 620,
          "Renders the recorded run: .gif (animated), .png (one frame: `frame`) or a directory of SVG frames.\n"
          "Returns the number of frames written.");

  // ---------------------------------------------------------------- Tensor
  py::class_<Tensor>(mod, "HbmTensor", "A tensor in HBM. T[r0:r1, c0:c1] (or T[r0:r1]) is a view for load/store.")
      .def_property_readonly("name", [](const Tensor& t) { return t.t->name(); })
      .def_property_readonly("shape", [](const Tensor& t) { return py::make_tuple(t.t->rows(), t.t->cols()); })
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(sim::name_of(t.t->dtype())); })
      .def_property_readonly("reads", [](const Tensor& t) { return t.t->reads_elems(); })
      .def_property_readonly("writes", [](const Tensor& t) { return t.t->writes_elems(); })
      .def_property_readonly(
          "values",
          [](py::object self) {
            auto& t = self.cast<Tensor&>();
            require_values(*t.box, ("HBM tensor '" + t.t->name() + "'").c_str());
            require_unsealed(*t.box, t.t->name());
            return py::array_t<double>({t.t->rows(), t.t->cols()}, t.t->values().data(), self);
          },
          "numpy view (float64) of the values; not available inside a checked (sealed) schedule")
      .def(
          "set_values",
          [](Tensor& t, const py::array_t<double, py::array::c_style | py::array::forcecast>& a) {
            require_values(*t.box, ("HBM tensor '" + t.t->name() + "'").c_str());
            require_unsealed(*t.box, t.t->name());
            if (a.ndim() != 2 || a.shape(0) != t.t->rows() || a.shape(1) != t.t->cols())
              throw sim::InputError("set_values for '" + t.t->name() + "' needs shape (" +
                                    std::to_string(t.t->rows()) + ", " + std::to_string(t.t->cols()) + ")");
            std::copy(a.data(), a.data() + a.size(), t.t->values().begin());
          },
          py::arg("array"), "Initialises the values (uncounted: this is how inputs get into HBM).")
      .def("__getitem__",
           [](const Tensor& t, const py::object& key) {
             py::object rk = key, ck = py::slice(py::none(), py::none(), py::none());
             if (py::isinstance<py::tuple>(key)) {
               auto tup = key.cast<py::tuple>();
               if (tup.size() != 2) throw py::index_error("HBM views take one or two indices");
               rk = tup[0];
               ck = tup[1];
             }
             auto [r0, nr] = axis_range(rk, t.t->rows(), "rows");
             auto [c0, nc] = axis_range(ck, t.t->cols(), "columns");
             return View{t, r0, nr, c0, nc};
           })
      .def("rows_view",
           [](const Tensor& t, std::int64_t row0, std::int64_t rows) {
             if (row0 < 0 || rows < 1 || row0 + rows > t.t->rows()) throw py::index_error("rows out of range");
             return View{t, row0, rows, 0, t.t->cols()};
           })
      .def("__repr__", [](const Tensor& t) {
        return "<HbmTensor " + t.t->name() + " " + std::to_string(t.t->rows()) + "x" + std::to_string(t.t->cols()) +
               " " + std::string(sim::name_of(t.t->dtype())) + ", reads " + std::to_string(t.t->reads_elems()) +
               ", writes " + std::to_string(t.t->writes_elems()) + ">";
      });

  py::class_<View>(mod, "HbmView", "A rectangle of an HBM tensor")
      .def_property_readonly("tensor", [](const View& v) { return v.tensor; })
      .def_property_readonly("row0", [](const View& v) { return v.row0; })
      .def_property_readonly("col0", [](const View& v) { return v.col0; })
      .def_property_readonly("shape", [](const View& v) { return py::make_tuple(v.rows, v.cols); })
      .def_property_readonly("elems", [](const View& v) { return v.rows * v.cols; })
      .def("__repr__", [](const View& v) {
        return "<HbmView " + v.tensor.t->name() + "[" + std::to_string(v.row0) + ":" + std::to_string(v.row0 + v.rows) +
               ", " + std::to_string(v.col0) + ":" + std::to_string(v.col0 + v.cols) + "]>";
      });

  // ---------------------------------------------------------------- Tile
  py::class_<Tile>(mod, "SramTile", "A tile in SRAM. values is a numpy view of its current extent.")
      .def_property_readonly("name", [](const Tile& t) { return t.tile->name(); })
      .def_property_readonly("capacity", [](const Tile& t) { return py::make_tuple(t.tile->rows_cap(), t.tile->cols_cap()); })
      .def_property_readonly("shape", [](const Tile& t) { return py::make_tuple(t.tile->rows(), t.tile->cols()); })
      .def_property_readonly("size", [](const Tile& t) { return t.tile->size_elems(); }, "elements reserved in SRAM")
      .def("set_extent", [](Tile& t, std::int64_t rows, std::int64_t cols) { t.tile->set_extent(rows, cols); },
           py::arg("rows"), py::arg("cols"), "Sets the current extent (for results computed on chip).")
      .def("fill", [](Tile& t, double v) { t.tile->fill(v); }, py::arg("value"))
      .def_property_readonly(
          "values",
          [](py::object self) {
            auto& t = self.cast<Tile&>();
            require_values(*t.box, ("SRAM tile '" + t.tile->name() + "'").c_str());
            auto& tile = *t.tile;
            const auto stride = static_cast<py::ssize_t>(sizeof(double)) * tile.cols_cap();
            return py::array_t<double>({tile.rows(), tile.cols()}, {stride, static_cast<py::ssize_t>(sizeof(double))},
                                       &tile(0, 0), self);
          },
          "Writable numpy view (float64) of the current extent; compute on chip by writing into it.")
      .def("__repr__", [](const Tile& t) {
        return "<SramTile " + t.tile->name() + " capacity " + std::to_string(t.tile->rows_cap()) + "x" +
               std::to_string(t.tile->cols_cap()) + ", extent " + std::to_string(t.tile->rows()) + "x" +
               std::to_string(t.tile->cols()) + ">";
      });

  // ---------------------------------------------------------------- Plans
  py::class_<sim::Plan>(mod, "Plan", "Block sizes and tiling an algorithm chose for a problem")
      .def_readonly("algo", &sim::Plan::algo)
      .def_readonly("N", &sim::Plan::N)
      .def_readonly("d", &sim::Plan::d)
      .def_readonly("M", &sim::Plan::M)
      .def_property_readonly("dtype", [](const sim::Plan& p) { return std::string(sim::name_of(p.dtype)); })
      .def_property_readonly("tiling", [](const sim::Plan& p) { return std::string(sim::name_of(p.tiling)); })
      .def_readonly("br", &sim::Plan::br)
      .def_readonly("bc", &sim::Plan::bc)
      .def_readonly("working_set", &sim::Plan::working_set)
      .def_readonly("enforce_capacity", &sim::Plan::enforce_capacity)
      .def_readonly("scale", &sim::Plan::scale)
      .def_readonly("gemm_tile", &sim::Plan::gemm_tile)
      .def_readonly("softmax_rows", &sim::Plan::softmax_rows)
      .def_readonly("softmax_chunk", &sim::Plan::softmax_chunk)
      .def_readonly("softmax_passes", &sim::Plan::softmax_passes)
      .def_property_readonly("pass_", [](const sim::Plan& p) { return std::string(sim::name_of(p.pass)); })
      .def_readonly("causal", &sim::Plan::causal)
      .def("__repr__", [](const sim::Plan& p) {
        return "<Plan " + p.algo + " N=" + std::to_string(p.N) + " d=" + std::to_string(p.d) +
               " M=" + std::to_string(p.M) + " Br=" + std::to_string(p.br) + " Bc=" + std::to_string(p.bc) +
               " working_set=" + std::to_string(p.working_set) + ">";
      });

  mod.def(
      "algorithms",
      [] {
        py::dict d;
        for (const auto& a : sim::algorithms()) d[py::str(std::string(a.name))] = std::string(a.summary);
        return d;
      },
      "Built-in algorithms: name -> summary");
  mod.def("is_decoding", [](const std::string& name) { return sim::is_decoding(sim::algorithm(name).name); },
          py::arg("algo"),
          "True for inference algorithms that compute one decoding step (a few query rows against N cached keys)\n"
          "rather than full N x N attention.");
  mod.def("plan", &make_plan, py::arg("algo"), py::arg("N"), py::arg("d"), py::arg("M"), py::arg("dtype") = "fp16",
          py::arg("tiling") = "fit", py::arg("br") = py::none(), py::arg("bc") = py::none(),
          py::arg("pass_") = "fwd", py::arg("causal") = false, py::arg("splits") = 0,
          "Plans a built-in algorithm (InputError/CapacityError when M is too small).\n"
          "pass_: 'fwd', 'bwd' or 'fwdbwd'; causal: mask keys after the query;\n"
          "splits: flash1's Q blocks over that many thread blocks (as `iolab count --splits`).");
  mod.def(
      "kernel_tiling",
      [](const std::string& kernel, int d, const std::string& dtype) {
        namespace k = iolab::kernels;
        k::KernelKind kind{};
        if (!k::kernel_from_name(kernel.c_str(), kind)) throw sim::InputError("unknown kernel '" + kernel + "'");
        if (d != 64 && d != 128) throw sim::InputError("kernel head dimension must be 64 or 128");
        const auto t = k::tiling(kind, d, dtype == "bf16" ? k::DType::bf16 : k::DType::f16);
        py::dict out;
        out["br"] = t.B_r;
        out["bc"] = t.B_c;
        out["threads"] = t.threads;
        out["smem_bytes"] = t.smem_bytes;
        return out;
      },
      py::arg("kernel"), py::arg("d"), py::arg("dtype") = "fp16",
      "The CUDA kernel's tiling (kernels/include/iolab/kernels/tiling.hpp): br, bc, threads, smem_bytes.");
  mod.def(
      "flash1_splits",
      [](std::int64_t heads, std::int64_t N, int d, int sms) {
        return iolab::kernels::flash1_splits(heads, N, d, sms);
      },
      py::arg("heads"), py::arg("N"), py::arg("d"), py::arg("sms"),
      "Thread blocks per (batch, head) the flash1 kernel launches for batch*heads = heads on `sms` SMs.");
  mod.def(
      "run",
      [](const BoxPtr& b, const sim::Plan& plan, const Tensor& Q, const Tensor& K, const Tensor& V) {
        if (plan.pass != sim::Pass::fwd)
          throw sim::InputError("iolab.run runs forward plans; use iolab.simulate for pass_ = '" +
                                std::string(sim::name_of(plan.pass)) + "'");
        for (const Tensor* t : {&Q, &K, &V}) {
          same_machine(b, t->box, "HBM tensor '" + t->t->name() + "'");
          if (t->t->rows() != plan.N || t->t->cols() != plan.d)
            throw sim::InputError("tensor '" + t->t->name() + "' must be " + std::to_string(plan.N) + "x" +
                                  std::to_string(plan.d) + " for this plan");
        }
        if (b->machine.sram().capacity_elems() != plan.M)
          throw sim::InputError("the plan is for M = " + std::to_string(plan.M) + " but the machine has M = " +
                                std::to_string(b->machine.sram().capacity_elems()));
        const bool sealed = b->sealed;
        b->sealed = false;
        sim::HbmTensor& O = sim::algorithm(plan.algo).run(b->machine, plan, *Q.t, *K.t, *V.t);
        b->sealed = sealed;
        return Tensor{b, &O};
      },
      py::arg("machine"), py::arg("plan"), py::arg("Q"), py::arg("K"), py::arg("V"),
      "Runs a built-in algorithm on your machine and tensors; returns O.");
  mod.def(
      "simulate",
      [](const std::string& algo, std::int64_t N, std::int64_t d, count_t M, const std::string& dtype,
         const std::string& tiling, std::optional<std::int64_t> br, std::optional<std::int64_t> bc,
         const std::string& pass, bool causal, bool compute, std::uint64_t seed) {
        const auto plan = make_plan(algo, N, d, M, dtype, tiling, br, bc, pass, causal, 0);
        sim::SimOptions o;
        o.mode = compute ? sim::Mode::compute : sim::Mode::count_only;
        o.seed = seed;
        const auto r = sim::simulate_plan(plan, o);
        py::dict per;
        for (const auto& t : r.tensors) {
          py::dict x;
          x["reads"] = t.reads_elems;
          x["writes"] = t.writes_elems;
          x["reads_bytes"] = t.reads_bytes;
          x["writes_bytes"] = t.writes_bytes;
          x["dtype"] = std::string(sim::name_of(t.dtype));
          x["shape"] = py::make_tuple(t.rows, t.cols);
          per[py::str(t.name)] = x;
        }
        py::dict out;
        out["plan"] = plan;
        out["reads"] = r.reads_elems;
        out["writes"] = r.writes_elems;
        out["total"] = r.reads_elems + r.writes_elems;
        out["hbm_bytes"] = r.hbm_bytes;
        out["transfers"] = r.transfers;
        out["peak_sram"] = r.peak_sram_elems;
        out["tensors"] = per;
        if (r.error) {
          out["rel_error"] = r.error->rel_frobenius;
          out["max_abs_error"] = r.error->max_abs;
        }
        return out;
      },
      py::arg("algo"), py::arg("N"), py::arg("d"), py::arg("M"), py::arg("dtype") = "fp16", py::arg("tiling") = "fit",
      py::arg("br") = py::none(), py::arg("bc") = py::none(), py::arg("pass_") = "fwd", py::arg("causal") = false,
      py::arg("compute") = false, py::arg("seed") = 1,
      "Plans and runs a built-in algorithm on random inputs; returns counts (and errors when compute=True).");
  mod.def("closed_form", [](const sim::Plan& p) { return closed_form_dict(analysis::closed_form(p)); },
          py::arg("plan"), "Exact HBM traffic of a plan by formula, per tensor, in elements.");
  mod.def(
      "closed_form_flash1",
      [](std::int64_t N, std::int64_t d, std::int64_t br, std::int64_t bc, const std::string& dt) {
        return closed_form_dict(analysis::closed_form_flash1(N, d, br, bc, sim::parse_dtype(dt)));
      },
      py::arg("N"), py::arg("d"), py::arg("br"), py::arg("bc"), py::arg("dtype") = "fp16");
  mod.def(
      "closed_form_flash2",
      [](std::int64_t N, std::int64_t d, std::int64_t br, std::int64_t bc, const std::string& dt) {
        return closed_form_dict(analysis::closed_form_flash2(N, d, br, bc, sim::parse_dtype(dt)));
      },
      py::arg("N"), py::arg("d"), py::arg("br"), py::arg("bc"), py::arg("dtype") = "fp16");
  mod.def(
      "closed_form_standard",
      [](std::int64_t N, std::int64_t d, count_t M, const std::string& dt) {
        return closed_form_dict(analysis::closed_form_standard(N, d, M, sim::parse_dtype(dt)));
      },
      py::arg("N"), py::arg("d"), py::arg("M"), py::arg("dtype") = "fp16");
  mod.def(
      "bound",
      [](const sim::Plan& p, std::optional<count_t> count) {
        const auto b = analysis::bound_for(p, count.value_or(0));
        py::dict d;
        d["formula"] = b.formula;
        d["value"] = b.value;
        d["ratio"] = count ? py::cast(b.ratio) : py::none();
        d["regime"] = b.regime;
        d["lower_formula"] = b.lower_formula;
        d["lower_value"] = b.lower_value;
        d["lower_ratio"] = count ? py::cast(b.lower_ratio) : py::none();
        return d;
      },
      py::arg("plan"), py::arg("count") = py::none(),
      "Theta bound of the plan's algorithm, its regime (M >= d^2 or M < d^2) and the regime's lower bound\n"
      "for exact attention (and count / bound when count is given).");
  mod.def(
      "fit_power_law",
      [](const std::vector<double>& x, const std::vector<double>& y) {
        if (x.size() != y.size()) throw sim::InputError("x and y must have the same length");
        try {
          const auto f = analysis::fit_power_law(x, y);
          py::dict d;
          d["slope"] = f.slope;
          d["constant"] = f.constant;
          d["r2"] = f.r2;
          return d;
        } catch (const std::invalid_argument& e) {
          throw sim::InputError(e.what());
        }
      },
      py::arg("x"), py::arg("y"), "Least-squares fit y ~ constant * x^slope in log space.");

  // ---------------------------------------------------------------- Presets, reference
  mod.def("presets", [] {
    py::list out;
    for (const auto& p : sim::presets()) {
      py::dict d;
      d["name"] = p.name;
      d["description"] = p.description;
      d["sram_bytes"] = p.sram_bytes;
      d["hbm_bytes_per_s"] = p.hbm_bytes_per_s;
      d["l2_bytes"] = p.l2_bytes;
      d["sm_count"] = p.sm_count;
      d["peak_fp16_flops"] = p.peak_fp16_flops;
      d["source"] = p.source;
      out.append(d);
    }
    return out;
  });
  mod.def(
      "preset_M",
      [](const std::string& name, const std::string& dtype) {
        const auto& p = sim::preset(name);
        return p.sram_bytes / sim::bytes_of(sim::parse_dtype(dtype));
      },
      py::arg("name"), py::arg("dtype") = "fp16", "M in elements of a preset's SRAM for a dtype.");
  mod.def("bytes_of", [](const std::string& dt) { return sim::bytes_of(sim::parse_dtype(dt)); }, py::arg("dtype"));

  // ---------------------------------------------------------------- CTA pacing (GPU model)
  mod.def(
      "cta_age_rates",
      [](const std::string& gpu, const std::string& launch, std::uint32_t k) {
        return sim::gpu::gpu_spec(gpu).cta_age_rates(launch, k);
      },
      py::arg("gpu"), py::arg("launch"), py::arg("k"),
      "The GPU model's issue rates of k CTAs sharing an SM, oldest first, for a launch (e.g. 'flash2_fwd', "
      "'flash2_hopper_fwd'); [] where none were measured (equal rates).");
  mod.def("age_paced_lineages", &analysis::age_paced_lineages, py::arg("rates"), py::arg("generations"),
          "The GPU model's pacing of one SM with these rates (analysis/cta_trace.hpp): per slot, oldest first, "
          "the durations of its first `generations` blocks (one unit of work each; equal rates give 1).");
  mod.def(
      "reference_attention",
      [](const py::array_t<double, py::array::c_style | py::array::forcecast>& Q,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& K,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& V, std::optional<double> scale) {
        std::int64_t n, d, nk, dk, nv, dv;
        auto q = matrix_in(Q, "Q", n, d);
        auto k = matrix_in(K, "K", nk, dk);
        auto v = matrix_in(V, "V", nv, dv);
        if (nk != n || nv != n || dk != d || dv != d) throw sim::InputError("Q, K, V must all be N x d");
        const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(d)));
        return matrix_copy(sim::reference_attention(q, k, v, n, d, s), n, d);
      },
      py::arg("Q"), py::arg("K"), py::arg("V"), py::arg("scale") = py::none(),
      "float64 softmax(scale Q K^T) V (scale defaults to 1/sqrt(d)).");

  // ---------------------------------------------------------------- Animation of built-ins
  mod.def(
      "animate_builtin",
      [](const sim::Plan& plan, const std::string& path, std::size_t max_frames, int delay, std::size_t frame,
         int width, int height, const std::string& save_trace) {
        if (plan.N > 256 || plan.d > 64) throw sim::InputError("animations draw every element: need N <= 256, d <= 64");
        const auto trace = analysis::record_builtin(plan);
        if (!save_trace.empty()) analysis::write_file_atomically(save_trace, analysis::trace_to_json(trace));
        return analysis::render_animation(trace, path, anim_options(max_frames, delay, width, height), frame);
      },
      py::arg("plan"), py::arg("path"), py::arg("max_frames") = 120, py::arg("delay") = 50, py::arg("frame") = 0,
      py::arg("width") = 1100, py::arg("height") = 620, py::arg("save_trace") = "",
      "Same as `iolab animate` for a built-in plan. Returns the number of frames.");
}
