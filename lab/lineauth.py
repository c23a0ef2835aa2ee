#!/usr/bin/python3
"""The lab's line authentication page (www.lineauth.mnw).

usage: lineauth.py ADDRESS PORT CUSTOMER_ID STATE_FILE [SEEN_FILE]

Answers "認証済みです" for the registered line: GET / (or GET /?id=ID with the
registered customer ID). With STATE_FILE present (the lineauth-unregistered
fault), or for another ID, answers "未認証です". With SEEN_FILE, each
authenticated request writes the client's address there (over IPv6 the
line's prefix is what the real page binds the customer ID to).
"""
import http.server
import os
import socket
import socketserver
import sys
import urllib.parse

ADDR, PORT, CUSTOMER, STATE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
SEEN = sys.argv[5] if len(sys.argv) > 5 else None

PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="UTF-8"><title>回線認証</title></head>
<body><h1>回線認証</h1><p>お客さまID: {cid}</p><p>{verdict}</p></body></html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "lineauth/1"

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        cid = query.get("id", [CUSTOMER])[0]
        ok = not os.path.exists(STATE) and cid == CUSTOMER
        verdict = "認証済みです" if ok else "未認証です"
        body = PAGE.format(cid=cid if ok else "-", verdict=verdict).encode()
        if ok and SEEN:
            with open(SEEN + ".tmp", "w") as f:
                f.write(self.client_address[0] + "\n")
            os.replace(SEEN + ".tmp", SEEN)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
        sys.stderr.flush()


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    address_family = socket.AF_INET6 if ":" in ADDR else socket.AF_INET

    def server_bind(self):
        # HTTPServer.server_bind looks the name up in DNS: there is none here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = ADDR, PORT


Server((ADDR, PORT), Handler).serve_forever()
