#!/usr/bin/env bash
# Issue 23's GPU checks in one call, for a session that is lent a GPU (device tool: `run`, from the repository
# root; about 8 minutes of one H100 is the plan, each step has its own time limit so one hang cannot eat the rest):
#
#   1. the DIV2K stand-in at DIV2K's own frame (`srnas data synth div2k --size div2k`), so the searches'
#      validation and derivation tiles come in DIV2K's numbers (a 264x360 stand-in has 29x fewer pixels);
#   2. `--dry-run 5` of every paper NAS method at x2 on the GPU: projection records, each loop timed per kind
#      of step (the RL derivations included), peak GPU memory;
#   3. a complete smoke-profile `srnas run` of every registered plugin on the GPU (the main path end to end);
#   4. the projection page regenerated from those records.
#
# Everything lands under $OUT (the device tool brings it back): results/ (records, page) and log. On this
# project's CPU machines the same script runs with DEVICE=cpu and smaller settings (tests/test_gpu_script.py).
#
# The whole call keeps inside BUDGET_S (default 540 s, under the device tool's 600 s a call): a step gets at most
# what is left of it less a reserve for the page, a step with nothing left is skipped and named, so a slow
# machine still brings back the page of what finished.
#
#   OUT=$OUT benchmarks/gpu_paper_path.sh            # on the GPU machine: DEVICE=cuda, every paper method
#   DEVICE=cpu SIZE=96x120 DISTINCT=2 DRY_RUN_METHODS=trilevel DRY_RUN_STEPS=1 SMOKE_METHODS=bicubic \
#       OUT=/tmp/out benchmarks/gpu_paper_path.sh    # about what the test runs (20 s here)
set -u -o pipefail

OUT=${OUT:?set OUT to the folder the results go to}
DEVICE=${DEVICE:-cuda}
SIZE=${SIZE:-div2k}                    # the stand-in's HR size: DIV2K's frame (1356x2040)
DISTINCT=${DISTINCT:-8}                # images drawn per split; the other names are hard links to them
DRY_RUN_METHODS=${DRY_RUN_METHODS:-"hnas hinas trilevel deconas"}
DRY_RUN_STEPS=${DRY_RUN_STEPS:-5}
DRY_RUN_LIMIT_S=${DRY_RUN_LIMIT_S:-110}
SMOKE_METHODS=${SMOKE_METHODS:-all}
SMOKE_LIMIT_S=${SMOKE_LIMIT_S:-60}
BUDGET_S=${BUDGET_S:-540}               # the whole call; the page step keeps RESERVE_S of it
RESERVE_S=${RESERVE_S:-30}
WORK=${WORK:-$(mktemp -d)}
PY=${PY:-python3}
export SRNAS_CACHE=${SRNAS_CACHE:-$WORK/cache} PYTHONUNBUFFERED=1
mkdir -p "$OUT/results"
LOG="$OUT/log"
failed=()

step() {  # step NAME LIMIT_S CMD...: run one step with its own limit, log it, remember a failure and go on
    local name=$1 limit=$2; shift 2
    local left=$((BUDGET_S - SECONDS))
    [ "$name" = projections ] || left=$((left - RESERVE_S))
    if [ "$left" -lt 5 ]; then
        echo "== $name: skipped, the call's budget of ${BUDGET_S}s is spent" | tee -a "$LOG"
        failed+=("$name (skipped: budget)")
        return 1
    fi
    [ "$limit" -le "$left" ] || limit=$left
    echo "== $name (limit ${limit}s): $*" | tee -a "$LOG"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$LOG"
    [ "$rc" -eq 0 ] || failed+=("$name (exit $rc)")
    return "$rc"
}

# the suite itself: installed without dependencies (the GPU image has them; nothing can be fetched there)
if ! $PY -c "import srnas" 2>/dev/null; then
    step install 120 $PY -m pip install -q --no-deps --no-build-isolation --no-index -e . || exit 1
fi
step environment 60 $PY -c "import torch, srnas; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
    torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-')"
SRNAS="$PY -m srnas.cli"
DATA_ROOT=$($PY -c "from srnas.datasets import data_root; print(data_root())" 2>/dev/null) || DATA_ROOT=""
step synth 300 $SRNAS data synth div2k --size "$SIZE" --distinct "$DISTINCT" --dest "$WORK/d2k" \
    ${DATA_ROOT:+--data-root "$DATA_ROOT"}

for m in $DRY_RUN_METHODS; do
    step "dry-run $m" "$DRY_RUN_LIMIT_S" $SRNAS run "$m" --profile paper --scale 2 --dry-run "$DRY_RUN_STEPS" \
        --device "$DEVICE" --data-root "$WORK/d2k" --results "$OUT/results"
done

if [ "$SMOKE_METHODS" = all ]; then
    SMOKE_METHODS=$($PY -c "from srnas.methods import list_methods; print(' '.join(list_methods()))")
fi
for m in $SMOKE_METHODS; do
    step "smoke $m" "$SMOKE_LIMIT_S" $SRNAS run "$m" --profile smoke --scale 2 --seeds 0 --device "$DEVICE" \
        --results "$OUT/results" --quiet
done

step projections 60 $SRNAS table --projections --results "$OUT/results"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}" | tee -a "$LOG"
    exit 1
fi
echo "all steps passed" | tee -a "$LOG"
