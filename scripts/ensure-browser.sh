#!/usr/bin/env bash
# The end-to-end tests drive Debian's Chromium; install it when it is missing and we may.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
else
  echo "Chromium is missing: install it with 'apt-get install -y chromium chromium-driver'" >&2
  exit 1
fi
