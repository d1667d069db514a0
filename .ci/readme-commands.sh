#!/usr/bin/env bash
# Runs the README's test command exactly as the README writes it (extracted from the block
# between the <!-- test-command --> markers), so the README stays true.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=$(awk '/<!-- test-command -->/{f=1;next} /<!-- \/test-command -->/{f=0} f && !/^```/' README.md)
echo "+ $cmd"
eval "$cmd"
