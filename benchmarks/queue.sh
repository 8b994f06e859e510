#!/bin/bash
# Every GO-Diff row of docs/benchmarks.md, in the order they were run (the baselines'
# rows do not depend on the network: see their commits in the JSON files).
#   . .venv/bin/activate && bash benchmarks/queue.sh     # about an hour on 2 idle cores
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
# the defaults since 5944391 (Task A: 8 per stage, buffer 8), and one stage size on Task B
run a_godiff $A
run a_noffg $A --set guidance=0.0 --label "GO-Diff, no guidance"
run a_exponential $A --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run a_steps30 $A --set sampling_steps=30 --label "GO-Diff, 30 reverse steps"
run a_train100 $A --set train_steps=100 --label "GO-Diff, 100 training steps"
run b_godiff_32x40 $B --seeds 0-7 --set samples_per_stage=32 --set stages=40 --set buffer_size=32 --label "GO-Diff, 32 per stage, 40 stages"
echo queue done > $R/queue.done
