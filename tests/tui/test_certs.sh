#!/bin/bash
# The certificates screen, driven by tmux: import a PKCS#12 from a path (a
# USB stick) with its password typed without echo; the screen shows the
# subject, the days left and the key check, and the password lands only in
# the 0600 password file beside the copy.
. "$(dirname "$0")/tmux.lib"
C=$T/etc/site.conf
PW=Usb-P12-Pass-9731
BAD=Not-The-Pass-4462
mkdir -p "$T/usb" "$T/gen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 45 \
	-subj "/O=Example Clinic/CN=clinic-1312345678" \
	-keyout "$T/gen/k.pem" -out "$T/gen/c.pem" 2>/dev/null
openssl pkcs12 -export -in "$T/gen/c.pem" -inkey "$T/gen/k.pem" -name terminal \
	-passout "pass:$PW" -out "$T/usb/terminal.p12"
rm -rf "$T/gen"

start 100 32 --lang ja --config "$C" tui --refresh 0
k c
t "the certificates screen offers the import" wait_for "m で USB メモリなどから" 30
shot certs-1-idle

# a wrong password: said, not shown, nothing written, asked again
k m
lit "$T/usb/terminal.p12"
k Enter
t "the password is asked for without echo" wait_for "文字は表示しません" 30
lit "$BAD"
t "a wrong password is not echoed while typed" hasnt "$BAD"
k Enter
t "a wrong password is said" wait_for "パスワードが違います" 30
t "the wrong password is not shown" hasnt "$BAD"
t "nothing is imported with a wrong password" test ! -e "$T/etc/terminal.p12"
t "the password is asked again" has "文字は表示しません"
shot certs-2-wrong-password

# the right one: the facts, then the import
lit "$PW"
t "the password is not echoed while typed" hasnt "$PW"
shot certs-3-typing
k Enter
t "the subject is shown" wait_for "CN = clinic-1312345678" 30
t "the days left are shown" matches "残り日数 +4[45] 日"
t "the key is checked against the certificate" has "OK 証明書と一致します"
t "the validity is shown" matches "有効期間の終了 +20[0-9]{2}-"
t "the password is not shown with the facts" hasnt "$PW"
shot certs-4-facts
k Enter
t "the import is said" wait_for "取り込みました: $T/etc/terminal.p12" 30
t "the keys to set are named" has "password_file = $T/etc/terminal.p12.pass"
t "the password is not shown after the import" hasnt "$PW"
shot certs-5-imported
k l
t "in English the days left and key check read" bash -c "sleep 0.3; tmux -L $SOCK capture-pane -p -t ui | grep -qE 'Days left +4[45] days' && tmux -L $SOCK capture-pane -p -t ui | grep -q 'OK matches the certificate'"
shot certs-6-imported-en

modes() { [ "$(stat -c %a "$T/etc/terminal.p12")" = 600 ] && [ "$(stat -c %a "$T/etc/terminal.p12.pass")" = 600 ]; }
t "the copy and the password file are mode 0600" modes
same() { cmp -s "$T/usb/terminal.p12" "$T/etc/terminal.p12" && [ "$(head -1 "$T/etc/terminal.p12.pass")" = "$PW" ]; }
t "the copy is the file and the password file holds the password" same
only_pass() {
	local hits
	hits=$(grep -rlaF -- "$PW" "$T" "$ART" 2>/dev/null)
	[ "$hits" = "$T/etc/terminal.p12.pass" ]
}
t "the password is in no file but the 0600 password file" only_pass

k Escape
# the file names wait in the setup screen (this config has no TLS host yet)
k q
shot certs-7-quit
t "q asks first: the imported names are not saved yet" has "Quit anyway? (y/n)"
k y
t "y quits with exit 0" wait_for "EXIT=0" 50
done_tests
