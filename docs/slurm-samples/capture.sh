#!/usr/bin/env bash
# Captures what srun prints on stderr for the ways a tmgt job ends, on the one-node cluster of
# ci/setup-slurm.sh (Debian's slurm-wlm), with the options the Slurm runner gives srun
# (src/proc/runner_slurm.c). Each NAME.txt is "exit N" (srun's exit status, as tmgt's wait
# sees it), then srun's stderr byte for byte. They seed fuzz_slurm_report (tests/fuzz/samples).
#   docs/slurm-samples/capture.sh          (about two minutes: the time-limit case waits for it)
set -euo pipefail
cd "$(dirname "$0")"
dir=$(mktemp -d /tmp/tmgt-slurm-samples-XXXXXX)
chmod 0755 "$dir"
trap '../../ci/setup-slurm.sh stop "$dir"; rm -rf "$dir"' EXIT
PATH=$PATH:/usr/sbin:/sbin ../../ci/setup-slurm.sh start "$dir" >/dev/null
export SLURM_CONF=$dir/slurm.conf

# NAME, then srun's options and the job's command, as the runner passes them
capture() {
  local name=$1 rc=0
  shift
  srun --quiet --nodes=1 --ntasks=1 --job-name="tmgt.sample.$name" "$@" >/dev/null 2>"$dir/$name.err" || rc=$?
  { echo "exit $rc"; cat "$dir/$name.err"; } >"$name.txt"
  echo "capture: $name: exit $rc, $(wc -l <"$dir/$name.err") stderr line(s)"
}

capture normal -- sh -c 'echo the engine speaks; echo a warning of its own >&2'
capture failing -- sh -c 'echo cannot load the model >&2; exit 3'
capture exit137 -- sh -c 'echo out of memory, says the engine >&2; exit 137'
capture killed -- sh -c 'echo loading >&2; kill -KILL $$'
capture aborted -- sh -c 'echo assertion failed >&2; kill -ABRT $$'
capture segfault -- sh -c 'kill -SEGV $$'
capture bad_partition --partition=no-such-partition -- true
capture bad_gres --gres=gpu:8 -- true
capture time_limit --time=1 -- sleep 600
# tmgt's own timeout: srun is sent SIGTERM and cancels its job
srun --quiet --nodes=1 --ntasks=1 --job-name=tmgt.sample.terminated -- sh -c 'echo started >&2; sleep 600' \
  >/dev/null 2>"$dir/terminated.err" &
pid=$!
sleep 5
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
{ echo "exit $rc"; cat "$dir/terminated.err"; } >terminated.txt
echo "capture: terminated: exit $rc, $(wc -l <"$dir/terminated.err") stderr line(s)"
