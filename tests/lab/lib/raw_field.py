#!/usr/bin/env python3
"""Read swanctl --raw output (stdin) for the conn or IKE_SA NAME.
raw_field.py NAME WHERE FIELD VALUE: exit 0 when FIELD under WHERE is VALUE.
raw_field.py --get NAME WHERE FIELD: print it.
WHERE: "local" (the local auth section), "child" (the first CHILD_SA or
child config), "ike" (the connection or IKE_SA itself)."""
import re
import sys


def parse(text):
    """Tokens of `swanctl --raw`: name {, }, name=value, name=[a b]."""
    toks = re.findall(r"([\w.-]+)=\[([^\]]*)\]|([\w.-]+)=(\S*)|([\w.-]+) \{|(\})", text)
    root = {}
    stack = [root]
    for lname, lval, kname, kval, sec, end in toks:
        if sec:
            d = {}
            stack[-1].setdefault(sec, d)
            stack.append(d)
        elif end:
            if len(stack) > 1:
                stack.pop()
        elif lname:
            stack[-1][lname] = lval.split()
        elif kname:
            stack[-1][kname] = kval
    return root


def find(root, name, where):
    sec = root.get(name)
    if sec is None:
        return None
    if where == "ike":
        return sec
    if where == "local":
        for k, v in sec.items():
            if k.startswith("local") and isinstance(v, dict):
                return v
        return None
    for key in ("children", "child-sas"):
        kids = sec.get(key)
        if isinstance(kids, dict) and kids:
            return next(iter(kids.values()))
    return None


def main():
    args = sys.argv[1:]
    get = args and args[0] == "--get"
    if get:
        args = args[1:]
    name, where, field = args[:3]
    root = {}
    for line in sys.stdin:
        # "list-conn event {NAME {...}}": the part after "event"
        if " event {" in line:
            root.update(parse(line.split(" event ", 1)[1][1:]))
    sec = find(root, name, where)
    value = sec.get(field) if isinstance(sec, dict) else None
    if get:
        print(value if value is not None else "")
        return 0
    return 0 if value == args[3] else 1


sys.exit(main())
