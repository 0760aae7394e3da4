#!/usr/bin/env bash
# C++ compiler wrapper used when building mmcv 2.1.0 against torch >= 2.10:
# torch's headers need C++20 but mmcv's setup.py hard-codes -std=c++17.
args=()
for a in "$@"; do
  case "$a" in -std=c++14|-std=c++17) a=-std=c++20 ;; esac
  args+=("$a")
done
exec "${MMLEAN_REAL_CXX:-g++}" "${args[@]}"
