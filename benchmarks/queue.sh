#!/bin/bash
# Every GO-Diff row of docs/benchmarks.md and the Ar7 baselines, in the order they were run
# (the Pt baselines do not depend on the network: see their commits in the JSON files).
#   . .venv/bin/activate && bash benchmarks/queue.sh     # about three hours on 2 idle cores
cd "$(dirname "$0")/.."
R=benchmarks/results
run() { name=$1; shift; python benchmarks/run.py "$@" --workers 2 --out $R/$name.json > $R/$name.log 2>&1 || { echo "$name failed: see $R/$name.log"; exit 1; }; }
B="--task pt111-heptamer"
A="--task pt-step-adatom --seeds 0-7"
run b_godiff_64x20 $B --seeds 0-7 --set samples_per_stage=64
run b_scratch_320 $B --seeds 0-7 --set samples_per_stage=64 --set stages=5 --label "GO-Diff from scratch, 320 evaluations"
run b_transfer_pt111_adatom $B --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt111-adatom'" --label "GO-Diff from pt111-adatom"
run b_transfer_pt_step $B --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt-step-adatom'" --label "GO-Diff from pt-step-adatom"
run b_transfer_heptamer $B --seeds 0-3 --set samples_per_stage=64 --set stages=5 --set "model='pt111-heptamer'" --label "GO-Diff from pt111-heptamer"
run a_godiff_32x10 $A --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 10 × 32 (buffer 16)"
run a_exponential_32x10 $A --set "schedule='exponential'" --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, exponential kT, 10 × 32 (buffer 16)"
run a_noffg_32x10 $A --set guidance=0.0 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, no guidance, 10 × 32 (buffer 16)"
run a_steps30_32x10 $A --set sampling_steps=30 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 30 reverse steps, 10 × 32 (buffer 16)"
run a_steps300_32x10 $A --set sampling_steps=300 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 300 reverse steps, 10 × 32 (buffer 16)"
run a_train100_32x10 $A --set train_steps=100 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 100 training steps, 10 × 32 (buffer 16)"
run a_train1000_32x10 $A --set train_steps=1000 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 1000 training steps, 10 × 32 (buffer 16)"
run b_noffg $B --seeds 0-1 --set samples_per_stage=64 --set guidance=0.0 --label "GO-Diff, no guidance"
run b_exponential $B --seeds 0-1 --set samples_per_stage=64 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run b_steps30 $B --seeds 0-1 --set samples_per_stage=64 --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run b_train100 $B --seeds 0-7 --set samples_per_stage=64 --set train_steps=100 --label "GO-Diff, 100 training steps"
run b_transfer_pt_step_train600 $B --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt-step-adatom'" --set train_steps=600 --label "GO-Diff from pt-step-adatom, 600 training steps"
# stage sizes (explicit, 0414027), then the defaults since ec685a8 (stage and buffer sizes
# from the number of free atoms, adaptive kT without a floor in eV)
run a_godiff_16x10 $A --set samples_per_stage=16 --set stages=10 --set buffer_size=16 --label "GO-Diff, 10 × 16 (buffer 16)"
run a_godiff_8x20_buffer16 $A --set samples_per_stage=8 --set stages=20 --set buffer_size=16 --label "GO-Diff, 20 × 8 (buffer 16)"
L="--task ar7-lj --seeds 0-7"
run b_godiff $B --seeds 0-7
run a_godiff $A
run ar_floor_0.02 --task ar7-lj --seeds 0-3 --set kT_end=0.02 --label "GO-Diff, adaptive kT floored at 0.02 eV (before ec685a8)"
run ar_godiff $L
run ar_exponential $L --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run ar_rss $L --method rss --max-evaluations 10000
run ar_basin $L --method basin --max-evaluations 10000
run a_noffg $A --set guidance=0.0 --label "GO-Diff, no guidance"
run a_exponential $A --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run a_train100 $A --set train_steps=100 --label "GO-Diff, 100 training steps"
run a_steps30 $A --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run ar_noffg $L --set guidance=0.0 --label "GO-Diff, no guidance"
echo queue done > $R/queue.done
