#!/bin/bash
cd /work/main
. .venv/bin/activate
R=benchmarks/results
run() { name=$1; shift; python benchmarks/run.py "$@" --out $R/$name.json > $R/$name.log 2>&1; }
run b_rss --task pt111-heptamer --method rss --seeds 0-7 --workers 2 --max-evaluations 10000
while pgrep -f "b_scratch_320.json" > /dev/null; do sleep 5; done
run b_transfer_heptamer --task pt111-heptamer --seeds 0-3 --workers 2 --set samples_per_stage=64 --set stages=5 --set "model='pt111-heptamer'" --label "GO-Diff from pt111-heptamer"
run a_noffg --task pt-step-adatom --seeds 0-7 --workers 2 --set guidance=0.0 --label "GO-Diff, no guidance"
run b_basin --task pt111-heptamer --method basin --seeds 0-7 --workers 2 --max-evaluations 10000
run b_noffg --task pt111-heptamer --seeds 0-1 --workers 2 --set samples_per_stage=64 --set guidance=0.0 --label "GO-Diff, no guidance"
run a_exponential --task pt-step-adatom --seeds 0-7 --workers 2 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run b_exponential --task pt111-heptamer --seeds 0-1 --workers 2 --set samples_per_stage=64 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
echo queue done > $R/queue.done
