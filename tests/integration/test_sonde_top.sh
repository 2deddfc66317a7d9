#!/bin/bash
# sonde top in a real terminal (tmux): after 25 requests to nginx, its
# line for the service shows 25, as /metrics does; l and e sort, enter
# opens the service's routes; q quits it with exit status 0.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl tmux

PORT=$(free_port)
start_nginx "$PORT"
start_sonde --target exe:nginx=web
for i in $(seq 25); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 25 10

SESSION=sonde-top-$$
tmux -L "$SESSION" new-session -d -s top -x 120 -y 30 \
	"$SONDE top --url http://127.0.0.1:$SONDE_PORT; echo \"exit \$?\" >$TMP/top.exit; sleep 30"
CHILDREN+=("$(tmux -L "$SESSION" display -p -t top '#{pane_pid}')")
trap 'tmux -L "$SESSION" kill-server 2>/dev/null; cleanup' EXIT
screen() { tmux -L "$SESSION" capture-pane -p -t top; }
wait_screen() { # extended regex, what
	local i
	for ((i = 0; i < 50; i++)); do
		screen >"$TMP/screen" && grep -Eq -- "$1" "$TMP/screen" && { pass "$2"; return 0; }
		sleep 0.2
	done
	cat "$TMP/screen"
	fail "$2: not on the screen"
}
wait_screen '^web +25 ' "the line of web shows 25 requests"
tmux -L "$SESSION" send-keys -t top l
wait_screen 'sorted by p99' "l sorts by latency"
tmux -L "$SESSION" send-keys -t top Enter
wait_screen '^GET +/ +25 ' "enter shows web's route / with 25 requests"
tmux -L "$SESSION" send-keys -t top q
for ((i = 0; i < 50; i++)); do [ -s "$TMP/top.exit" ] && break; sleep 0.1; done
[ "$(cat "$TMP/top.exit" 2>/dev/null)" = "exit 0" ] || fail "sonde top did not quit with 0: $(cat "$TMP/top.exit" 2>/dev/null)"
pass "q quits with exit status 0"
