#!/bin/bash
# Every GO-Diff row of docs/benchmarks.md and the Ar7 baselines, in the order they were run
# (the Pt baselines do not depend on the network: see their commits in the JSON files).
# Former defaults are spelt out: stages=20 before b889bfc, a kT floor of 0.02 eV before ec685a8.
#   . .venv/bin/activate && bash benchmarks/queue.sh     # about three hours on 2 idle cores
cd "$(dirname "$0")/.."
R=benchmarks/results
run() { name=$1; shift; python benchmarks/run.py "$@" --workers 2 --out $R/$name.json > $R/$name.log 2>&1 || { echo "$name failed: see $R/$name.log"; exit 1; }; }
B="--task pt111-heptamer"
A="--task pt-step-adatom --seeds 0-7"
run b_godiff_64x20 $B --set kT_end=0.02 --seeds 0-7 --set stages=20 --set samples_per_stage=64
run b_scratch_320 $B --set kT_end=0.02 --seeds 0-7 --set samples_per_stage=64 --set stages=5 --label "GO-Diff from scratch, 320 evaluations"
run b_transfer_pt111_adatom $B --set kT_end=0.02 --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt111-adatom'" --label "GO-Diff from pt111-adatom"
run b_transfer_pt_step $B --set kT_end=0.02 --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt-step-adatom'" --label "GO-Diff from pt-step-adatom"
run b_transfer_heptamer $B --set kT_end=0.02 --seeds 0-3 --set samples_per_stage=64 --set stages=5 --set "model='pt111-heptamer'" --label "GO-Diff from pt111-heptamer"
run a_godiff_32x10 $A --set kT_end=0.02 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 10 × 32 (buffer 16)"
run a_exponential_32x10 $A --set "schedule='exponential'" --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, exponential kT, 10 × 32 (buffer 16)"
run a_noffg_32x10 $A --set kT_end=0.02 --set guidance=0.0 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, no guidance, 10 × 32 (buffer 16)"
run a_steps30_32x10 $A --set kT_end=0.02 --set sampling_steps=30 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 30 reverse steps, 10 × 32 (buffer 16)"
run a_steps300_32x10 $A --set kT_end=0.02 --set sampling_steps=300 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 300 reverse steps, 10 × 32 (buffer 16)"
run a_train100_32x10 $A --set kT_end=0.02 --set train_steps=100 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 100 training steps, 10 × 32 (buffer 16)"
run a_train1000_32x10 $A --set kT_end=0.02 --set train_steps=1000 --set stages=10 --set samples_per_stage=32 --set buffer_size=16 --label "GO-Diff, 1000 training steps, 10 × 32 (buffer 16)"
run b_noffg_64x20 $B --set kT_end=0.02 --seeds 0-1 --set stages=20 --set samples_per_stage=64 --set guidance=0.0 --label "GO-Diff, no guidance"
run b_exponential_64x20 $B --seeds 0-1 --set stages=20 --set samples_per_stage=64 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run b_steps30_64x20 $B --set kT_end=0.02 --seeds 0-1 --set stages=20 --set samples_per_stage=64 --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run b_train100_64x20 $B --set kT_end=0.02 --seeds 0-7 --set stages=20 --set samples_per_stage=64 --set train_steps=100 --label "GO-Diff, 100 training steps"
run b_transfer_pt_step_train600 $B --set kT_end=0.02 --seeds 0-7 --set samples_per_stage=64 --set stages=5 --set "model='pt-step-adatom'" --set train_steps=600 --label "GO-Diff from pt-step-adatom, 600 training steps"
# stage sizes (explicit, 0414027); the defaults of ec685a8 (8 samples per free atom, 20
# stages, adaptive kT without a floor in eV) on Task B, and the floor's cost on Ar7
run a_godiff_16x10 $A --set kT_end=0.02 --set samples_per_stage=16 --set stages=10 --set buffer_size=16 --label "GO-Diff, 10 × 16 (buffer 16)"
run a_godiff_8x20_buffer16 $A --set kT_end=0.02 --set samples_per_stage=8 --set stages=20 --set buffer_size=16 --label "GO-Diff, 20 × 8 (buffer 16)"
L="--task ar7-lj --seeds 0-7"
run b_godiff_64x20_ec685a8 $B --seeds 0-7 --set stages=20 --set samples_per_stage=64 --label "GO-Diff, 20 × 64 (defaults of ec685a8)"
run ar_floor_0.02 --task ar7-lj --seeds 0-3 --set stages=20 --set samples_per_stage=64 --set kT_end=0.02 --label "GO-Diff, adaptive kT floored at 0.02 eV (before ec685a8)"
# the defaults since b889bfc: 4 samples per free atom (8 to 128), 40 stages, no kT floor
run b_godiff $B --seeds 0-7
run a_godiff $A
run ar_godiff $L
run ar_rss $L --method rss --max-evaluations 10000
run ar_basin $L --method basin --max-evaluations 10000
run ar_exponential --task ar7-lj --seeds 0-3 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run a_noffg $A --set guidance=0.0 --label "GO-Diff, no guidance"
run ar_noffg --task ar7-lj --seeds 0-3 --set guidance=0.0 --label "GO-Diff, no guidance"
run a_exponential $A --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run a_train100 $A --set train_steps=100 --label "GO-Diff, 100 training steps"
run a_steps30 $A --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run b_noffg $B --seeds 0-1 --set guidance=0.0 --label "GO-Diff, no guidance"
run b_exponential $B --seeds 0-1 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run b_steps30 $B --seeds 0-1 --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run b_train100 $B --seeds 0-7 --set train_steps=100 --label "GO-Diff, 100 training steps"
echo queue done > $R/queue.done
