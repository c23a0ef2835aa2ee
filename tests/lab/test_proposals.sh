#!/bin/bash
# oqlink's proposal table against the real charon: every keyword, in the
# minimal IKE and ESP proposals around it, plus the rules' edge cases, is
# loaded into charon with swanctl; charon must accept exactly what
# `oqlink ipsec proposals` accepts. Then `config check` asks charon itself,
# and says when it could not.
# charon takes or refuses a proposal at load time by its keyword table and
# rules alone, not by its loaded plugins: the plugin list here (the lab's,
# with kdf) lacks serpent, twofish, blowfish, camellia and ntru, and
# those keywords still load; whether they can be negotiated is another
# matter (diagnose reports NO_PROPOSAL_CHOSEN).
set -u
cd "$(dirname "$0")/../.."
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
. tests/lib/tap.sh
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..6"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null ||
   ! command -v python3 >/dev/null; then
	for i in $(seq 6); do echo "ok $i # SKIP needs root, charon, swanctl and python3"; done
	exit 0
fi

. tests/lab/lib/charon_pair.sh
pair_setup oqp$$ || exit 1
start_charon "$A" a
for i in $(seq 100); do [ -S "$D/a.vici" ] && break; sleep 0.1; done
check "charon started with the lab's plugins (kdf among them)" \
	'[ -S "$D/a.vici" ] && grep -q " kdf " "$D/a.conf"'

# --- the cases: every keyword in minimal proposals, and the rules ---
"$OQLINK" --json ipsec proposals > "$D/table.json"
python3 - "$D/table.json" "$D" <<'PY'
import json, sys
table = json.load(open(sys.argv[1])); d = sys.argv[2]
ike, esp = [], []
for k in table:
    kw, t = k["keyword"], k["type"]
    if t == "ENCR":
        ike += [kw + "-sha256-modp2048", kw + "-prfsha256-modp2048", kw + "-sha256"]
        esp += [kw, kw + "-aes128gcm16", kw + "-aes128-sha256"]
    elif t == "INTEG":
        ike += ["aes128-" + kw + "-modp2048", "aes128-" + kw + "-prfsha256-modp2048"]
        esp += ["aes128-" + kw, kw]
    elif t == "PRF":
        ike += ["aes128gcm16-" + kw + "-modp2048", kw + "-modp2048"]
        esp += ["aes128-sha256-" + kw]
    elif t == "KE":
        ike += ["aes128-sha256-" + kw, "aes128gcm16-" + kw]
        esp += ["aes128gcm16-" + kw]
    else:
        ike += ["aes128-sha256-modp2048-" + kw]
        esp += ["aes128gcm16-" + kw]
ike += ["default", "aes128-sha256-x25519", "aes128-sha256_96-modp2048",
        "aes128gcm16-sha256-x25519", "aes128-sha256-none", "aes128-sha256-modpnull",
        "aes128-sha256-x25519-ke1_mlkem768", "AES128-sha256-modp2048", "aes128-sha256"]
esp += ["default", "aes128gcm128-x25519", "aes128gcm128-x25519-esn", "aes256-sha256-prfsha256",
        "aes128gcm16-sha256", "aes128-aes128gcm16", "sha256", "ke1_x25519-aes128gcm16"]
open(d + "/ike.list", "w").write("\n".join(ike) + "\n")
open(d + "/esp.list", "w").write("\n".join(esp) + "\n")
with open(d + "/cases.conf", "w") as f:
    f.write("connections {\n")
    for kind, lst in (("ike", ike), ("esp", esp)):
        for i, p in enumerate(lst):
            f.write("  %s%d {\n    version = 2\n    proposals = %s\n" % (kind, i, p if kind == "ike" else "default"))
            f.write("    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n")
            f.write("    children {\n      c {\n        esp_proposals = %s\n        start_action = none\n      }\n    }\n  }\n" % (p if kind == "esp" else "default"))
    f.write("}\n")
PY
swanctl --load-conns --file "$D/cases.conf" --uri "unix://$D/a.vici" > "$D/swanctl.out" 2> "$D/swanctl.err"
for kind in ike esp; do
	mapfile -t props < "$D/$kind.list"
	"$OQLINK" --json ipsec proposals --$kind "${props[@]}" > "$D/$kind.ours.json"
done
python3 - "$D" > "$D/compare.out" <<'PY'
import json, re, sys
d = sys.argv[1]
out = open(d + "/swanctl.out").read() + open(d + "/swanctl.err").read()
loaded = set(re.findall(r"loaded connection '([a-z]+[0-9]+)'", out))
refused = set(re.findall(r"loading connection '([a-z]+[0-9]+)' failed", out))
bad = 0; total = 0
for kind in ("ike", "esp"):
    ours = json.load(open("%s/%s.ours.json" % (d, kind)))
    for i, o in enumerate(ours):
        name = "%s%d" % (kind, i)
        if name not in loaded and name not in refused:
            print("# %s (%s): swanctl said nothing" % (name, o["proposal"])); bad += 1; continue
        total += 1
        if (name in loaded) != o["valid"]:
            bad += 1
            print("# %s %s: charon %s, oqlink %s" % (kind, o["proposal"],
                  "accepts" if name in loaded else "refuses",
                  "accepts" if o["valid"] else "refuses (%s)" % o["problem"]))
print("# compared %d proposals, %d accepted by charon, %d disagreements" % (total, len(loaded), bad))
sys.exit(1 if bad or total < 300 else 0)
PY
rc=$?
check "charon accepts exactly the proposals oqlink's table accepts" '[ $rc = 0 ]'
cat "$D/compare.out"
check "keywords of plugins not loaded here still load (serpent256, ntru128)" \
	'grep -qx "loaded connection .esp$(grep -nx serpent256 "$D/esp.list" | cut -d: -f1 | xargs -I{} expr {} - 1)." "$D/swanctl.out" &&
	 grep -qx "loaded connection .ike$(grep -nx aes128-sha256-ntru128 "$D/ike.list" | cut -d: -f1 | xargs -I{} expr {} - 1)." "$D/swanctl.out" &&
	 ! grep -qE "(serpent|ntru)" "$D/a.conf"'

# --- config check asks charon ---
sed -i "s|^esp_proposals = .*|esp_proposals = aes128gcm128-x25519|; s|^ike_proposals = .*|ike_proposals = aes128-sha256-x25519|" "$D/site.conf"
out=$(ip netns exec "$A" "$OQLINK" --lang en config check "$D/site.conf" 2>&1); rc=$?
check "config check: strongSwan's net2net-cert proposals pass, charon agrees" \
	'[ $rc = 0 ] && [[ "$out" == *"charon accepts the proposals too"* ]]'
ip netns exec "$A" swanctl --list-conns --uri "unix://$D/a.vici" > "$D/after.txt" 2>&1
check "the throwaway connection is gone afterwards" \
	'! grep -q oqlink-proposal-check "$D/after.txt"'
for pid in $(ip netns pids "$A"); do kill "$pid"; done
for i in $(seq 50); do [ -n "$(ip netns pids "$A")" ] || break; sleep 0.1; done
out=$(ip netns exec "$A" "$OQLINK" --lang en config check "$D/site.conf" 2>&1); rc=$?
check "config check without charon: table only, and says so" \
	'[ $rc = 0 ] && [[ "$out" == *"checked against strongSwan 5.9'"'"'s table only"* ]]'
[ $rc = 0 ] || echo "$out" | sed 's/^/# /'
exit $failed
