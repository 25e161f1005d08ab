#!/bin/bash
# Drive a baresip user agent over its ctrl_tcp socket on 127.0.0.1.
#
# usage: ctl.sh PORT [--until TEXT] COMMAND [PARAMS...]
#
# Sends one menu command (dial, hangup, hold, resume, listcalls, reginfo,
# ...) as baresip's netstring-framed JSON and prints the JSON answer. With
# --until the command is repeated until the answer contains TEXT (for
# instance ESTABLISHED from listcalls), for up to 60 s: a slow VM only
# waits longer. Exits 1 if baresip reports an error or TEXT never shows.
# Plain bash (/dev/tcp): a Python client costs a second per call under
# QEMU's emulation.
export LC_ALL=C # netstring lengths count bytes
port=$1
shift
until=
if [ "$1" = --until ]; then
	until=$2
	shift 2
fi
request=$(printf '{"command":"%s","params":"%s","token":"t-peers"}' "$1" "${*:2}")

# One request; skip the events baresip may send first, print the response.
once() {
	local len msg
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%d:%s,' ${#request} "$request" >&3
	while read -r -t 20 -d : len <&3 && read -r -t 20 -N "$len" msg <&3 &&
		read -r -t 20 -N 1 _ <&3; do
		case $msg in
		*'"response":true'*)
			echo "$msg"
			[[ $msg == *'"ok":true'* ]]
			return ;;
		esac
	done
	return 1
}

deadline=$((SECONDS + 60))
while :; do
	if answer=$(once 2>&1) && [[ $answer == *"$until"* ]]; then
		echo "$answer"
		exit 0
	fi
	if [ -z "$until" ] || [ $SECONDS -ge $deadline ]; then
		echo "$answer"
		exit 1
	fi
	sleep 0.2
done
