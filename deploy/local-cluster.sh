#!/usr/bin/env bash
# Start a local 3-controller cluster, the simulated site and an agent, all on
# loopback, in the foreground; Ctrl-C stops everything.
#
#   deploy/local-cluster.sh [DIR]        # DIR: state and logs (default: a temp dir)
#
# Environment: DCPLANE (the binary; default: go build ./cmd/dcplane), RACKS
# (size of the simulated site, default 20), BASE_PORT (default 18080: APIs on
# BASE_PORT..+2, Raft on BASE_PORT+100..+102, agent metrics on BASE_PORT+200).
# Every controller port is mutual TLS, with a site CA and certificates made
# in DIR/tls by dcplane tls init and tls issue (kept across runs on one DIR).
# Then, from another shell, as the operator:
#
#   export DCPLANE_CONTROLLER=https://127.0.0.1:18080,https://127.0.0.1:18081,https://127.0.0.1:18082
#   export DCPLANE_CA_FILE=DIR/tls/ca.crt DCPLANE_CERT_FILE=DIR/tls/operator.crt DCPLANE_KEY_FILE=DIR/tls/operator.key
#   export DCPLANE_TOKEN=$(cat DIR/n1/admin-token)
#   dcplane cluster members
#   dcplane rack ls
set -euo pipefail

dir=${1:-$(mktemp -d -t dcplane-cluster.XXXXXX)}
racks=${RACKS:-20}
base=${BASE_PORT:-18080}
mkdir -p "$dir"

if [[ -z ${DCPLANE:-} ]]; then
	DCPLANE=$dir/dcplane
	(cd "$(dirname "$0")/.." && go build -o "$DCPLANE" ./cmd/dcplane)
fi

pids=()
cleanup() {
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped; state and logs are in $dir"
}
trap cleanup EXIT INT TERM

api() { echo "https://127.0.0.1:$((base + $1))"; }
controllers="$(api 0),$(api 1),$(api 2)"

# The site CA, a controller certificate for each node (naming the address
# the others dial), one for the agent and one for the operator.
tls=$dir/tls
[[ -s $tls/ca.crt ]] || "$DCPLANE" tls init --dir "$tls" --site local >/dev/null
issue() { [[ -s $tls/$1.crt ]] || "$DCPLANE" tls issue --dir "$tls" --name "$1" --role "$2" "${@:3}" >/dev/null; }
for i in 1 2 3; do issue "n$i" controller --ip 127.0.0.1 --dns localhost; done
issue local-agent agent
issue operator operator
# tls_files NAME: the TLS flags of NAME's certificate, in the array tls_args.
tls_files() { tls_args=(--ca-file "$tls/ca.crt" --cert-file "$tls/$1.crt" --key-file "$tls/$1.key"); }
export DCPLANE_CA_FILE=$tls/ca.crt DCPLANE_CERT_FILE=$tls/operator.crt DCPLANE_KEY_FILE=$tls/operator.key

# wait_for URL WHAT: poll URL (as the operator) until it answers 2xx, for up
# to 30 s.
wait_for() {
	for _ in $(seq 300); do
		if curl -fsS -o /dev/null --cacert "$DCPLANE_CA_FILE" --cert "$DCPLANE_CERT_FILE" --key "$DCPLANE_KEY_FILE" "$1" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "gave up waiting for $2 ($1); see the logs in $dir" >&2
	exit 1
}

# The simulated site writes an inventory with its devices' addresses.
"$DCPLANE" sim --racks "$racks" --inventory-out "$dir/site.yaml" --community-file "$dir/community" \
	--controller "$controllers" >"$dir/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [[ -s $dir/site.yaml ]] && break; sleep 0.1; done
[[ -s $dir/site.yaml ]] || { echo "the simulator wrote no inventory; see $dir/sim.log" >&2; exit 1; }

# n1 bootstraps and applies the inventory; n2 and n3 join through it. A
# restart with the same flags keeps the state: --join again is harmless.
for i in 0 1 2; do
	flags=(--join "$(api 0)")
	if [[ $i == 0 ]]; then flags=(--bootstrap --inventory "$dir/site.yaml"); fi
	tls_files "n$((i + 1))"
	"$DCPLANE" controller --node-id "n$((i + 1))" --data-dir "$dir/n$((i + 1))" \
		--http-addr "127.0.0.1:$((base + i))" --raft-addr "127.0.0.1:$((base + 100 + i))" \
		--raft-heartbeat-timeout 500ms --raft-election-timeout 500ms --raft-leader-lease-timeout 250ms \
		"${tls_args[@]}" "${flags[@]}" >"$dir/n$((i + 1)).log" 2>&1 &
	pids+=($!)
	if [[ $i == 0 ]]; then wait_for "$(api 0)/healthz" "n1"; fi
done
for i in 0 1 2; do wait_for "$(api "$i")/healthz" "n$((i + 1))"; done

cat >"$dir/credentials.yaml" <<CREDS
snmp-ro:
  version: v2c
  community_file: $dir/community
CREDS
tls_files local-agent
"$DCPLANE" agent --name local-agent --inventory "$dir/site.yaml" --credentials "$dir/credentials.yaml" \
	--controller "$controllers" --interval 5s --metrics-addr "127.0.0.1:$((base + 200))" \
	"${tls_args[@]}" >"$dir/agent.log" 2>&1 &
pids+=($!)

# n1 wrote the cluster's first admin token into its data directory.
for _ in $(seq 300); do [[ -s $dir/n1/admin-token ]] && break; sleep 0.1; done
DCPLANE_CONTROLLER=$controllers "$DCPLANE" --token-file "$dir/n1/admin-token" cluster members ||
	echo "dcplane cluster members failed; see the logs in $dir" >&2
cat <<MSG

3 controllers (mutual TLS), the simulated site ($racks racks) and an agent are running; logs in $dir.
  export DCPLANE_CONTROLLER=$controllers
  export DCPLANE_CA_FILE=$DCPLANE_CA_FILE DCPLANE_CERT_FILE=$DCPLANE_CERT_FILE DCPLANE_KEY_FILE=$DCPLANE_KEY_FILE
  export DCPLANE_TOKEN=\$(cat $dir/n1/admin-token)
  $DCPLANE rack ls
  $DCPLANE cluster transfer-leadership     # or kill one controller: the others go on
Ctrl-C stops everything.
MSG
wait
