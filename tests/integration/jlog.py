#!/usr/bin/env python3
"""jlog.py FILE N|last CHECK...: lwfp-inspect's JSON flow log FILE.

Every line must be a flow log object with the fields of the contract,
well-typed; line N (from 1) or the last one must pass each CHECK:
key=VALUE (VALUE JSON-decoded when it can be, else a string), key>=INT,
key<INT, or !key (absent). Used by expect_flow in lib_inspect.sh.
"""
import json, re, sys

path, which, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = [l for l in open(path) if l.strip()]
if not lines:
    sys.exit(f"{path} is empty")
objs = []
for n, l in enumerate(lines, 1):
    def bad(why):
        sys.exit(f"{path} line {n}: {why}: {l.strip()}")
    try:
        o = json.loads(l)
    except ValueError as e:
        bad(f"not JSON ({e})")
    if not isinstance(o, dict):
        bad("not an object")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(o.get("time"))):
        bad("time is not RFC 3339 UTC with milliseconds")
    for k in ("bytes_up", "bytes_down", "duration_ms"):
        if type(o.get(k)) is not int or o[k] < 0:
            bad(f"{k} is not a count")
    if o.get("verdict") not in ("pass", "block", "error"):
        bad("bad verdict")
    if ("rule" in o) != (o["verdict"] == "block") or ("error" in o) != (o["verdict"] == "error"):
        bad("rule or error does not go with the verdict")
    if "token" in o and not re.fullmatch(r"[0-9a-f]{16}", str(o["token"])):
        bad("token is not 16 hex digits")
    if "token" in o and not (isinstance(o.get("chain"), list) and o["chain"]):
        bad("token without a chain")
    if "pid" in o and not (type(o["pid"]) is int and type(o.get("uid")) is int
                           and isinstance(o.get("comm"), str)):
        bad("pid, comm and uid do not come together, well-typed")
    if "exe_ino" in o and not (type(o["exe_ino"]) is int and type(o.get("ppid")) is int
                               and type(o.get("pexe_ino")) is int
                               and all(o.get(k) is None or isinstance(o[k], str)
                                       for k in ("exe", "pexe"))):
        bad("exe, ppid and pexe do not come together, well-typed")
    if "dns_name" in o and not (isinstance(o["dns_name"], str) and o["dns_name"]):
        bad("dns_name is not a name")
    objs.append(o)
i = len(objs) if which == "last" else int(which)
if not 1 <= i <= len(objs):
    sys.exit(f"{path} has {len(objs)} lines, no line {which}")
o = objs[i - 1]
for c in checks:
    if c.startswith("!"):
        ok, want = c[1:] not in o, "absent"
        got = o.get(c[1:])
    elif ">=" in c:
        k, v = c.split(">=", 1)
        got, want = o.get(k), f">= {v}"
        ok = type(got) is int and got >= int(v)
    elif "<" in c and "=" not in c:
        k, v = c.split("<", 1)
        got, want = o.get(k), f"< {v}"
        ok = type(got) is int and got < int(v)
    else:
        k, v = c.split("=", 1)
        try:
            v = json.loads(v)
        except ValueError:
            pass
        got, want = o.get(k), repr(v)
        ok = got == v and type(got) is type(v)
    if not ok:
        sys.exit(f"{path} line {i}: {c.split('=')[0].split('>')[0].split('<')[0]} is {got!r}, want {want}: {lines[i - 1].strip()}")
