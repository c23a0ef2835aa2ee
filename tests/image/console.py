#!/usr/bin/env python3
"""Drive the appliance's serial console (a qemu socket chardev).

    console.py SOCKET STEP...

Each STEP is one of
    expect=REGEX      wait for REGEX (the timeout in force), fail if it does not come
    send=TEXT         send TEXT (\\r, \\n, \\x1b escapes are understood)
    line=TEXT         send TEXT and a carriage return
    timeout=SECONDS   the timeout of the following expects
    mark=NAME         print "NAME SECONDS" (seconds since the start) on stdout
    press=TEXT=>RE    send TEXT every 5 s until RE comes (a screen may drop keys
                      typed while it starts), fail after the timeout
    sendif=RE=>TEXT   send TEXT only if the last expect's match matched RE
    expectif=RE=>RX   expect RX only if the last expect's match matched RE
Everything the console prints is appended to $CONSOLE_LOG when it is set.
Exit 0 when every step passed, 1 when an expect timed out, 3 on other errors.
"""
import codecs
import os
import re
import socket
import sys
import time
import warnings

import pexpect
import pexpect.fdpexpect


def main(argv):
    # \$ and the like pass through the escape decoding unchanged
    warnings.simplefilter("ignore", DeprecationWarning)
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 3
    start = time.monotonic()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(argv[1])
    except OSError as e:
        print(f"console: cannot connect to {argv[1]}: {e}", file=sys.stderr)
        return 3
    log = None
    if os.environ.get("CONSOLE_LOG"):
        log = open(os.environ["CONSOLE_LOG"], "ab")
    con = pexpect.fdpexpect.fdspawn(sock.fileno(), timeout=30, logfile=log)
    timeout = 30.0
    last = ""
    for step in argv[2:]:
        kind, _, arg = step.partition("=")
        if kind in ("sendif", "expectif"):
            cond, _, arg = arg.partition("=>")
            if not re.search(cond, last):
                continue
            kind = kind[:-2]
        if kind == "timeout":
            timeout = float(arg)
        elif kind == "expect":
            try:
                con.expect(arg.encode(), timeout=timeout)
                last = con.match.group(0).decode("utf-8", "replace")
            except pexpect.TIMEOUT:
                tail = con.before[-400:].decode("utf-8", "replace") if con.before else ""
                print(f"console: no /{arg}/ within {timeout:.0f} s; last output:\n{tail}",
                      file=sys.stderr)
                return 1
            except pexpect.EOF:
                print(f"console: the console closed while waiting for /{arg}/", file=sys.stderr)
                return 1
        elif kind == "press":
            text, _, rx = arg.partition("=>")
            end = time.monotonic() + timeout
            while True:
                con.send(text.encode("utf-8"))
                try:
                    con.expect(rx.encode(), timeout=min(5.0, max(0.1, end - time.monotonic())))
                    last = con.match.group(0).decode("utf-8", "replace")
                    break
                except pexpect.TIMEOUT:
                    if time.monotonic() >= end:
                        print(f"console: no /{rx}/ within {timeout:.0f} s of pressing {text!r}",
                              file=sys.stderr)
                        return 1
                except pexpect.EOF:
                    print(f"console: the console closed while waiting for /{rx}/", file=sys.stderr)
                    return 1
        elif kind in ("send", "line"):
            text = codecs.decode(arg.encode("utf-8"), "unicode_escape").encode("latin-1").decode("utf-8")
            if kind == "line":
                text += "\r"
            con.send(text.encode("utf-8"))
        elif kind == "mark":
            print(f"{arg} {time.monotonic() - start:.1f}", flush=True)
        else:
            print(f"console: unknown step '{step}'", file=sys.stderr)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
