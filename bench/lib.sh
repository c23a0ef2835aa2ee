# Helpers of the benchmarks (sourced from the top of the tree, not run):
#   ms       the wall clock in milliseconds
#   median   the median of the numbers on stdin, one a line
ms() { date +%s%N | cut -c1-13; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
