#!/usr/bin/env bash
# Behaviour of the iolab command line: JSON keys, exit codes, one-line errors,
# and output files written completely or not at all.
# Usage: test_cli.sh path/to/iolab
set -u
IOLAB="$1"
PY=/usr/bin/python3
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
pass=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_error DESCRIPTION ARGS... : exit 2, exactly one line on stderr, nothing on stdout
expect_error() {
  local what="$1"; shift
  "$IOLAB" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [[ $rc -ne 2 ]]; then bad "$what: exit $rc, expected 2 (stderr: $(cat "$TMP/err"))"; return; fi
  if [[ $lines -ne 1 ]]; then bad "$what: $lines stderr lines: $(cat "$TMP/err")"; return; fi
  if [[ -s "$TMP/out" ]]; then bad "$what: wrote to stdout"; return; fi
  if ! grep -q "^iolab: error: " "$TMP/err"; then bad "$what: message not prefixed"; return; fi
  ok
}

# --- count: table and JSON -------------------------------------------------
if "$IOLAB" count --algo flash1 --N 4096 --d 64 --sram 96KiB >"$TMP/table"; then
  grep -q "equals the simulation" "$TMP/table" && ok || bad "count table lacks the closed-form check"
else bad "count table failed"; fi
# Counts are printed with digit groups of three.
for m in 1001:1,001 12012:12,012 1235234:1,235,234; do
  "$IOLAB" count --algo flash2 --N 256 --d 16 --sram-elems "${m%%:*}" | head -1 | grep -q "M=${m#*:} elements" \
    && ok || bad "count groups the digits of M=${m%%:*}"
done

"$IOLAB" count --algo flash1 --N 4096 --d 64 --sram 96KiB --json >"$TMP/c.json" || bad "count --json failed"
$PY - "$TMP/c.json" <<'PYEOF' && ok || bad "count JSON keys/values"
import json, sys
j = json.load(open(sys.argv[1]))
for k in ["algo", "N", "d", "dtype", "M_elems", "M_bytes", "Br", "Bc", "hbm_reads", "hbm_writes", "hbm_bytes",
          "per_tensor", "closed_form", "bound", "peak_sram_elems"]:
    assert k in j, k
assert j["algo"] == "flash1" and j["N"] == 4096 and j["d"] == 64 and j["dtype"] == "fp16"
assert j["M_elems"] == 49152 and j["M_bytes"] == 98304
assert set(j["per_tensor"]) == {"Q", "K", "V", "O", "l", "m"}
assert sum(t["reads"] for t in j["per_tensor"].values()) == j["hbm_reads"]
assert sum(t["writes"] for t in j["per_tensor"].values()) == j["hbm_writes"]
assert j["closed_form"]["reads"] == j["hbm_reads"] and j["closed_form"]["writes"] == j["hbm_writes"]
assert j["bound"]["formula"] == "N^2*d^2/M" and abs(j["bound"]["ratio"] * j["bound"]["value"] - (j["hbm_reads"] + j["hbm_writes"])) < 1
assert j["peak_sram_elems"] <= j["M_elems"]
# Tc = ceil(4096 / Bc): Q is read Tc times
Tc = -(-4096 // j["Bc"])
assert j["per_tensor"]["Q"]["reads"] == Tc * 4096 * 64
assert j["per_tensor"]["l"]["reads_bytes"] == 4 * j["per_tensor"]["l"]["reads"]
PYEOF

"$IOLAB" count --algo standard --N 300 --d 16 --sram-elems 5000 --verify --json >"$TMP/v.json" || bad "verify failed"
$PY -c "import json,sys; j=json.load(open('$TMP/v.json')); assert j['verify']['rel_error'] < 1e-12; assert set(j['per_tensor'])=={'Q','K','V','S','P','O'}" && ok || bad "verify JSON"

"$IOLAB" count --algo flash2 --N 1000 --d 128 --preset h100 --dtype bf16 --json >"$TMP/p.json" || bad "preset failed"
$PY -c "import json; j=json.load(open('$TMP/p.json')); assert j['M_bytes']==227*1024 and j['M_elems']==227*512" && ok || bad "preset M"

"$IOLAB" count --algo flash1 --N 4096 --d 64 --sram 96KiB --tiling paper --json >"$TMP/pp.json" || bad "paper tiling failed"
$PY -c "import json; j=json.load(open('$TMP/pp.json')); assert j['Bc']==192 and j['Br']==64" && ok || bad "paper tiling blocks"

"$IOLAB" --help >/dev/null && ok || bad "--help"
"$IOLAB" count --help | grep -q -- "--sram-elems" && ok || bad "count --help"
"$IOLAB" presets | grep -q h200 && ok || bad "presets"

# --- bad input ---------------------------------------------------------------
expect_error "N=0" count --N 0 --d 64
expect_error "negative d" count --N 10 --d -4
expect_error "malformed size" count --N 10 --d 4 --sram 12XB
expect_error "odd bytes for fp32" count --N 10 --d 4 --sram 6B --dtype fp32
expect_error "unknown algorithm" count --algo flash9 --N 10 --d 4
expect_error "unknown preset" count --N 10 --d 4 --preset v100
expect_error "unknown dtype" count --N 10 --d 4 --dtype int8
expect_error "unknown tiling" count --N 10 --d 4 --tiling best
expect_error "M too small" count --algo flash1 --N 10 --d 64 --sram-elems 100
expect_error "block does not fit" count --algo flash1 --N 100 --d 16 --sram-elems 1000 --br 32 --bc 32
expect_error "br without bc" count --algo flash1 --N 100 --d 16 --sram-elems 1000 --br 4
expect_error "overflow" count --algo standard --N 3000000000 --d 1048576 --sram 1GiB
expect_error "N*N overflow" count --algo flash1 --N 4000000000 --d 64
expect_error "non-numeric N" count --N abc --d 4
expect_error "unknown option" count --N 10 --d 4 --frobnicate
expect_error "both sram options" count --N 10 --d 4 --sram 1KiB --sram-elems 10
expect_error "verify too large" count --N 5000 --d 4 --verify
expect_error "no subcommand"

# --- sweep: files complete or absent ---------------------------------------------
"$IOLAB" sweep --N 64:256:x2 --d 16 --sram-elems 500,2000 --out "$TMP/s/sweep.csv" --plot "$TMP/s/sweep.png" >"$TMP/sweep.out" \
  || bad "sweep failed"
[[ $(wc -l <"$TMP/s/sweep.csv") -eq $((1 + 3 * 3 * 2)) ]] && ok || bad "sweep CSV rows"
head -1 "$TMP/s/sweep.csv" | grep -q "^algo,tiling,dtype,N,d,M_elems,M_bytes,Br,Bc," && ok || bad "CSV header"
[[ $(awk -F, 'NR > 1 && $19 != "true"' "$TMP/s/sweep.csv" | wc -l) -eq 0 ]] && ok || bad "closed form mismatch in CSV"
[[ "$(head -c 4 "$TMP/s/sweep.png" | od -An -c | tr -d ' ')" == "211PNG" ]] && ok || bad "sweep.png is not a PNG"
grep -q "fitted log-log slopes" "$TMP/sweep.out" && ok || bad "sweep prints slopes"
[[ -z "$(ls -A "$TMP/s" | grep -v -e '^sweep.csv$' -e '^sweep.png$')" ]] && ok || bad "temporary files left: $(ls -A "$TMP/s")"

expect_error "sweep bad N list" sweep --N 64:x --d 16 --out "$TMP/t/x.csv"
[[ ! -e "$TMP/t/x.csv" ]] && ok || bad "failed sweep left a CSV"
expect_error "sweep bad plot extension" sweep --N 64 --d 16 --out "$TMP/t/y.csv" --plot "$TMP/t/y.gif"
[[ ! -e "$TMP/t/y.csv" ]] && ok || bad "failed sweep left a CSV"
expect_error "sweep nothing feasible" sweep --algo flash1 --N 64 --d 16 --sram-elems 10 --out "$TMP/t/z.csv"
[[ ! -e "$TMP/t/z.csv" ]] && ok || bad "infeasible sweep left a CSV"
"$IOLAB" sweep --algo flash2 --N 100 --d 16 --sram-elems 10,1000 >"$TMP/stdout.csv" 2>"$TMP/skip.err" || bad "partial sweep failed"
grep -q "infeasible and skipped" "$TMP/skip.err" && ok || bad "skipped configurations not reported"

# --- study ------------------------------------------------------------------------
"$IOLAB" study --out "$TMP/study" --N 512 >"$TMP/study.out" || bad "study failed"
for f in study_M.csv study_N.csv study_M.png study_N.png; do [[ -s "$TMP/study/$f" ]] && ok || bad "study did not write $f"; done
grep -q "ratio" "$TMP/study.out" && ok || bad "study table"

# --- passes, masks, batch/heads totals, small SRAM (issue 5) ------------------------
"$IOLAB" count --preset a100 --batch 4 --heads 8 --pass fwdbwd --N 2048 --d 128 --json >"$TMP/fb.json" \
  || bad "count --pass fwdbwd --batch --heads failed"
$PY - "$TMP/fb.json" <<'PYEOF' && ok || bad "fwdbwd JSON keys/totals"
import json, sys
j = json.load(open(sys.argv[1]))
for k in ["pass", "batch", "heads", "total_hbm_bytes", "bwd_Br", "bwd_Bc"]:
    assert k in j, k
assert j["pass"] == "fwdbwd" and j["batch"] == 4 and j["heads"] == 8
assert j["total_hbm_bytes"] == 32 * j["hbm_bytes"]
assert {"Q", "K", "V", "dO", "O", "l", "m", "dQ", "dK", "dV"} == set(j["per_tensor"])
for t in ["l", "m"]:
    assert j["per_tensor"][t]["dtype"] == "fp32"
assert j["per_tensor"]["dK"]["writes"] == 2048 * 128 and j["per_tensor"]["dV"]["writes"] == 2048 * 128
Nd = 2048 * 128
assert j["per_tensor"]["K"]["reads"] == 2 * Nd  # once in the forward (Algorithm 1), once in the backward (Algorithm 4)
assert j["per_tensor"]["Q"]["reads"] == (-(-2048 // j["Bc"]) + -(-2048 // j["bwd_Bc"])) * Nd
assert j["closed_form"]["matches_simulation"] is True
assert any("fp32" in n for n in j["notes"])
PYEOF

"$IOLAB" count --algo flash2 --pass bwd --causal --N 200 --d 16 --sram-elems 3000 --verify --json >"$TMP/bc.json" \
  || bad "count --pass bwd --causal --verify failed"
$PY - "$TMP/bc.json" <<'PYEOF' && ok || bad "backward verify JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["pass"] == "bwd" and j["causal"] is True
assert set(j["verify"]["per_output"]) == {"dQ", "dK", "dV"}
assert all(v["rel_error"] < 1e-10 for v in j["verify"]["per_output"].values())
assert j["per_tensor"]["D"]["dtype"] == "fp32" and j["per_tensor"]["L"]["dtype"] == "fp32"
PYEOF

"$IOLAB" count --algo flash_dtile --N 1024 --d 128 --sram-elems 4096 --json >"$TMP/dt.json" || bad "flash_dtile failed"
$PY -c "import json; j=json.load(open('$TMP/dt.json')); b=j['bound']; assert b['regime']=='M < d^2' and b['formula']=='N^2*d/sqrt(M)' and b['lower_formula']=='N^2*d/sqrt(M)'" \
  && ok || bad "small-SRAM bound regime"
"$IOLAB" count --algo flash1 --N 1024 --d 64 --sram-elems 49152 --json >"$TMP/lg.json" || bad "flash1 large M failed"
$PY -c "import json; j=json.load(open('$TMP/lg.json')); assert j['bound']['regime']=='M >= d^2' and j['batch']==1 and j['total_hbm_bytes']==j['hbm_bytes']" \
  && ok || bad "large-SRAM bound regime"

expect_error "unknown pass" count --N 10 --d 4 --pass both
expect_error "batch 0" count --N 10 --d 4 --batch 0
expect_error "negative heads" count --N 10 --d 4 --heads -2
expect_error "flash_dtile has no backward" count --algo flash_dtile --N 10 --d 4 --pass bwd
expect_error "totals overflow" count --N 4096 --d 64 --batch 4000000000 --heads 4000000000

"$IOLAB" sweep --algo standard,flash1,flash2,flash_dtile --pass fwd,fwdbwd --causal --N 100 --d 32 \
  --sram-elems 600,2000,8000 --out "$TMP/p/sw.csv" --plot "$TMP/p/sw.png" --lower-bound >"$TMP/sw.out" 2>"$TMP/sw.err" \
  || bad "sweep over passes failed"
# flash_dtile runs forward only: 3 algorithms x 2 passes x 3 M + 3 M, none infeasible at M >= 600 except the fit backward
[[ $(awk -F, 'NR > 1 && $19 != "true"' "$TMP/p/sw.csv" | wc -l) -eq 0 ]] && ok || bad "closed form mismatch in pass sweep"
grep -q ",fwdbwd,true," "$TMP/p/sw.csv" && ok || bad "pass/causal columns missing"
grep -q "flash_dtile" "$TMP/p/sw.csv" && ok || bad "flash_dtile not in sweep"
[[ "$(head -c 4 "$TMP/p/sw.png" | od -An -c | tr -d ' ')" == "211PNG" ]] && ok || bad "pass sweep plot"

"$IOLAB" count --algo flash1 --mask local:256 --N 4096 --d 64 --sram 96KiB --json >"$TMP/bs.json" || bad "count --mask failed"
$PY - "$TMP/bs.json" <<'PYEOF' && ok || bad "block-sparse JSON"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["mask"]
assert m["pattern"] == "local:256" and 0 < m["s"] < 0.25
assert m["nonzero_blocks"] == round(m["s"] * m["blocks"][0] * m["blocks"][1])
assert "s/M" in j["bound"]["formula"] and j["closed_form"]["matches_simulation"] is True
PYEOF
expect_error "unknown mask" count --N 100 --d 16 --mask dense
expect_error "mask with causal" count --N 100 --d 16 --mask causal --causal
expect_error "mask file missing" count --N 100 --d 16 --mask file:/no/such/file
expect_error "mask on standard" count --algo standard --N 100 --d 16 --mask butterfly

"$IOLAB" count --algo decode --N 32768 --d 128 --groups 8 --heads 32 --batch 2 --preset h100 --json >"$TMP/gq.json" \
  || bad "count decode --groups failed"
$PY - "$TMP/gq.json" <<'PYEOF' && ok || bad "GQA decode JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["groups"] == 8 and j["kv_heads"] == 4 and j["query_rows"] == 8
assert j["per_tensor"]["K"]["reads"] == 32768 * 128 and j["per_tensor"]["Q"]["reads"] == 8 * 128
assert j["total_hbm_bytes"] == 2 * 4 * j["hbm_bytes"]  # batch x K/V heads
assert j["bound"]["formula"] == "N*d"
PYEOF
"$IOLAB" count --algo flash_decoding --N 4000 --d 64 --splits 7 --sram-elems 20000 --verify --json >"$TMP/fd.json" \
  || bad "count flash_decoding failed"
$PY -c "import json; j=json.load(open('$TMP/fd.json')); assert j['splits']==7 and j['per_tensor']['LSE_split']['dtype']=='fp32' and j['verify']['rel_error']<1e-12" \
  && ok || bad "flash_decoding JSON"
# flash1 --splits S: the CUDA kernel's Q-block splits; K, V read S times, nothing else changes.
"$IOLAB" count --algo flash1 --N 1000 --d 64 --sram-elems 100000 --br 64 --bc 128 --splits 4 --json >"$TMP/f1s.json" \
  && "$IOLAB" count --algo flash1 --N 1000 --d 64 --sram-elems 100000 --br 64 --bc 128 --json >"$TMP/f1.json" \
  || bad "count flash1 --splits failed"
$PY -c "import json; a=json.load(open('$TMP/f1s.json')); b=json.load(open('$TMP/f1.json')); assert a['splits']==4 and b['splits']==1 and a['per_tensor']['K']['reads']==4*b['per_tensor']['K']['reads'] and a['per_tensor']['O']==b['per_tensor']['O']" \
  && ok || bad "flash1 --splits JSON"
expect_error "flash1 splits above T_r" count --algo flash1 --N 100 --d 16 --sram-elems 10000 --br 16 --bc 16 --splits 8
expect_error "flash1 splits negative" count --algo flash1 --N 100 --d 16 --splits -2
expect_error "flash1 splits with a mask" count --algo flash1 --N 256 --d 16 --sram-elems 10000 --mask local:64 --splits 2
expect_error "splits on flash2" count --algo flash2 --N 100 --d 16 --splits 2
expect_error "heads not a multiple of groups" count --algo decode --N 100 --d 16 --groups 3 --heads 8
expect_error "groups on flash2" count --algo flash2 --N 100 --d 16 --groups 2

"$IOLAB" count --algo rabe_staats --N 8192 --d 64 --sram 96KiB --json >"$TMP/rs.json" || bad "count rabe_staats failed"
"$IOLAB" count --algo standard --N 8192 --d 64 --sram 96KiB --json >"$TMP/st.json" || bad "count standard failed"
$PY - "$TMP/rs.json" "$TMP/st.json" <<'PYEOF' && ok || bad "rabe_staats footprint vs traffic"
import json, sys
rs, st = (json.load(open(f)) for f in sys.argv[1:3])
assert rs["chunks"] == {"query_chunk": 1024, "key_chunk": 4096}
assert rs["hbm_footprint_elems"] * 10 < st["hbm_footprint_elems"]
assert rs["hbm_accesses"] > 0.5 * st["hbm_accesses"]
PYEOF
"$IOLAB" sweep --algo standard,flash1,flash2,flash_dtile,decode,flash_decoding,rabe_staats --N 300 --d 16 \
  --sram-elems 400,4000 --out "$TMP/all/all.csv" >/dev/null 2>"$TMP/all.err" || bad "sweep of every algorithm failed"
[[ $(cut -d, -f1 "$TMP/all/all.csv" | sort -u | grep -vc algo) -eq 7 ]] && ok || bad "sweep lacks an algorithm"
[[ $(awk -F, 'NR > 1 && $19 != "true"' "$TMP/all/all.csv" | wc -l) -eq 0 ]] && ok || bad "closed form mismatch in full sweep"

# --- compare: predictions against committed measurements ---------------------------
MEAS="$(dirname "$0")/../../analysis/measurements/h200_2026-11-21/measured_traffic.csv"
head -9 "$MEAS" >"$TMP/meas.csv"
"$IOLAB" compare --measured "$TMP/meas.csv" --json >"$TMP/cmp.json"; rc=$?
[[ $rc -eq 0 || $rc -eq 3 ]] && ok || bad "compare exit $rc"
$PY - "$TMP/cmp.json" <<'PYEOF' && ok || bad "compare JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 7, len(j)  # 7 metrics x 1 kernel (the first rows are flash2)
for s in j:
    for k in ["metric", "kernel", "n", "mape", "aggregate_error", "max_error", "pearson_r"]:
        assert k in s, k
    assert s["kernel"] == "flash2" and s["n"] == 8
sram = [s for s in j if s["metric"] == "sram_read_bytes"][0]
assert sram["max_error"] < 0.01, sram  # the schedule's bytes are exact for flash2
PYEOF
"$IOLAB" compare --measured "$TMP/meas.csv" --plot "$TMP/cmp.png" --csv "$TMP/cmp.csv" >/dev/null; rc=$?
[[ ($rc -eq 0 || $rc -eq 3) && -s "$TMP/cmp.png" && $(wc -l <"$TMP/cmp.csv") -eq 9 ]] && ok || bad "compare plot/csv"
sed 's/,fp16,/,int8,/' "$TMP/meas.csv" >"$TMP/bad_meas.csv"
# --misses lists every configuration outside its target: as many as the table's 'missed' column counts
# (one fully associative L2 of 0.001 of the physical one makes DRAM predictions miss).
TINY="--l2-partitions 1 --l2-ways 0 --l2-capacity 0.001"
"$IOLAB" compare --measured "$TMP/meas.csv" $TINY --misses >"$TMP/cmp_miss.txt"; rc=$?
"$IOLAB" compare --measured "$TMP/meas.csv" $TINY --json >"$TMP/cmp_miss.json"
$PY - "$TMP/cmp_miss.txt" "$TMP/cmp_miss.json" <<'PYEOF' && [[ $rc -eq 3 ]] && ok || bad "compare --misses"
import json, re, sys
txt = open(sys.argv[1]).read()
n = int(re.search(r"configurations outside their target \((\d+)\):", txt).group(1))
stats = json.load(open(sys.argv[2]))
assert n > 0 and n == sum(s["misses"] for s in stats if s["target"] > 0), n
rows = [l for l in txt.split("configurations outside their target")[1].splitlines() if l.startswith("NVIDIA")]
assert len(rows) == n and all("dram_bytes" in r or "sram_bytes" in r or "runtime" in r for r in rows), rows
PYEOF
expect_error "compare --misses with --json" compare --measured "$TMP/meas.csv" --misses --json
expect_error "compare bad dtype" compare --measured "$TMP/bad_meas.csv"
expect_error "compare missing file" compare --measured "$TMP/nope.csv"
# Model variants (L2, CTA pacing): named in the report; the default model's predictions when none is given; bad
# values refused.
"$IOLAB" compare --measured "$TMP/meas.csv" --l2-partitions 2 --l2-copies shared --l2-ways 16 --l2-capacity 0.9 \
  --l2-dirty-limit 0.45 --csv "$TMP/cmp_var.csv" >"$TMP/cmp_var.txt"; rc=$?
[[ ($rc -eq 0 || $rc -eq 3) ]] && grep -q "^model variant: the GPU model with its L2 as: 2 partitions, near copies of shared blocks, 16-way sets, capacity 0.90 x L2, dirty limit 0.45 x L2$" "$TMP/cmp_var.txt" \
  && ok || bad "compare L2 variant report"
! grep -q "model variant" <("$IOLAB" compare --measured "$TMP/meas.csv") && ok || bad "compare names a variant by default"
cmp -s "$TMP/cmp.csv" "$TMP/cmp_var.csv" && bad "compare L2 variant changed nothing" || ok
# Options that repeat the GPU's own L2 (gpu_spec.cpp) change nothing.
"$IOLAB" compare --measured "$TMP/meas.csv" --l2-replacement lru --l2-partitions 2 --l2-ways 32 --l2-sides parity \
  --l2-copies always --l2-write-copies keep --l2-dirty-limit 0.424 --l2-dirty-clean random --l2-capacity 1.0 \
  --l2-set-index hashed --csv "$TMP/cmp_lru.csv" >/dev/null
cmp -s "$TMP/cmp.csv" "$TMP/cmp_lru.csv" && ok || bad "compare with the H200's own L2 spelled out differs from its model"
expect_error "compare copies with one partition" compare --measured "$TMP/meas.csv" --l2-partitions 1 --l2-copies always
expect_error "compare three partitions" compare --measured "$TMP/meas.csv" --l2-partitions 3
expect_error "compare capacity above the L2" compare --measured "$TMP/meas.csv" --l2-capacity 1.5
expect_error "compare unknown replacement" compare --measured "$TMP/meas.csv" --l2-replacement plru
expect_error "compare cleaning without a dirty limit" compare --measured "$TMP/meas.csv" --l2-dirty-limit 0 --l2-dirty-clean random
expect_error "compare L2 smaller than one set" compare --measured "$TMP/meas.csv" --l2-ways 1024 --l2-capacity 0.001
expect_error "compare set index without sets" compare --measured "$TMP/meas.csv" --l2-ways 0 --l2-set-index balanced
expect_error "compare unknown set index" compare --measured "$TMP/meas.csv" --l2-set-index xor
expect_error "compare unknown dirty cleaning" compare --measured "$TMP/meas.csv" --l2-dirty-clean per-set
# CTA pacing: by age is the model's own (same predictions); lockstep is a variant, named in the report.
"$IOLAB" compare --measured "$TMP/meas.csv" --cta-pacing age --csv "$TMP/cmp_age.csv" >/dev/null
cmp -s "$TMP/cmp.csv" "$TMP/cmp_age.csv" && ok || bad "compare --cta-pacing age differs from the model's own"
"$IOLAB" compare --measured "$TMP/meas.csv" --cta-pacing lockstep >"$TMP/cmp_lock.txt"; rc=$?
[[ ($rc -eq 0 || $rc -eq 3) ]] && grep -q "^model variant: the GPU model with CTAs in lockstep$" "$TMP/cmp_lock.txt" \
  && ok || bad "compare --cta-pacing lockstep report"
"$IOLAB" compare --measured "$TMP/meas.csv" --cta-pacing lockstep --l2-replacement drrip >"$TMP/cmp_both.txt"; rc=$?
[[ ($rc -eq 0 || $rc -eq 3) ]] && grep -q "^model variant: the GPU model with its L2 as: drrip; CTAs in lockstep$" "$TMP/cmp_both.txt" \
  && ok || bad "compare L2 and pacing variant report"
expect_error "compare unknown pacing" compare --measured "$TMP/meas.csv" --cta-pacing random

# --- probe: the L2 capacity probe replayed through the L2 model ---------------------
PROBE="$(dirname "$0")/../../analysis/measurements/l2_probe_2026-11-21/h100/l2_probe.csv"
grep -E '^"[^"]*",[^,]*,[^,]*,write,' "$PROBE" | head -3 | cat <(head -1 "$PROBE") - >"$TMP/probe.csv"
"$IOLAB" probe --measured "$TMP/probe.csv" --csv "$TMP/probe_out.csv" >"$TMP/probe.txt" && ok || bad "probe failed"
grep -q "model: the GPU model as it is" "$TMP/probe.txt" && grep -q "write" "$TMP/probe.txt" && ok || bad "probe report"
[[ $(wc -l <"$TMP/probe_out.csv") -eq 4 ]] && ok || bad "probe csv rows"
"$IOLAB" probe --measured "$TMP/probe.csv" --l2-dirty-limit 0.3 --l2-dirty-clean oldest >"$TMP/probe_v.txt" &&
  grep -q "model: the GPU model with its L2 as: dirty limit 0.30 x L2, oldest dirty line cleaned$" "$TMP/probe_v.txt" &&
  ok || bad "probe variant report"
"$IOLAB" probe --measured "$TMP/probe.csv" --l2-set-index balanced --l2-dirty-clean per-set-random >"$TMP/probe_bal.txt" &&
  grep -q "model: the GPU model with its L2 as: balanced set index, per-set-random dirty line cleaned$" "$TMP/probe_bal.txt" &&
  ok || bad "probe balanced set index, per-set dirty limit"
# --json: the per-mode means and the score (shared left out) agree with the CSV it writes
"$IOLAB" probe --measured "$TMP/probe.csv" --csv "$TMP/probe_out.csv" --json >"$TMP/probe.json" || bad "probe --json failed"
$PY - "$TMP/probe.json" "$TMP/probe_out.csv" <<'PYEOF' && ok || bad "probe --json scores"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
err = [(abs(int(r["predicted_dram_read_bytes"]) - int(r["measured_dram_read_bytes"])) +
        abs(int(r["predicted_dram_write_bytes"]) - int(r["measured_dram_write_bytes"]))) / int(r["bytes"]) for r in rows]
assert j["launches"] == 3 and j["model"] == "the GPU model as it is"
assert [g["mode"] for g in j["by_mode"]] == ["write"], j
assert len(j["score"]) == 1 and j["score"][0]["launches"] == 3
assert abs(j["score"][0]["mean_error_w"] - sum(err) / 3) < 1e-12 and sum(err) > 0, (j, err)
PYEOF
expect_error "probe --copy-fraction with one partition" probe --measured "$TMP/probe.csv" --l2-partitions 1 --l2-copy-fraction 0.5
expect_error "probe --write-copies with one partition" probe --measured "$TMP/probe.csv" --l2-partitions 1 --l2-write-copies keep
expect_error "probe bad --write-copies" probe --measured "$TMP/probe.csv" --l2-partitions 2 --l2-write-copies both
# fabric bytes: measured share in the table and CSV; a model of two partitions predicts some, one predicts none
"$IOLAB" probe --measured "$TMP/probe.csv" --l2-write-copies drop \
  --csv "$TMP/probe_fab.csv" >"$TMP/probe_fab.txt" && grep -q "near copies dropped on writes" "$TMP/probe_fab.txt" && ok ||
  bad "probe --l2-write-copies drop"
"$IOLAB" probe --measured "$TMP/probe.csv" --l2-partitions 1 --csv "$TMP/probe_one.csv" >/dev/null || bad "probe one partition"
$PY - "$TMP/probe_fab.csv" "$TMP/probe_one.csv" "$TMP/probe.csv" <<'PYEOF' && ok || bad "probe fabric bytes"
import csv, sys
two, one, meas = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
assert [r["measured_fabric_bytes"] for r in two] == [r["fabric_bytes"] for r in meas], (two, meas)
assert all(int(r["predicted_fabric_bytes"]) > 0 for r in two) and all(r["predicted_fabric_bytes"] == "0" for r in one)
PYEOF
# the mixed series (l2_probe_mixed.csv): its rows replayed with their stream; the mixed score is their mean
# error and the capacity probe's score leaves them out
MIXED="$(dirname "$0")/../../analysis/measurements/l2_probe_mixed_2026-11-22/h100/s128/l2_probe_mixed.csv"
head -5 "$MIXED" >"$TMP/mixed.csv"
"$IOLAB" probe --measured "$TMP/mixed.csv" --csv "$TMP/mixed_out.csv" --json >"$TMP/mixed.json" || bad "probe mixed failed"
$PY - "$TMP/mixed.json" "$TMP/mixed_out.csv" <<'PYEOF' && ok || bad "probe mixed series"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert [(r["mode"], r["stream_kib"], r["group"]) for r in rows] == [("private", "0", "16"), ("mixed", "128", "16")] * 2, rows
# 16 MiB alone: the model reads the buffer once; beside the stream at least the buffer and the stream (16 passes
# x 9 groups x 128 KiB), within 0.5 %
assert int(rows[0]["predicted_dram_read_bytes"]) == int(rows[0]["bytes"]), rows[0]
compulsory = int(rows[1]["bytes"]) + 16 * 9 * 128 * 1024
assert compulsory <= int(rows[1]["predicted_dram_read_bytes"]) < 1.005 * compulsory, rows[1]
assert j["score"] == [] and len(j["mixed_score"]) == 1 and j["mixed_score"][0]["launches"] == 4, j
err = [(abs(int(r["predicted_dram_read_bytes"]) - int(r["measured_dram_read_bytes"])) / 16 +
        abs(int(r["predicted_dram_write_bytes"]) - int(r["measured_dram_write_bytes"]))) / int(r["bytes"]) for r in rows]
assert abs(j["mixed_score"][0]["mean_error_w"] - sum(err) / 4) < 1e-12, (j, err)
PYEOF
"$IOLAB" probe --measured "$TMP/mixed.csv" | grep -q "^mixed series" && ok || bad "probe mixed table"
FILL="$(dirname "$0")/../../analysis/measurements/l2_probe_fill_2026-11-22/h100/l2_probe_fill.csv"
head -3 "$FILL" >"$TMP/fill.csv"
"$IOLAB" probe --measured "$TMP/fill.csv" --json >"$TMP/fill.json" &&
  $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["mixed_score"] == [] and j["score"] == [] and j["fill_score"][0]["launches"] == 2, j' "$TMP/fill.json" &&
  ok || bad "probe fill series"
sed '3s/,1,132,/,2,132,/' "$TMP/fill.csv" >"$TMP/bad_fill.csv"
expect_error "probe fill row with two passes" probe --measured "$TMP/bad_fill.csv"
sed '3s/,mixed,/,private,/' "$TMP/mixed.csv" >"$TMP/bad_mixed.csv"
expect_error "probe stream on a private row" probe --measured "$TMP/bad_mixed.csv"
sed '2s/,private,/,mixed,/' "$TMP/mixed.csv" >"$TMP/bad_mixed.csv"
expect_error "probe mixed row without a stream" probe --measured "$TMP/bad_mixed.csv"
sed 's/,write,/,scan,/' "$TMP/probe.csv" >"$TMP/bad_probe.csv"
expect_error "probe bad mode" probe --measured "$TMP/bad_probe.csv"
expect_error "probe missing file" probe --measured "$TMP/nope.csv"

echo "$pass passed, $fails failed"
[[ $fails -eq 0 ]]
