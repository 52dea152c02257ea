#!/bin/sh
# machine.sh - one line saying what machine a benchmark ran on, as the
# reports in README.md give it: CPUs, model, memory, system, kernel, load.
printf 'machine: %s CPUs, %s, %s MiB, %s, kernel %s; load average %s\n' \
    "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
    "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" \
    "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown OS}")" \
    "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
