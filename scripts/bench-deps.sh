#!/bin/sh
# What `make bench` needs from the system: Debian's wrk (the HTTP load generator). Installed
# when missing and we are root, as scripts/browser-deps.sh does for Chromium; otherwise one
# line says what to run and bench/run.py exits 2.
set -eu

command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing wrk for the benchmark (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq wrk >/dev/null
    command -v wrk >/dev/null 2>&1 && exit 0
    echo "apt-get ran but wrk is still missing" >&2
fi
# not fatal here: bench/run.py says what is missing and exits 2
echo "the benchmark needs wrk: sudo apt-get install wrk" >&2
