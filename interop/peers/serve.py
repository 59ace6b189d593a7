"""JSON-lines request/response server around one peer engine.

Usage: python serve.py deltars|spark

The Go side of the interop suite starts one server per engine and keeps it for
the whole run (a Spark JVM costs 10-20 s to start). Each request is one JSON
object on stdin, {"id": n, "op": name, ...args}; each response is one JSON
object on stdout, {"id": n, "ok": true, "result": ...} or {"id": n, "ok":
false, "error": "...", "trace": "..."}. Before the first request the server
prints {"ready": true, "engine": ..., "versions": {...}}.

Everything else the engine prints (the JVM writes to fd 1 too) is sent to
stderr: the protocol stream is a private duplicate of the original stdout.
"""

import json
import os
import sys
import time
import traceback


def _protocol_stream():
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto


def main():
    os.environ["TZ"] = "UTC"
    time.tzset()
    if len(sys.argv) != 2 or sys.argv[1] not in ("deltars", "spark"):
        print("usage: serve.py deltars|spark", file=sys.stderr)
        return 2
    proto = _protocol_stream()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if sys.argv[1] == "spark":
        import spark_peer as module
    else:
        import deltars_peer as module
    peer = module.Peer()
    proto.write(json.dumps({"ready": True, "engine": peer.engine, "versions": peer.versions()}) + "\n")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        rid = req.pop("id", None)
        op = req.pop("op", "")
        started = time.monotonic()
        try:
            fn = getattr(peer, "op_" + op, None)
            if fn is None:
                raise ValueError("unknown op %r" % op)
            result = fn(**req)
            resp = {"id": rid, "ok": True, "result": result}
        except Exception as exc:  # reported to the caller, never fatal
            resp = {"id": rid, "ok": False, "error": "%s: %s" % (type(exc).__name__, _first_line(exc)),
                    "trace": traceback.format_exc()[-4000:]}
        proto.write(json.dumps(resp) + "\n")
        proto.flush()
        print("interop-peer: %s %s %.2fs %s" % (op, req.get("scenario") or req.get("path") or "",
              time.monotonic() - started, "ok" if resp["ok"] else "error"), file=sys.stderr, flush=True)
        if op == "shutdown":
            break
    peer.close()
    return 0


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else ""


if __name__ == "__main__":
    sys.exit(main())
