#!/bin/bash
# Monte Carlo draws by hand, in seed order: BATCH seeds per Snakemake call (the draws' jobs only,
# results/montecarlo/draws/seed_<seed>.csv), at CPU priority NICE (default 19, the lowest), until
# seed LAST or until the clock (UTC) reaches STOP_AT, whichever comes first; a batch already
# started finishes. Every batch line gives the load average when it started and the niceness;
# `upgrading montecarlo-report` reads this log.
# CONFIGFILE names a YAML file whose keys replace config/config.yaml's, key by key (Snakemake's
# --configfile), e.g. `estimation: {montecarlo: {scale: full}}` for draws at full scale. Draws of
# another configuration write the same files as the build's own (results/montecarlo/draws/,
# worlds/mc<seed>/): run them in a clone of their own.
#   FIRST=7001 LAST=7200 BATCH=4 NICE=0 STOP_AT=10:14 tools/montecarlo_draws.sh > montecarlo_draws.log
set -u
CONFIGFILE=${CONFIGFILE:-}
if [ -n "$CONFIGFILE" ]; then
  [ -f "$CONFIGFILE" ] || { echo "error: CONFIGFILE $CONFIGFILE not found" >&2; exit 2; }
  CONFIGFILE=$(realpath "$CONFIGFILE")  # before the cd below
fi
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
FIRST=${FIRST:-7001}; LAST=${LAST:-7200}; BATCH=${BATCH:-4}; STOP_AT=${STOP_AT:-23:59}; CORES=${CORES:-2}; NICE=${NICE:-19}
overlay=()
if [ -n "$CONFIGFILE" ]; then
  overlay=(--configfile "$CONFIGFILE")
fi
mkdir -p logs/montecarlo_batches
s=$FIRST
while [ "$s" -le "$LAST" ]; do
  now=$(date -u +%H:%M)
  if [[ ! "$now" < "$STOP_AT" ]]; then
    echo "$(date -u +%FT%TZ) stop time $STOP_AT reached before seed $s"; break
  fi
  targets=""
  for ((i = s; i < s + BATCH && i <= LAST; i++)); do targets="$targets results/montecarlo/draws/seed_$i.csv"; done
  echo "$(date -u +%FT%TZ) batch $s..$((i - 1)) load $(cut -d' ' -f1-3 /proc/loadavg) nice $NICE${CONFIGFILE:+ configfile $CONFIGFILE}"
  # Snakemake with every job sampled every half second (workflow/scripts/snakemake_sampled.py), so
  # the CPU time of a draw's long jobs, which montecarlo-report sums, is theirs.
  # shellcheck disable=SC2086 # one argument per target; --configfile takes every word after it: last
  if ! nice -n "$NICE" .venv-snakemake/bin/python workflow/scripts/snakemake_sampled.py --workflow-profile profiles/default \
      --cores "$CORES" $targets \
      ${overlay[@]+"${overlay[@]}"} > "logs/montecarlo_batches/batch_$s.log" 2>&1; then
    echo "$(date -u +%FT%TZ) batch $s failed: logs/montecarlo_batches/batch_$s.log"; exit 1
  fi
  s=$i
done
echo "$(date -u +%FT%TZ) done up to seed $((s - 1)) load $(cut -d' ' -f1-3 /proc/loadavg)"
