# Sourced by the benchmark drivers (run-throughput.sh, image-throughput.sh): facts about the host.

# The OpenBLAS core type for this CPU's flags (Debian's torch uses OpenBLAS, which falls back to slow
# generic kernels on some CPUs unless OPENBLAS_CORETYPE names the family); empty when none fits.
detect_coretype() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  case "$flags" in
    *" avx512_bf16 "*) echo Cooperlake ;;
    *" avx512f "*)     echo SkylakeX ;;
    *" avx2 "*)        echo Haswell ;;
    *)                 echo "" ;;
  esac
}

# CPU busy % over 2 s, all processes (also ones in other namespaces): a benchmark is only meaningful
# on an otherwise idle machine.
host_busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  (( total > 0 )) && echo $(( 100 * (total - idle) / total )) || echo 0
}
