#!/bin/bash
# One evalsuite run split over a Slurm job array, against one vLLM service, then one merge.
#
#   sbatch --export=ALL,VLLM_URL=http://vllm-host:8000/v1 examples/cluster/slurm-array.sh
#
# Every array task runs the same command: `--shard auto` reads SLURM_ARRAY_TASK_ID,
# SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (so --array=1-8 and --array=0-7 give the same
# slices). A task that dies is resumed by resubmitting that index with the same command.
# The merge job waits for the whole array (afterok) and writes runs/$RUN (results.json, report).
#SBATCH --job-name=evalsuite
#SBATCH --array=1-8
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=logs/evalsuite-%A_%a.out

set -euo pipefail
RUN=${RUN:-interns1-epochs4}
MODEL=${MODEL:-openai/Intern-S1}
VLLM_URL=${VLLM_URL:?set VLLM_URL to the vLLM service, e.g. http://vllm-host:8000/v1}

if [[ "${1:-}" == "merge" ]]; then
  evalsuite merge runs/"$RUN"/shard-* --out runs/"$RUN"/merged
  evalsuite report runs/"$RUN"/merged --out runs/"$RUN"/report.html
  exit 0
fi

# Submit the merge once, from the first task, to run when every task has succeeded.
if [[ "$SLURM_ARRAY_TASK_ID" == "$SLURM_ARRAY_TASK_MIN" ]]; then
  sbatch --dependency=afterok:"$SLURM_ARRAY_JOB_ID" --array=0 --job-name=evalsuite-merge \
    --export=ALL,RUN="$RUN" "$0" merge
fi

INDEX=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN))
evalsuite run --model "$MODEL" --base-url "$VLLM_URL" \
  --benchmark retrosynthesis,crystal-stability,tail --limit 500 \
  --temperature 0.8 --epochs 4 --max-concurrency 32 --no-progress \
  --shard auto --out runs/"$RUN"/shard-"$INDEX"
