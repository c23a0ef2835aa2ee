#!/bin/bash
# The certificates screen with a config: k shows the subject, issuer and
# expiry of every file the config names; a PKCS#12 with 19 days left is
# imported with a warning, and its file names are written into site.conf
# through the setup screen, which shows them.
. "$(dirname "$0")/tmux.lib"
E=$T/etc
C=$E/site.conf
PW=Cfg-P12-Pass-5512
mkdir -p "$E" "$T/usb" "$T/gen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	-subj "/O=Example CA/CN=Example Root CA" \
	-keyout "$T/gen/ca.key" -out "$E/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=Example Clinic/CN=clinic-0112345678" \
	-keyout "$T/gen/k.pem" -out "$T/gen/c.csr" 2>/dev/null
openssl x509 -req -in "$T/gen/c.csr" -CA "$E/ca.crt" -CAkey "$T/gen/ca.key" -CAcreateserial \
	-days 20 -out "$T/gen/c.pem" 2>/dev/null
openssl pkcs12 -export -in "$T/gen/c.pem" -inkey "$T/gen/k.pem" -name terminal \
	-passout "pass:$PW" -out "$T/usb/terminal.p12"
rm -rf "$T/gen"
{ sed 's/^\[terminal\]$/&\nsegment = lan/' tests/data/config/valid/ipvpn.conf
  printf '\n[probe.tls.hweb]\nhost = hweb.example\nca = %s\nclient_p12 = %s\npassword_file = %s\n' \
	"$E/ca.crt" "$E/old.p12" "$E/old.p12.pass"
} > "$C"

start 100 40 --lang ja --config "$C" tui --refresh 0 --screen certs
wait_for "m で USB メモリなどから" 30
k m
lit "$T/usb/terminal.p12"
k Enter
wait_for "文字は表示しません" 30
lit "$PW"
k Enter
t "the facts of the file are shown" wait_for "CN = clinic-0112345678" 30
t "19 days left is a warning, said in words" matches "残り日数 +19 日 +WARN"
t "the warning says what to do" has "30 日を切りました"
shot certs-config-1-facts
k Enter
t "the import is said" wait_for "取り込みました: $E/terminal.p12" 30
t "the config is written, not left to retype" has "$C に書きました"
shot certs-config-2-imported
inconf() { grep -qxF "client_p12 = $E/terminal.p12" "$C" && grep -qxF "password_file = $E/terminal.p12.pass" "$C"; }
t "site.conf names the imported file and its password file" inconf
valid() { "$O" --config "$C" config check >/dev/null 2>&1; }
t "and passes config check" valid
k Escape

# the setup screen shows the new values
k s
seen=no
for _ in 1 2 3 4 5 6 7; do
	if has "$E/terminal.p12.pass"; then seen=yes; break; fi
	k n
done
t "the setup screen shows the imported password file" test $seen = yes
shot certs-config-3-setup

# k: subject, issuer and expiry of each file the config names
k c
k k
t "k shows the certificate's subject" wait_for "主体者    O = Example Clinic, CN = clinic-0112345678" 30
t "k shows the issuer" has "発行者    O = Example CA, CN = Example Root CA"
t "k shows the expiry, days left and the verdict" matches "期限 +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]+ UTC \(残り 19 日\) +WARN"
t "k shows the CA's facts too" has "TLS の CA"
shot certs-config-4-check
k l
t "in English: subject, issuer, expiry" bash -c "sleep 0.3; tmux -L $SOCK capture-pane -p -t ui | grep -qE 'Expires +20[0-9-]+ [0-9:]+ UTC \(19 days left\) +WARN'"
k l
k q
wait_for "EXIT=0" 50
t "q quits with exit 0" has "EXIT=0"
done_tests
