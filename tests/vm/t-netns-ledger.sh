#!/bin/bash
# The pinhole ledger is per network namespace. A namespace whose owner
# turned the budgets off (a container's may: `sipalg set` needs
# CAP_NET_ADMIN only in the namespace's own user namespace) and floods
# INVITEs over its loopback fills its own ledger (max_pinholes, 256 here)
# and gets its refusals counted there; the router's namespace keeps all of
# its own: a call through it right after has media, and nothing is refused
# there. With one ledger for all namespaces the router's call would find
# it full. The flooding namespace deleted and the module unloaded, no
# expectation object is left.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
STORM="$TOP/build/storm/sipstorm"
LEDGER=256
[ -x "$STORM" ] || fail "$STORM is not built (make vm-tools)"

in_iso() { ip netns exec iso "$@"; }
finish() {
	local status=$?
	# Its processes first: a namespace lives on while one is in it.
	ip netns pids iso 2>/dev/null | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	ip netns del iso 2>/dev/null
	(exit $status) # cleanup exits with the test's status
	cleanup
}
trap finish EXIT

topology_up
slab0=$(expect_slab_objects)
insmod "$ko" max_pinholes=$LEDGER || fail "insmod failed"

# ---- the other namespace: SIP over its loopback, conntrack on ----
ip netns add iso
ip -n iso link set lo up
in_iso nft -f - <<-'NFT'
table inet keep {
	chain output {
		type filter hook output priority filter;
		ct state established,related accept
	}
}
NFT
in_iso "$CLI" set pinholes-per-host=0 pinholes-per-connection=0 || fail "set in iso failed"
# A connection holds at most its 3 calls' pinholes (12 here): 40 of them
# can hold 480, more than the ledger's 256.
in_iso "$STORM" sink --bind 127.0.0.1:5060 --idle 600 >"$WORK/sink.log" 2>&1 &
wait_ready "$WORK/sink.log"
in_iso "$STORM" calls --src 127.0.0.1 --to 127.0.0.1:5060 --flows 40 --base-port 30000 \
	--count 800 --mix invite --media 2 >"$WORK/flood.log" 2>&1 ||
	fail "the flood failed: $(cat "$WORK/flood.log")"
read -r held refused < <(sipalg_stat iso pinholes pinholes_refused_table)
say "iso: $held pinholes held, $refused requests refused as the table's"
[ "$held" -le $LEDGER ] || fail "iso holds $held pinholes, more than max_pinholes $LEDGER"
[ "$held" -ge $((LEDGER - 4)) ] || fail "iso's ledger did not fill ($held of $LEDGER)"
[ "$refused" -gt 0 ] || fail "iso's flood was never refused by its full ledger"
say "ok: the flooding namespace fills its own ledger and no more"

# ---- the router's namespace: a call with media, nothing refused ----
call_and_media "$WORK/call"
say "ok: a call through the router right after has media"
read -r held refused < <(sipalg_stat rtr pinholes pinholes_refused_table)
[ "$refused" = 0 ] || fail "the router refused $refused requests as the table's"
[ "$held" -gt 0 ] || fail "the router's ledger holds none of its call's pinholes"
say "ok: the router's ledger holds its call's $held pinholes, nothing refused"

# ---- the flooding namespace goes, then the module: nothing left ----
ip netns pids iso | xargs -r kill
ip netns del iso
topology_down
rmmod sipalg || fail "rmmod failed"
slab=$(expect_slab_objects "$slab0")
[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after unloading"
say "ok: namespaces deleted, module unloaded: nf_conntrack_expect objects $slab0 before, $slab after"
