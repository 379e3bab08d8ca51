# Sourced by the scripts: project-local toolchain and quiet, offline-friendly Reflex settings.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/bin:$PATH"
export REFLEX_BUN_PATH="$ROOT/.tools/bin/bun"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export BUN_INSTALL_CACHE_DIR="$ROOT/.tools/bun-cache"
export NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}"
. "$ROOT/.venv/bin/activate"
