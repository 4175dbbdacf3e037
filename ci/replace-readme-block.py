#!/usr/bin/env python3
"""Replaces what lies between <!-- NAME:begin --> and <!-- NAME:end --> in README.md with stdin,
so generated figures are never edited by hand.   usage: ... | ci/replace-readme-block.py NAME"""
import re
import sys

name = sys.argv[1]
body = sys.stdin.read().strip()
readme = open("README.md").read()
block = f"<!-- {name}:begin -->\n{body}\n<!-- {name}:end -->"
new, n = re.subn(rf"<!-- {name}:begin -->.*?<!-- {name}:end -->", lambda m: block, readme, flags=re.S)
if n != 1:
    sys.exit(f"README.md has no {name} markers")
open("README.md", "w").write(new)
