# SPDX-License-Identifier: Apache-2.0
# Sourced by bench_xdp.sh and bench_rx_cost.sh (not run on its own): the
# collector/sender namespace pair they both measure over, and the NetFlow
# v9 packets they send. The caller sets C, S (namespaces), CIF, SIF (the
# veth ends), WORK (its scratch folder), defines log(), and removes all of
# it in its own cleanup trap (namespaces, $WORK/bpffs mount, $WORK).

# The namespaces and the veth pair: collector 198.18.0.2 on CIF, sender
# 198.18.0.1 (allowed exporter) and 198.18.0.3 (an unlisted one) on SIF,
# static neighbours both ways, a private bpffs in $WORK/bpffs. Exits on
# failure.
bench_veth_up() {
	ip netns add "$C" && ip netns add "$S" &&
		ip link add "$CIF" netns "$C" type veth peer name "$SIF" netns "$S" &&
		ip -n "$C" addr add 198.18.0.2/24 dev "$CIF" &&
		ip -n "$S" addr add 198.18.0.1/24 dev "$SIF" &&
		ip -n "$S" addr add 198.18.0.3/24 dev "$SIF" &&
		ip -n "$C" link set lo up && ip -n "$S" link set lo up &&
		ip -n "$C" link set "$CIF" up && ip -n "$S" link set "$SIF" up ||
		{ log "could not create the namespaces"; exit 1; }
	mkdir -p "$WORK/bpffs" && mount -t bpf bpf "$WORK/bpffs" ||
		{ log "could not mount a bpffs"; exit 1; }
	CMAC=$(ip -n "$C" -br link show "$CIF" | awk '{print $3}')
	SMAC=$(ip -n "$S" -br link show "$SIF" | awk '{print $3}')
	ip -n "$S" neigh replace 198.18.0.2 lladdr "$CMAC" dev "$SIF"
	ip -n "$C" neigh replace 198.18.0.1 lladdr "$SMAC" dev "$CIF"
	ip -n "$C" neigh replace 198.18.0.3 lladdr "$SMAC" dev "$CIF"
}

# The NetFlow v9 template (sent once per daemon) as $WORK/tmpl.bin and a
# one-flow data packet as $WORK/data.bin, from the system tests' builders.
# Exits on failure.
bench_nf9_packets() {
	python3 - "$WORK" <<'PY'
import sys
sys.path.insert(0, "tests/sys")
import xflow
w = sys.argv[1]
r = xflow.Rec("198.18.5.1", "198.18.6.1", 1000, 53, 17, 100, 1,
              1700000000000 - 5000, 1700000000000 - 1000)
open(f"{w}/tmpl.bin", "wb").write(xflow.nf9([xflow.template_set(
    256, xflow.NF9_FIELDS, False)]))
open(f"{w}/data.bin", "wb").write(xflow.nf9([xflow.data_set(256, [r], False)]))
PY
	[ -s "$WORK/data.bin" ] || { log "could not build the NetFlow v9 packets"; exit 1; }
}
