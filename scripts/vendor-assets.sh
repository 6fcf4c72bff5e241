#!/usr/bin/env bash
# Copy the front-end libraries from their npm packages into static/vendor, served by whitenoise.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --silent
mkdir -p static/vendor
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
# the minified file names its source map; collectstatic (production) refuses a missing one
cp node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chart.umd.min.js.map
# drag-and-drop ordering of the survey editor's questions (their keyboard buttons work without it)
cp node_modules/sortablejs/Sortable.min.js static/vendor/Sortable.min.js
