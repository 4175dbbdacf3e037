#!/usr/bin/env bash
# The integration tests drive the CLI from pytest; install it when the machine lacks it.
set -euo pipefail
if python3 -c 'import pytest' 2>/dev/null; then
  echo "setup-python-tests: pytest present"
else
  python3 -m pip install --quiet 'pytest>=7,<9'
fi
