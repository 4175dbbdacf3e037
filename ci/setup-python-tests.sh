#!/usr/bin/env bash
# The integration tests drive the CLI from pytest, several tests at once with pytest-xdist
# (make test); installs what the machine lacks.
set -euo pipefail
if python3 -c 'import pytest' 2>/dev/null; then
  echo "setup-python-tests: pytest present"
else
  python3 -m pip install --quiet 'pytest>=7,<9'
fi
if python3 -c 'import xdist' 2>/dev/null; then
  echo "setup-python-tests: pytest-xdist present"
else
  python3 -m pip install --quiet 'pytest-xdist>=3.5,<4'
fi
