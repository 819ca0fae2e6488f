#!/bin/sh
# SPDX-License-Identifier: MIT
# The functions include/epcmm.h declares, one per line, sorted: every line at
# column 0 that is not a comment or preprocessor line and names epc_*( is a
# prototype's first line (members and macros are indented or start with #).
set -eu
grep -E '^[a-z][^#(]*[ *]epc_[a-z0-9_]+\(' "$1" | sed -E 's/^[^(]*[ *](epc_[a-z0-9_]+)\(.*/\1/' | sort -u
