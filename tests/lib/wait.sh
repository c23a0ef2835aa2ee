# wait_for SECS CMD...: poll CMD every 0.2 s until it succeeds, at most SECS
# seconds; then CMD's status on a last try (sourced from the top of the tree).
wait_for() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}
