# TAP for the shell suites (sourced from the top of the tree, after the
# suite's own "set -u"): the test counter n, the failure flag failed, and
#   t CMD...              one test: "ok N - $desc" when CMD succeeds, else
#                         "not ok N - $desc", failed=1 and status 1
#   skip REASON           one test skipped: "ok N # SKIP REASON"
#   ok WHAT / not_ok WHAT one test whose verdict the caller has found
#   skip_all REASON       the whole suite skipped: "1..0 # SKIP REASON", exit 0
# and wait_for from tests/lib/wait.sh.
. tests/lib/wait.sh
n=0; failed=0

t() {
	n=$((n+1))
	if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; return 1; fi
}

skip() { n=$((n+1)); echo "ok $n # SKIP $1"; }

ok() { n=$((n+1)); echo "ok $n - $*"; }
not_ok() { n=$((n+1)); failed=1; echo "not ok $n - $*"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
