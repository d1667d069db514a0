#!/usr/bin/env bash
# The session-music model on one CUDA GPU (docs/train.md, "A session-music model"):
# stage 1 fine-tunes the music21 model on the clean dance tunes; stages 2-4 each train on
# the dance tunes and the previous stage's own tunes written under the bars constraint (and
# the AABB form in the dance tunes' share of it). Run from the repository root:
#   bash recipes/session-gpu/run.sh OUT_DIR [TAR_DIR]
# Each stage's model lands in OUT_DIR/stageN (and, with TAR_DIR, as TAR_DIR/stageN.tar as soon
# as it is done). On a CPU, set "device": "cpu" and "workers" to your core count in the
# settings files and expect hours, not minutes.
set -euo pipefail
out=${1:?usage: run.sh OUT_DIR [TAR_DIR]}
tars=${2:-}
here=$(dirname "$0")
mkdir -p "$out"
for settings in "$here"/[0-9]-*-settings.json; do
  k=$(basename "$settings" | cut -d- -f1)
  # the settings name the previous stage as "stageN": give it as a path under OUT_DIR
  python3 - "$settings" "$out" > "$out/stage$k-settings.json" <<'PY'
import json, sys, os
s = json.load(open(sys.argv[1]))
if s["init"].startswith("stage"):
    s["init"] = os.path.join(sys.argv[2], s["init"])
print(json.dumps(s, indent=2))
PY
  python3 -m folkabc train --settings "$out/stage$k-settings.json" --out "$out/stage$k" --quiet
  if [ -n "$tars" ]; then tar cf "$tars/stage$k.tar" -C "$out" "stage$k"; fi
done
