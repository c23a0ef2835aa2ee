#!/bin/bash
# The setup screen's port chooser (o on an interface field), in a network
# namespace of its own with two veth ports: name, MAC, driver and link are
# listed; plugging the cable in (the peer's link coming up) selects that
# port; Enter puts its name in the field; b (identify) says that veth
# cannot blink.
. "$(dirname "$0")/tmux.lib"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
	echo "1..0 # SKIP needs root and ip"
	exit 0
fi
NS=oqnic$$
ip netns add "$NS" && ip netns add "${NS}p" || { echo "1..0 # SKIP cannot make namespaces"; exit 0; }
trap 'ip netns del "$NS" 2>/dev/null; ip netns del "${NS}p" 2>/dev/null; cleanup' EXIT
ip link add wanA netns "$NS" type veth peer name peerA netns "${NS}p"
ip link add lanB netns "$NS" type veth peer name peerB netns "${NS}p"
ip -n "$NS" link set wanA up
ip -n "$NS" link set lanB up
ip -n "${NS}p" link set peerB up		# lanB has a link, wanA not yet
macA=$(ip netns exec "$NS" cat /sys/class/net/wanA/address)

C=$T/etc/site.conf
O="ip netns exec $NS $O" start 100 30 --lang ja --config "$C" tui --refresh 0 --screen setup
k n; k Down
t "an interface field offers the port list" has "o:ポート一覧から選ぶ"
k o
t "the chooser lists the ports with their MAC" wait_for "$macA" 30
t "and their driver" matches "wanA +$macA +veth"
t "and their link: wanA has none yet, lanB has one" bash -c "tmux -L $SOCK capture-pane -p -t ui | grep -qE 'wanA .* なし' && tmux -L $SOCK capture-pane -p -t ui | grep -qE 'lanB .* あり'"
t "it says to plug the cable into the port meant" has "使うポートにケーブルを挿すと"
shot nic-1-chooser
# the cable goes into wanA
ip -n "${NS}p" link set peerA up
t "the port whose link came up is said" wait_for "wanA のリンクが上がりました: 選びました" 40
t "and selected" matches "^> wanA "
shot nic-2-came-up
k b
t "identify on veth says the driver cannot blink" wait_for "点滅 (ポートの識別) に対応していません" 60
shot nic-3-identify
k Enter
t "Enter puts the port in the field" matches "WAN インターフェース [* ]+wanA"
shot nic-4-chosen
k l
k o
t "in English too" wait_for "Plug the cable into the port you mean" 30
k Escape
k l
done_tests
