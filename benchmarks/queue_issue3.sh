#!/bin/bash
cd /work/main
. .venv/bin/activate
while pgrep -f "a_rss.json" > /dev/null; do sleep 5; done
R=benchmarks/results
run() { name=$1; shift; python benchmarks/run.py "$@" --out $R/$name.json > $R/$name.log 2>&1; }
run a_basin --task pt-step-adatom --method basin --seeds 0-7 --workers 2 --max-evaluations 10000
run b_rss --task pt111-heptamer --method rss --seeds 0-7 --workers 2 --max-evaluations 10000
run b_basin --task pt111-heptamer --method basin --seeds 0-7 --workers 2 --max-evaluations 10000
run b_noffg --task pt111-heptamer --seeds 0-3 --workers 2 --set samples_per_stage=64 --set guidance=0.0 --label "GO-Diff, no guidance"
run b_exponential --task pt111-heptamer --seeds 0-3 --workers 2 --set samples_per_stage=64 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run a_noffg --task pt-step-adatom --seeds 0-7 --workers 2 --set guidance=0.0 --label "GO-Diff, no guidance"
run a_exponential --task pt-step-adatom --seeds 0-7 --workers 2 --set "schedule='exponential'" --label "GO-Diff, exponential kT"
run b_steps200 --task pt111-heptamer --seeds 0-1 --workers 2 --set samples_per_stage=64 --set sampling_steps=200 --label "GO-Diff, 200 reverse steps"
run b_train600 --task pt111-heptamer --seeds 0-1 --workers 2 --set samples_per_stage=64 --set train_steps=600 --label "GO-Diff, 600 training steps"
echo queue done > $R/queue.done
