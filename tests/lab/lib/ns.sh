# Network namespaces of the calling test's own, named "$P-NAME" (sourced;
# needs P):
#   in_ns NAME CMD...  run CMD in the namespace NAME
#   ns_add NAME...     make the namespaces, each with its loopback up
#   ns_del NAME...     end whatever still runs in the namespaces (servers
#                      started through in_ns run in a subshell whose pid is
#                      not theirs), then delete them

in_ns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

ns_add() {
	local ns
	for ns; do
		ip netns add "$P-$ns"
		in_ns "$ns" ip link set lo up
	done
}

ns_del() {
	local ns
	for ns; do
		ip netns pids "$P-$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$P-$ns" 2>/dev/null
	done
}
