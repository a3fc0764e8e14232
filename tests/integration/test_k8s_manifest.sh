#!/bin/bash
# dist/kubernetes/lwfp-daemonset.yaml, as far as it can be checked without a
# cluster: it parses as YAML (python3-yaml), holds the Namespace, ConfigMap
# and DaemonSet docs/deploy.md describes, with the settings the engine needs
# (hostPID, hostNetwork, privileged containers, the node's cgroup v2 root
# and bpffs, the policy mounted at /etc/lwfp), and the ConfigMap's lwfp.conf
# is policy this lwfpctl accepts.
. "$(dirname "$0")/lib.sh"

MANIFEST=$LWFP_ROOT/dist/kubernetes/lwfp-daemonset.yaml
"$PY" -c 'import yaml' 2>/dev/null || fail "python3-yaml is missing"

"$PY" - "$MANIFEST" "$T/lwfp.conf" >"$T/check.out" 2>&1 <<'PY' || fail "$(cat "$T/check.out")"
import sys
import yaml


def check():
    docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
    for kind in ("Namespace", "ConfigMap", "DaemonSet"):
        assert kind in docs, f"no {kind}"
    spec = docs["DaemonSet"]["spec"]["template"]["spec"]
    assert spec.get("hostPID") is True, "hostPID is not true"
    assert spec.get("hostNetwork") is True, "hostNetwork is not true"
    host = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    assert host.get("cgroup") == "/sys/fs/cgroup", "the node's cgroup root is not mounted"
    assert host.get("bpffs") == "/sys/fs/bpf", "the node's bpffs is not mounted"
    cms = [v for v in spec["volumes"] if "configMap" in v]
    assert [v["configMap"]["name"] for v in cms] == [docs["ConfigMap"]["metadata"]["name"]], \
        "the policy volume does not name the ConfigMap"
    for c in spec["containers"]:
        assert c["securityContext"].get("privileged") is True, f"{c['name']} is not privileged"
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts.get("/sys/fs/cgroup") == "cgroup" and mounts.get("/sys/fs/bpf") == "bpffs", \
            f"{c['name']} does not mount the cgroup root and bpffs"
    engine = next(c for c in spec["containers"] if c["name"] == "engine")
    assert any(m["mountPath"] == "/etc/lwfp" and m["name"] == cms[0]["name"] for m in engine["volumeMounts"]), \
        "the engine does not mount the policy at /etc/lwfp"
    script = " ".join(engine["command"])
    assert "--config /etc/lwfp/lwfp.conf" in script and "lwfpctl reload" in script, "the engine does not load and reload the policy"
    inspect = " ".join(next(c for c in spec["containers"] if c["name"] == "inspect")["command"])
    assert "--netns all" in inspect, "lwfp-inspect does not serve every network namespace"
    open(sys.argv[2], "w").write(docs["ConfigMap"]["data"]["lwfp.conf"])


try:
    check()
except AssertionError as e:
    sys.exit(f"{sys.argv[1]}: {e}")
PY

# The ConfigMap's policy, into an engine of the test's own.
engine_up
ctl -batch "$T/lwfp.conf"
pass
