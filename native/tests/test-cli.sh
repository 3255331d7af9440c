#!/usr/bin/env bash
# The microgpt CLI end to end: every flag of the original README's table, continuing and
# resuming training, chat over stdin, the demo, and clean failures for bad input.
# usage: test-cli.sh <path to microgpt> [runner prefix, e.g. "qemu-aarch64 -L ..."] [path to mg-ckpt-edit]
set -u
BIN="$1"
RUN="${2:-}"
MG="$RUN $BIN"
ED="$RUN ${3:-mg-ckpt-edit}"
W=$(mktemp -d /tmp/mg-cli-XXXXXX)
trap 'umount "$W/tiny" 2>/dev/null; rm -rf "$W"' EXIT
fails=0
ok()   { echo "  ok   $1"; }
fail() { echo "  FAIL $1"; fails=$((fails + 1)); }
# expect <name> <wanted exit code> <text the output must contain> -- command...
expect() {
  local name="$1" code="$2" needle="$3"; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$code" ]; then fail "$name: exit $rc, wanted $code"; echo "$out" | tail -5 | sed 's/^/       /'; return; fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" <<<"$out"; then fail "$name: output lacks '$needle'"; echo "$out" | tail -5 | sed 's/^/       /'; return; fi
  ok "$name"
}

# a small corpus of generated words (awk's srand makes it the same every run)
awk 'BEGIN { srand(7); split("the a pi model learns small text from data and runs on cpu", w, " ");
  for (i = 0; i < 6000; i++) { printf "%s%s", w[int(rand() * 12) + 1], (i % 11 == 10) ? ".\n" : " " } }' > "$W/data.txt"
D="$W/data.txt"
SMALL="--preset micro --batch_size 4 --eval_interval 10 --eval_batches 2 --log_interval 5"

# --- the original README's flags
expect "--train --data --steps --save_checkpoint" 0 "saved $W/m.bin after step 20 (done)" -- \
  $MG --train --data "$D" --steps 20 $SMALL --max_passes 4 --save_checkpoint "$W/m.bin"
out=$($MG --info --checkpoint "$W/m.best.bin" 2>&1)
grep -q "^best val loss: [0-9.]* after step [0-9]*$" <<<"$out" && grep -qF "training state: none" <<<"$out" \
  && ok "the best checkpoint beside it holds its weights and mark" || fail "--info of the best checkpoint: $out"
expect "the run's checkpoint carries its best so far" 0 "the run's best so far" -- $MG --info --checkpoint "$W/m.bin"
expect "training ends naming the best weights and where they are" 0 "kept in $W/b.best.bin" -- \
  $MG --train --data "$D" --steps 10 $SMALL --save_checkpoint "$W/b.bin"
expect "--split_lines holds out whole lines chosen with the seed" 0 "whole lines (of" -- \
  $MG --train --data "$D" --steps 4 $SMALL --split_lines --save_checkpoint "$W/lines.bin"
expect "--eval cuts that run's split of whole lines" 0 '"split_lines": true' -- \
  $MG --eval --checkpoint "$W/lines.best.bin" --data "$D" --json
awk 'BEGIN { srand(3); for (i = 0; i < 800; i++) { n = 3 + int(rand() * 6); s = "";
  for (k = 0; k < n; k++) s = s substr("aeiounrstlmk", int(rand() * 12) + 1, 1); print s } }' > "$W/names.txt"
expect "--line_sequences trains each line as its own sequence, as long as the longest" 0 "batch 4 x 9" -- \
  $MG --train --data "$W/names.txt" --steps 4 $SMALL --line_sequences --save_checkpoint "$W/seq.bin"
expect "--eval scores each line of that run's val split alone" 0 '"line_sequences": true' -- \
  $MG --eval --checkpoint "$W/seq.best.bin" --data "$W/names.txt" --json
expect "--line_sequences refuses a line longer than the context, by name" 2 "the longest line holds 101 characters" -- \
  bash -c "{ cat '$W/names.txt'; printf '%0100d\\n' 0; } > '$W/long.txt'; $MG --train --data '$W/long.txt' --steps 2 $SMALL --line_sequences"
expect "--dropout trains with dropout, and --info says so" 0 "dropout 0.1 (resumable" -- \
  bash -c "$MG --train --data '$D' --steps 4 $SMALL --dropout 0.1 --save_checkpoint '$W/drop.bin' >/dev/null && $MG --info --checkpoint '$W/drop.bin'"
expect "--dropout must be below 1" 1 "--dropout must be in [0, 1)" -- $MG --train --data "$D" --steps 2 $SMALL --dropout 1
expect "training prints step, loss, val, lr, tok/s, ETA" 0 "| val " -- \
  $MG --train --data "$D" --steps 10 $SMALL
out=$($MG --train --data "$D" --steps 10 $SMALL 2>&1)
for f in "step " "loss " "lr " "tok/s" "ETA "; do grep -qF -- "$f" <<<"$out" || fail "training line lacks '$f'"; done
expect "--load_checkpoint continues training into a new file" 0 "saved $W/m2.bin after step 10 (done)" -- \
  $MG --train --data "$D" --steps 10 --load_checkpoint "$W/m.bin" --save_checkpoint "$W/m2.bin" --batch_size 4 --eval_batches 2
expect "--generate --checkpoint --prompt" 0 "the" -- $MG --generate --checkpoint "$W/m2.bin" --prompt "the" --max_tokens 30
expect "--generate with random weights" 0 "random weights" -- $MG --generate --prompt "Hello" --max_tokens 10 --preset micro
expect "--chat --checkpoint, /quit ends" 0 "mean passes" -- \
  bash -c "printf 'the model\n/quit\n' | $MG --chat --checkpoint '$W/m.bin' --max_tokens 20"
expect "--chat ends at EOF" 0 "> " -- bash -c "printf 'the\n' | $MG --chat --checkpoint '$W/m.bin' --max_tokens 5"
expect "--chat with random weights" 0 "random model" -- bash -c "printf 'Hi\n' | $MG --chat --max_tokens 5 --preset micro"
expect "--chat: a character outside the vocab is an error, the chat goes on" 0 "never saw in training" -- \
  bash -c "printf 'Z!\nthe\n' | $MG --chat --checkpoint '$W/m.bin' --max_tokens 5"

# --- every option family runs
expect "sampling and recursion flags" 0 "mean passes 3.00" -- $MG --generate --checkpoint "$W/m.bin" --prompt "a " \
  --temperature 0.7 --top_k 10 --top_p 0.9 --repetition_penalty 1.2 --repetition_window 32 --seed 3 --passes 3 --max_tokens 20
expect "adaptive passes report their mean" 0 "mean passes" -- $MG --generate --checkpoint "$W/m.bin" --passes 6 --adaptive --kl_threshold 0.01 --max_tokens 20
expect "generation reads fp16 weights by default" 0 "fp16 weights" -- $MG --generate --checkpoint "$W/m.bin" --max_tokens 10
expect "--weights fp32" 0 "fp32 weights" -- $MG --generate --checkpoint "$W/m.bin" --weights fp32 --max_tokens 10
expect "--stop ends before the stop string" 0 "stop_string" -- $MG --generate --checkpoint "$W/m.bin" --prompt "the" --stop " " --max_tokens 100
expect "model, recursion and training flags" 0 "prelude 1 + core 1" -- $MG --train --data "$D" --steps 4 --embed_dim 32 --num_layers 3 \
  --num_heads 4 --max_seq_len 32 --hidden_dim 64 --prelude_layers 1 --coda_layers 1 --mean_passes 1.5 --max_passes 3 --backprop_passes 1 \
  --batch_size 2 --seq_len 16 --grad_accum 2 --lr 2e-3 --min_lr 1e-4 --warmup_steps 2 --weight_decay 0.05 --beta1 0.8 --beta2 0.95 \
  --grad_clip 0.5 --eval_interval 2 --eval_batches 1 --val_fraction 0.2 --log_interval 1 --threads 1 --seed 5
out=$($MG --train --data "$D" --steps 10 $SMALL --sample_every 5 2>&1)
if [ "$(grep -c '^sample after step [0-9]*:$' <<<"$out")" = 2 ] && grep -q '^sample after step 10:$' <<<"$out" \
   && grep -A3 '^sample after step 5:$' <<<"$out" | grep -q '^  | .*[a-z]'; then ok "--sample_every prints the model's text every N steps"
else fail "--sample_every 5 over 10 steps should print two samples"; echo "$out" | tail -8 | sed 's/^/       /'; fi
expect "--max_passes 1 is a plain GPT" 0 "no recursion" -- $MG --train --data "$D" --steps 2 $SMALL --max_passes 1 --save_checkpoint "$W/plain.bin"
expect "a preset trains a plain GPT at its peak lr" 0 "lr 3.0e-03" -- bash -c "$MG --train --data '$D' --steps 2 $SMALL | grep -A3 'no recursion (plain GPT)'"
expect "--max_passes alone switches the preset's recursion on" 0 "mean passes 2, max 4, backprop through last 2" -- \
  $MG --train --data "$D" --steps 1 --preset 8gb --batch_size 2 --max_passes 4 --threads 1
expect "--info" 0 "training state: step 20 of 20" -- $MG --info --checkpoint "$W/m.bin"
expect "--help lists the flags" 0 "--backprop_passes" -- $MG --help
expect "--version" 0 "microgpt" -- $MG --version
if [ "${MG_TEST_REDUCED:-0}" != 0 ]; then  # under qemu: the demo's path, with a short run
  expect "the demo runs (reduced: --steps 30)" 0 "sample with 3 recursion passes" -- $MG --steps 30
else
  expect "no arguments runs the demo" 0 "sample with 3 recursion passes" -- $MG
fi

# --- --eval: every token of the trainer's val split once, as text and as one JSON object
jget() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" <<<"$2"; }
expect "--eval prints the loss and bits per character" 0 "bits/char" -- $MG --eval --checkpoint "$W/m.bin" --data "$D"
val=$($MG --train --data "$D" --steps 1 $SMALL | sed -n 's/.* train \/ \([0-9,]*\) val$/\1/p' | tr -d ,)
j2=$($MG --eval --checkpoint "$W/m.bin" --data "$D" --passes 2 --batch_size 8 --json)
j1=$($MG --eval --checkpoint "$W/m.bin" --data "$D" --passes 1 --json --threads 1)
j2t1=$($MG --eval --checkpoint "$W/m.bin" --data "$D" --passes 2 --batch_size 3 --json --threads 1)
if [ "$(wc -l <<<"$j2")" = 1 ] && [[ "$j2" == \{*\} ]] && [ -n "$val" ] && [ "$(jget tokens "$j2")" = $((val - 1)) ] \
   && [ "$(jget data_is_training_data "$j2")" = true ] && [ "$(jget mean_passes "$j2")" = 2 ] && [ "$(jget split "$j2")" = '"val"' ] \
   && awk -v l="$(jget loss "$j2")" -v b="$(jget bits_per_char "$j2")" 'BEGIN { exit !(l > 0 && (b - l / log(2))^2 < 1e-16) }'; then
  ok "--eval --json: one object, the trainer's $val val tokens less the first, loss in nats and bits"
else fail "--eval --json (val split of $val): $j2"; fi
if awk -v a="$(jget loss "$j2")" -v b="$(jget loss "$j2t1")" -v c="$(jget loss "$j1")" 'BEGIN { exit !((a - b)^2 < 1e-12 && (a - c)^2 > 1e-8) }'; then
  ok "--eval: the same loss at 1 and 2 threads and any batch size, another at 1 pass"
else fail "--eval: 2 passes $(jget loss "$j2") / $(jget loss "$j2t1") (1 thread), 1 pass $(jget loss "$j1")"; fi
ja=$($MG --eval --checkpoint "$W/m.bin" --data "$D" --adaptive --passes 4 --kl_threshold 0.01 --json)
if [ "$(jget adaptive "$ja")" = true ] && awk -v m="$(jget mean_passes "$ja")" 'BEGIN { exit !(m >= 1 && m <= 4) }'; then
  ok "--eval --adaptive reports its mean passes ($(jget mean_passes "$ja"))"
else fail "--eval --adaptive: $ja"; fi
jall=$($MG --eval --checkpoint "$W/m.bin" --data "$D" --split all --json)
if [ "$(jget tokens "$jall")" = $(( $(jget data_tokens "$jall") - 1 )) ] && [ "$(jget val_fraction "$jall")" = null ]; then
  ok "--eval --split all counts every token of the text but the first"
else fail "--eval --split all: $jall"; fi
expect "--eval names another text" 0 "not the text the checkpoint was trained on" -- bash -c "head -c 20000 '$D' > '$W/part.txt'; $MG --eval --checkpoint '$W/m.bin' --data '$W/part.txt'"
expect "--eval without --checkpoint" 2 "--eval needs --checkpoint" -- $MG --eval --data "$D"
expect "--eval without --data" 2 "--eval needs --data" -- $MG --eval --checkpoint "$W/m.bin"
expect "--eval --split must be val or all" 2 "--split must be val or all" -- $MG --eval --checkpoint "$W/m.bin" --data "$D" --split train
expect "--eval --passes 2 on a plain GPT" 2 "without recursion" -- $MG --eval --checkpoint "$W/plain.bin" --data "$D" --passes 2
expect "--eval of a text with unseen characters" 1 "never saw in training" -- bash -c "printf 'Zebra Q' > '$W/alien.txt'; $MG --eval --checkpoint '$W/m.bin' --data '$W/alien.txt'"

# --- Ctrl-C saves, and --resume continues the run exactly where it stopped
$MG --train --data "$D" --steps 100000 $SMALL --save_checkpoint "$W/r.bin" --save_interval 0 > "$W/int.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do grep -q "^step" "$W/int.log" && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
if [ "$rc" = 130 ] && grep -q "(interrupted)" "$W/int.log"; then ok "Ctrl-C saves the checkpoint"; else fail "Ctrl-C: exit $rc"; tail -3 "$W/int.log"; fi
# how far the run got before the signal depends on the machine's speed: resume past it (the
# resumed run saves 10 steps more, so the refused one asks for 20)
done_steps=$($MG --info --checkpoint "$W/r.bin" | sed -n 's/.*training state: step \([0-9]*\) of.*/\1/p')
expect "--resume continues the interrupted run" 0 "resuming after step" -- $MG --train --checkpoint "$W/r.bin" --data "$D" --resume --steps $((${done_steps:-0} + 10)) --threads 1
expect "--resume on other data is refused" 1 "not the data" -- bash -c "head -c 20000 '$D' > '$W/other.txt'; $MG --train --checkpoint '$W/r.bin' --data '$W/other.txt' --resume --steps $((${done_steps:-0} + 20))"

# --- bad input: clear errors, non-zero exits, no crash
expect "unknown flag" 2 "usage: microgpt" -- $MG --bogus
expect "unknown flag is named" 2 "unknown flag '--bogus'" -- $MG --bogus
expect "missing value" 2 "--steps needs a value" -- $MG --train --data "$D" --steps
expect "bad number" 2 "expected a whole number" -- $MG --train --data "$D" --steps ten
expect "two modes" 2 "choose one mode" -- $MG --train --generate
expect "--train without --data" 2 "--train needs --data" -- $MG --train
expect "unknown weight format" 2 "--weights must be fp16 or fp32" -- $MG --generate --weights fp8
expect "stray argument" 2 "unexpected argument" -- $MG --generate hello
expect "missing data file" 1 "cannot open data file" -- $MG --train --data "$W/nope.txt"
expect "heads must divide embed_dim" 1 "divisible by num_heads" -- $MG --train --data "$D" --embed_dim 30 --num_heads 4
expect "unknown preset" 1 "choose one of: micro, 8gb, 16gb, small, medium" -- $MG --train --data "$D" --preset huge
expect "missing checkpoint" 1 "cannot open checkpoint" -- $MG --generate --checkpoint "$W/nope.bin"
printf 'garbage garbage garbage garbage' > "$W/junk.bin"
expect "not a checkpoint" 1 "not a MicroGPT checkpoint" -- $MG --generate --checkpoint "$W/junk.bin"
head -c 3000 "$W/m.bin" > "$W/trunc.bin"
expect "truncated checkpoint" 1 "truncated" -- $MG --generate --checkpoint "$W/trunc.bin"
expect "prompt character outside the vocab" 1 "never saw in training" -- $MG --generate --checkpoint "$W/m.bin" --prompt "Zebra"
expect "architecture flags cannot change a checkpoint" 2 "cannot change the architecture" -- $MG --train --data "$D" --load_checkpoint "$W/m.bin" --embed_dim 128
expect "--resume needs a checkpoint" 2 "--resume needs" -- $MG --train --data "$D" --resume
printf '\xff\xfe bad' > "$W/bad.txt"
expect "data that is not UTF-8" 1 "not valid UTF-8" -- $MG --train --data "$W/bad.txt"
expect "data too small" 1 "needs at least" -- bash -c "printf 'tiny' > '$W/tiny.txt'; $MG --train --data '$W/tiny.txt' --preset micro"
expect "unwritable save path" 1 "cannot create checkpoint" -- $MG --train --data "$D" --steps 2 $SMALL --save_checkpoint /nonexistent/dir/m.bin


# --- hardening (issue 8): crafted checkpoints, one writer per checkpoint, pre-flight checks
# wait_for <file> <text>: until the file holds the text (a background run got that far)
wait_for() { for i in $(seq 1 600); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
$ED "$W/m.bin" "$W/overflow.bin" overflow-config > /dev/null
expect "--info refuses a config whose parameter count overflows 64 bits" 1 "num_layers 1073741824 is too large" -- \
  $MG --info --checkpoint "$W/overflow.bin"
expect "--train --load_checkpoint refuses it too, without crashing" 1 "is damaged" -- \
  $MG --train --data "$D" --steps 2 --batch_size 4 --load_checkpoint "$W/overflow.bin"
$ED "$W/m.bin" "$W/batch.bin" trst 0 40 trst 1 1000000
expect "a resumed batch_size of 10^6 is refused" 1 "--batch_size 1000000 is too large (limit 65536)" -- \
  $MG --train --checkpoint "$W/batch.bin" --data "$D" --resume --save_checkpoint "$W/batch2.bin"
$ED "$W/m.bin" "$W/step.bin" trst 7 -2147483648
expect "a resumed step of INT_MIN is refused" 1 "step -2147483648 is outside" -- $MG --info --checkpoint "$W/step.bin"
$ED "$W/m.bin" "$W/surrogate.bin" vocab 3 0xD800
expect "a surrogate code point in the vocabulary is refused" 1 "a surrogate (not a Unicode character)" -- \
  $MG --generate --checkpoint "$W/surrogate.bin"
$ED "$W/m.bin" "$W/nan.bin" weight 5 nan
expect "a NaN weight is refused" 1 "is not a finite number" -- $MG --generate --checkpoint "$W/nan.bin"

dead=$(bash -c 'echo $$'); live=$$   # a pid that has exited, and this script's own
printf 'x' > "$W/m.bin.tmp-$dead"; printf 'x' > "$W/m.bin.tmp-$live"
$MG --info --checkpoint "$W/m.bin" > /dev/null 2>&1
if [ ! -e "$W/m.bin.tmp-$dead" ] && [ -e "$W/m.bin.tmp-$live" ]; then ok "opening a checkpoint removes a dead saver's temp file, not a live one's"
else fail "stale temp files: dead $([ -e "$W/m.bin.tmp-$dead" ] && echo kept || echo removed), live $([ -e "$W/m.bin.tmp-$live" ] && echo kept || echo removed)"; fi
rm -f "$W/m.bin.tmp-$live"

LONG="--train --data $D --steps 100000 $SMALL --save_interval 0"
$MG $LONG --save_checkpoint "$W/locked.bin" > "$W/first.log" 2>&1 &
first=$!
wait_for "$W/first.log" "step "
expect "a second run into a checkpoint being trained is refused, naming the first" 1 \
  "checkpoint $W/locked.bin is being trained by another process (pid $first)" -- \
  $MG --train --data "$D" --steps 5 $SMALL --save_checkpoint "$W/locked.bin"
kill -INT $first; wait $first
$MG $LONG --save_checkpoint "$W/killed.bin" > "$W/killed.log" 2>&1 &
victim=$!
wait_for "$W/killed.log" "step "
kill -KILL $victim; wait $victim 2>/dev/null
if [ -e "$W/killed.bin.lock" ]; then ok "a killed run leaves its lock file behind"; else fail "no lock file after kill -9"; fi
expect "the lock of a killed run is taken over" 0 "saved $W/killed.bin after step 3 (done)" -- \
  $MG --train --data "$D" --steps 3 $SMALL --save_checkpoint "$W/killed.bin"
if [ ! -e "$W/killed.bin.lock" ]; then ok "a finished run removes its lock file"; else fail "the lock file outlived its run"; fi

mkdir "$W/adir"
expect "a folder as the save target fails before training" 1 "is a folder, not a file" -- \
  $MG --train --data "$D" --steps 2 $SMALL --save_checkpoint "$W/adir"
out=$($MG --train --data "$D" --steps 2 $SMALL --save_checkpoint "$W/adir" 2>&1)
if grep -q "^step" <<<"$out"; then fail "the folder target trained before failing"; fi
expect "a run far larger than this machine's memory is refused at once" 1 "lower the batch size to" -- \
  $MG --train --data "$D" --preset medium --batch_size 65536 --steps 1
out=$($MG --train --data "$D" --preset medium --batch_size 65536 --steps 1 2>&1)
grep -q "of memory is available" <<<"$out" || fail "the memory refusal does not give what is available"
mkdir "$W/tiny"
if mount -t tmpfs -o size=1m tmpfs "$W/tiny" 2>/dev/null; then
  expect "a disk without room for the checkpoint fails before training" 1 "not enough disk space for the checkpoint" -- \
    $MG --train --data "$D" --steps 2 --batch_size 4 --save_checkpoint "$W/tiny/m.bin"
  umount "$W/tiny"
else
  echo "  skip a full disk: cannot mount a 1 MB tmpfs here (mount needs root); test-session covers the same check"
fi

# a final save that keeps failing is retried until a second Ctrl-C gives up, with a clear error
mkdir "$W/gone"
$MG $LONG --save_checkpoint "$W/gone/m.bin" > "$W/gone.log" 2>&1 &
pid=$!
wait_for "$W/gone.log" "step "
rm -rf "$W/gone"; printf 'not a folder' > "$W/gone"
kill -INT $pid
wait_for "$W/gone.log" "trying again in"
kill -INT $pid; wait $pid; rc=$?
if [ "$rc" = 1 ] && grep -q "gave up when stopped again: no checkpoint of this run was saved" "$W/gone.log"; then
  ok "a failing final save retries, and a second Ctrl-C gives up with a clear error"
else fail "final save retry: exit $rc"; tail -4 "$W/gone.log" | sed 's/^/       /'; fi

if [ "$fails" -gt 0 ]; then echo "test-cli: $fails failure(s)"; exit 1; fi
echo "test-cli: all passed"
