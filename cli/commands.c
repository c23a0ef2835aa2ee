/* The command table: it dispatches, prints help and the man page. Keep it
 * sorted by name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"

static const struct cli_option help_options[] = {
	{ .name = "man", .help = BT("man ページ (roff) を出力する", "print the man page (roff)") },
	{ .name = NULL },
};

/* The options the commands that talk to charon share. */
#define OPT_IPSEC_LEVEL \
	{ .name = "level", .letter = 'l', .arg = CLI_ARG_INT, .min = 0, .max = 4, \
	  .help = BT("charon の制御ログをどこまで詳しく示すか", "how much of charon's control log to show") }
#define OPT_IPSEC_QUIET \
	{ .name = "quiet", .letter = 'q', \
	  .help = BT("charon の制御ログを示さない", "show none of charon's control log") }
#define OPT_IPSEC_TIMEOUT \
	{ .name = "timeout", .letter = 't', .arg = CLI_ARG_DURATION, .min = 1000, .max = 600000, \
	  .unit_ms = 1000, .help = BT("charon の答えを待つ時間", "how long to wait for charon") }

static const struct cli_option ipsec_up_options[] = {
	OPT_IPSEC_LEVEL, OPT_IPSEC_QUIET, OPT_IPSEC_TIMEOUT, { .name = NULL },
};

static const struct cli_option ipsec_down_options[] = {
	{ .name = "unload", .letter = 'u',
	  .help = BT("oqlink が読み込んだ接続と鍵も charon から外す (他のものには触れない)",
		     "also remove from charon what oqlink loaded (and nothing else)") },
	OPT_IPSEC_LEVEL, OPT_IPSEC_QUIET, OPT_IPSEC_TIMEOUT, { .name = NULL },
};

static const struct cli_option ipsec_log_options[] = {
	OPT_IPSEC_LEVEL,
	{ .name = "group", .letter = 'g', .arg = CLI_ARG_STRING, .meta = "IKE,CFG,...",
	  .help = BT("示すログの種類 (charon のグループ名をカンマ区切りで)",
		     "the log groups to show (charon's names, comma separated)") },
	{ .name = "timeout", .letter = 't', .arg = CLI_ARG_DURATION, .min = 1000, .max = 600000,
	  .unit_ms = 1000, .help = BT("この時間で終える (既定は Ctrl-C まで)",
				       "stop after this long (default: on Ctrl-C)") },
	{ .name = NULL },
};

static const struct cli_option ipsec_diagnose_options[] = {
	{ .name = "ping", .letter = 'p', .arg = CLI_ARG_STRING, .meta = "ADDR",
	  .help = BT("トンネルの先で ping するアドレス", "the address to ping through the tunnel") },
	OPT_IPSEC_TIMEOUT, OPT_IPSEC_LEVEL, OPT_IPSEC_QUIET,
	{ .name = "yes", .letter = 'y',
	  .help = BT("確立済みのトンネルを確認なしで閉じる", "close a working tunnel without asking") },
	{ .name = NULL },
};

static const struct cli_option ipsec_proposals_options[] = {
	{ .name = "ike", .letter = 'i', .help = BT("IKE の提案として検査する", "check IKE proposals") },
	{ .name = "esp", .letter = 'e', .help = BT("ESP の提案として検査する", "check ESP proposals") },
	{ .name = NULL },
};

static const struct cli_option probe_options[] = {
	{ .name = "list", .letter = 'l', .help = BT("プローブの一覧を示すだけ", "only list the probes") },
	{ .name = "timeout", .letter = 't', .arg = CLI_ARG_DURATION, .min = 0, .max = 3600000,
	  .unit_ms = 1, .help = BT("1 プローブの時間の上限 (0 は設定の timeout_ms、なければ 5s)",
				   "the limit of each probe (0: the config's timeout_ms, else 5s)") },
	{ .name = "total-timeout", .letter = 'T', .arg = CLI_ARG_DURATION, .min = 0, .max = 86400000,
	  .unit_ms = 1, .help = BT("全体の時間の上限 (0 は 60s)", "the limit of the whole run (0: 60s)") },
	{ .name = "out", .letter = 'o', .arg = CLI_ARG_PATH, .meta = "DIR",
	  .help = BT("パケットキャプチャの置き場所 (既定は run_dir)",
		     "where the capture is kept (default run_dir)") },
	{ .name = NULL },
};

/* The facts decided on the day, which test and report render both take. */
#define OPT_VISIT \
	{ .name = "start", .arg = CLI_ARG_STRING, .meta = "TIME", \
	  .help = BT("作業の開始時刻 (2026-04-01T10:30:00+09:00 か @秒数)", \
		     "when the work started (2026-04-01T10:30:00+09:00 or @SECONDS)") }, \
	{ .name = "terminal", .arg = CLI_ARG_STRING, .meta = "NAME", \
	  .help = BT("使った資格確認端末", "the qualification terminal used") }, \
	{ .name = "checked", .arg = CLI_ARG_STRING, .meta = "TASK,...", \
	  .help = BT("手作業の確認を済ませた作業", "the tasks whose check by hand was done") }, \
	{ .name = "note", .arg = CLI_ARG_STRING, .meta = "TEXT", \
	  .help = BT("特記事項", "remarks") }, \
	{ .name = "followup", .arg = CLI_ARG_STRING, .meta = "TEXT", \
	  .help = BT("不合格や注意への対応予定", "what will be done about a failure or warning") }

#define OPT_REPORT_DIR(ja, en) \
	{ .name = "report-dir", .arg = CLI_ARG_PATH, .meta = "DIR", .help = BT(ja, en) }
#define OPT_ENGINEER \
	{ .name = "engineer", .arg = CLI_ARG_STRING, .meta = "NAME", \
	  .help = BT("作業担当者 (設定の値を上書き)", "the engineer (overrides the config)") }
#define OPT_WITNESS \
	{ .name = "witness", .arg = CLI_ARG_STRING, .meta = "NAME", \
	  .help = BT("立会者 (設定の値を上書き)", "the witness (overrides the config)") }

static const struct cli_option test_options[] = {
	OPT_REPORT_DIR("報告書の置き場所 (既定は設定の report_dir)",
		       "where the report goes (default: the config's report_dir)"),
	OPT_ENGINEER, OPT_WITNESS,
	{ .name = "timeout", .arg = CLI_ARG_DURATION, .min = 1000, .max = 24 * 86400000LL,
	  .unit_ms = 1000, .help = BT("検査全体の時間の上限 (既定 60s)",
				      "the limit of the whole run (default 60s)") },
	OPT_VISIT, { .name = NULL },
};

static const char *const line_words[] = { "ipsec", "ipvpn", NULL };

static const struct cli_option config_template_options[] = {
	{ .name = "mode", .letter = 'm', .arg = CLI_ARG_ENUM, .words = line_words,
	  .help = BT("回線種別 (既定 ipsec)", "the line type (default ipsec)") },
	{ .name = NULL },
};

static const char *const report_forms[] = { "html", "json", "text", NULL };

static const struct cli_option report_render_options[] = {
	OPT_REPORT_DIR("報告書の置き場所 (既定は現在のディレクトリ)",
		       "where the report goes (default: the current directory)"),
	OPT_ENGINEER, OPT_WITNESS,
	{ .name = "time", .arg = CLI_ARG_STRING, .meta = "TIME",
	  .help = BT("作成日時を固定する (2026-04-01T10:30:00+09:00 か @秒数)",
		     "fix the time of writing (2026-04-01T10:30:00+09:00 or @SECONDS)") },
	{ .name = "hostname", .arg = CLI_ARG_STRING, .meta = "NAME",
	  .help = BT("ホスト名を固定する", "fix the host name") },
	{ .name = "pcap", .arg = CLI_ARG_PATH, .meta = "FILE",
	  .help = BT("報告書が名指すパケットキャプチャ", "the capture the report names") },
	{ .name = "print", .arg = CLI_ARG_ENUM, .words = report_forms,
	  .help = BT("ひとつの形式を標準出力に出す (ファイルは書かない)",
		     "print one form to stdout (no files written)") },
	{ .name = "number", .arg = CLI_ARG_INT, .min = 1, .max = 999999,
	  .help = BT("報告書番号 (既定は医療機関ごとの次の番号)",
		     "the report number (default: the facility's next)") },
	OPT_VISIT, { .name = NULL },
};

static const struct cli_option report_export_options[] = {
	OPT_REPORT_DIR("報告書の置き場所 (既定は設定の report_dir)",
		       "where the reports are (default: the config's report_dir)"),
	{ .name = NULL },
};

static const struct cli_option upgrade_options[] = {
	{ .name = "no-reboot",
	  .help = BT("書き込んだあと再起動しない (次の起動で新しいスロットへ)",
		     "do not reboot after writing (the next boot goes to the new slot)") },
	{ .name = NULL },
};

static const struct cli_option factory_reset_options[] = {
	{ .name = "yes", .letter = 'y',
	  .help = BT("確認なしで消す", "erase without asking") },
	{ .name = "no-reboot",
	  .help = BT("再起動しない (次の起動で消す)", "do not reboot (erased at the next boot)") },
	{ .name = NULL },
};

static const struct cli_option apply_options[] = {
	{ .name = "confirm", .arg = CLI_ARG_DURATION, .min = 5000, .max = 86400000, .unit_ms = 1000,
	  .implied = "300", .flags = CLI_OPT_OPTIONAL,
	  .help = BT("この時間内に 'oqlink confirm' がなければ元に戻す",
		     "undo the changes unless 'oqlink confirm' comes within this time") },
	{ .name = NULL },
};

static const struct cli_option tui_options[] = {
	{ .name = "screen", .letter = 's', .arg = CLI_ARG_STRING,
	  .meta = "dashboard|setup|certs|probes|ipsec|report",
	  .help = BT("最初に開く画面", "the screen to open first") },
	{ .name = "no-color", .letter = 'n', .help = BT("色を使わない", "use no colours") },
	{ .name = "refresh", .letter = 'r', .arg = CLI_ARG_DURATION, .min = 0, .max = 86400000,
	  .unit_ms = 1000, .help = BT("状態画面が疎通確認する間隔 (既定 60s、0 で手動のみ)",
				      "how often the dashboard runs the probes (default 60s; 0: on demand only)") },
	{ .name = NULL },
};

static const struct cli_option history_probes_options[] = {
	{ .name = "since", .arg = CLI_ARG_DURATION, .min = 0, .max = 36500 * 86400000LL,
	  .help = BT("この長さだけさかのぼる (既定 24h)", "how far back to look (default 24h)") },
	{ .name = "probe", .arg = CLI_ARG_STRING, .meta = "ID",
	  .help = BT("このプローブだけ", "only this probe") },
	OPT_DB, { .name = NULL },
};

const struct cli_command cli_commands[] = {
	{ "apply", cmd_apply, CLI_NEED_ROOT | CLI_NEED_CONFIG | CLI_RECOVER | CLI_JSON,
	  BT("設定をホストに適用する (失敗すれば元に戻す)",
	     "apply the config to the host (undone if a step fails)"),
	  "",
	  BT("スナップショットを取り、安全な順に変更して確認します。失敗した手順を示し、それまでの変更をすべて元に戻します。--confirm を付けると、期限までに 'oqlink confirm' がなければ自動で元に戻します。",
	     "Takes a snapshot, makes the changes in a safe order and verifies them. A failing step is named and everything done before it is undone. With --confirm the changes are undone by themselves unless 'oqlink confirm' comes in time."), apply_options },
	{ "config check", cmd_config_check, CLI_JSON,
	  BT("設定ファイルを検査し、問題をすべて示す",
	     "check the site config and show every problem"),
	  "[FILE]",
	  BT("問題があれば FILE:LINE:COL: の形ですべて示し、終了コード 2 で終わります。",
	     "Every problem is shown as FILE:LINE:COL: message; exits 2 when there is one."), NULL },
	{ "config doc", cmd_config_doc, 0,
	  BT("docs/config.md のキーの表を設定の表から作り直して表示する",
	     "print docs/config.md with its key tables made again from the key table"),
	  "FILE",
	  BT("FILE の '<!-- keys [SECTION] -->' から '<!-- end keys -->' までを、そのセクションのキーの表に置き換えます。ほかの行はそのままです。make check はずれがあれば失敗します。",
	     "Replaces what lies between '<!-- keys [SECTION] -->' and '<!-- end keys -->' in FILE with the table of that section's keys and keeps every other line. make check fails when docs/config.md differs."),
	  NULL },
	{ "config show", cmd_config_show, CLI_JSON,
	  BT("正規化した設定を表示する (秘密は伏せる)",
	     "show the normalised config (secrets redacted)"),
	  "[FILE]", BT("", ""), NULL },
	{ "config template", cmd_config_template, 0,
	  BT("説明つきの設定ファイルのひな形を書き出す",
	     "print a commented site.conf to start from"),
	  "",
	  BT("キーごとに名前と説明を注釈にし、必要なキーは埋める欄を、ほかは既定値を注釈で示します。--mode (既定 ipsec) の回線種別で使わないキーは書きません。",
	     "Each key comes with its label and hint as a comment; the keys needed are left to fill in, the others are commented out with their default. Keys that the line type of --mode (default ipsec) does not use are left out."),
	  config_template_options },
	{ "confirm", cmd_confirm, CLI_NEED_ROOT | CLI_NEED_CONFIG | CLI_RECOVER,
	  BT("確認待ちの適用を確定する", "keep what a pending 'apply --confirm' did"),
	  "", BT("", ""), NULL },
	{ "factory-reset", cmd_factory_reset, CLI_NEED_ROOT,
	  BT("アプライアンスを工場出荷状態に戻す (data パーティションを消して再起動)",
	     "return the appliance to its factory state (erase the data partition, reboot)"),
	  "",
	  BT("アプライアンスのイメージの上で、設定、鍵、履歴、報告書、コンソールのパスワードのある data "
	     "パーティションだけを消します。ルートのスロットと版数はそのままです。端末で reset と入力して"
	     "確かめます (--yes で確認なし、端末がなく --yes もなければ何もせず終了コード 2)。ESP に印を"
	     "置いて再起動し、次の起動で data をマウントする前にゼロで消して作り直すので、初回起動の"
	     "パスワードと設定ウィザードから始まります。終了コード: 0 印を置いた、2 確認なし・使い方の誤り、"
	     "3 イメージの上でない・印を置けない。",
	     "On the appliance image: erases only the data partition, which holds the config, keys, "
	     "history, reports and the console password; the root slots and the version stay. It "
	     "asks for the word reset on the terminal (--yes: do not ask; without a terminal and "
	     "without --yes it does nothing and exits 2). It leaves a mark on the ESP and reboots; "
	     "the next boot zeroes data before mounting it and makes it anew, so the box starts over "
	     "with the first-boot password and the setup wizard. Exits 0 when marked, 2 when not "
	     "confirmed or on a usage error, 3 when not on the image or the mark could not be "
	     "written."), factory_reset_options },
	{ "help", cmd_help, 0,
	  BT("コマンドの一覧、またはひとつのコマンドの使い方を表示する",
	     "list the commands, or show how to use one"),
	  "[COMMAND]", BT("", ""), help_options },
	{ "history", cmd_history, CLI_NEED_CONFIG | CLI_RECOVER | CLI_JSON,
	  BT("適用の履歴を時刻と変更の要約つきで表示する",
	     "list the applies with their time and a short diff"),
	  "", BT("", ""), NULL },
	{ "history probes", cmd_history_probes, CLI_NEED_CONFIG | CLI_JSON,
	  BT("見張り (oqlink monitor) が記録した検査結果を表示する",
	     "list the probe results the keeper (oqlink monitor) recorded"),
	  "",
	  BT("", ""), history_probes_options },
	{ "ipsec diagnose", cmd_ipsec_diagnose, CLI_NEED_CONFIG | CLI_JSON,
	  BT("トンネルを張り直し、失敗の原因と次の手順を示す",
	     "bring the tunnel up afresh and explain why it fails, with next steps"),
	  "",
	  BT("トンネルが確立していれば、閉じて張り直す前に確認します (--yes で確認なし、端末がなく --yes もなければ終了コード 2 で中止)。"
	     "接続を読み込み直し、charon の制御ログを取りながら確立を試み、原因 (相手に届かない、"
	     "UDP 500/4500 の遮断、提案の不一致、認証失敗の内訳、セレクタの不一致、時刻、ESP の遮断、"
	     "経路 MTU のブラックホール) "
	     "を、止まった段階 (IKE_SA_INIT、IKE_AUTH、CHILD_SA)、提案の不一致なら IKE か ESP か、証拠の行、時刻 (サイトの時間帯)、使ったアドレスとポート、次の手順とともに示します。成功なら所要時間を示します。終了コード: 0 正常、1 異常。",
	     "Reloads the connection and tries to establish it with charon's control log captured, "
	     "then names the cause (peer unreachable, UDP 500/4500 blocked, proposal mismatch, the "
	     "kinds of authentication failure, selector mismatch, clock, ESP blocked, path MTU black "
	     "hole) with the "
	     "exchange where it stopped (IKE_SA_INIT, IKE_AUTH, CHILD_SA), which proposals (IKE or "
	     "ESP) on a mismatch, the evidence lines, the times (in the site's time zone) and the addresses and ports used, "
	     "and the next step. When the tunnel is up it asks before closing it (--yes: do not ask; "
	     "without a terminal and without --yes it does nothing and exits 2). Success is reported with timings. Exits 0 when the "
	     "tunnel works, 1 when it does not."), ipsec_diagnose_options },
	{ "ipsec down", cmd_ipsec_down, CLI_NEED_CONFIG,
	  BT("トンネルを閉じる", "close the tunnel"),
	  "",
	  BT("", ""), ipsec_down_options },
	{ "ipsec export-swanctl", cmd_ipsec_export, CLI_NEED_CONFIG,
	  BT("同じ設定を swanctl.conf の形で出力する (秘密はファイル参照)",
	     "print the same connection as swanctl.conf (secrets as file references)"),
	  "", BT("", ""), NULL },
	{ "ipsec log", cmd_ipsec_log, CLI_NEED_CONFIG,
	  BT("charon のログを追う", "follow charon's log"),
	  "",
	  BT("Ctrl-C で終わります。", "Stops on Ctrl-C."), ipsec_log_options },
	{ "ipsec proposals", cmd_ipsec_proposals, CLI_JSON,
	  BT("提案に使えるアルゴリズム名の一覧、または提案の検査",
	     "list the algorithm keywords of proposals, or check proposals"),
	  "[PROPOSAL...]",
	  BT("引数なしでは strongSwan のキーワードの表 (種別、アルゴリズム、鍵長) を示します。--ike か --esp と提案を書くと、"
	     "charon と同じ規則で検査し (--json の valid)、さらに oqlink の規則 (null 暗号なし、完全性のない通常の暗号なし) "
	     "で検査します (allowed、config check と同じ)。終了コード: 0 すべて使える、1 使えないものあり。",
	     "Without arguments, lists strongSwan's keywords (type, algorithm, key size). With --ike or --esp "
	     "and proposals, checks each by charon's rules (valid in --json) and then by oqlink's own (no null "
	     "encryption, no classic cipher without integrity: allowed, as config check does). Exits 0 when "
	     "all are allowed, 1 otherwise."), ipsec_proposals_options },
	{ "ipsec status", cmd_ipsec_status, CLI_NEED_CONFIG | CLI_JSON,
	  BT("IKE_SA と CHILD_SA の状態を表示する", "show the IKE and CHILD SAs"),
	  "",
	  BT("swanctl --list-sas と同じ事実を同じ charon から示します。--json のキーは charon の名前のままです。"
	     "終了コード: 0 確立済み、1 未確立。",
	     "The same facts swanctl --list-sas shows, from the same charon; --json keeps charon's "
	     "key names. Exits 0 when the tunnel is up, 1 when it is not."), NULL },
	{ "ipsec up", cmd_ipsec_up, CLI_NEED_CONFIG,
	  BT("接続を読み込み、トンネルを確立する", "load the connection and bring the tunnel up"),
	  "",
	  BT("charon の制御ログを標準エラーに流しながら結果を待ちます。",
	     "Streams charon's control log to stderr while it waits for the result."), ipsec_up_options },
	{ "monitor", cmd_monitor, CLI_NEED_ROOT | CLI_NEED_CONFIG,
	  BT("常駐してトンネルを保ち、経路を見張り、変化を知らせる (systemd 用、前面で動く)",
	     "keep the tunnel, watch the path and tell about changes, for good (foreground, for systemd)"),
	  "",
	  BT("起動時に最後に確定した適用を戻し (ファイアウォールが最初)、期限切れの確認待ちを元に戻します。"
	     "トンネルは charon 自身の再試行に加え、CHILD_SA がない間は間隔を広げながら張り直し、charon が"
	     "再起動すれば読み込み直します。検査を定期的に実行して monitor.db に記録し、判定の変化と証明書の"
	     "期限をジャーナルと syslog に知らせます。SIGHUP で設定を読み直し、SIGTERM で終わります "
	     "(トンネルはそのまま)。docs/monitor.md を見てください。",
	     "At start the last confirmed apply is restored (the firewall first) and a pending confirm "
	     "whose time ran out is reverted. Besides charon's own retries the tunnel is initiated "
	     "again with growing intervals while no CHILD_SA is installed, and loaded again when "
	     "charon restarts. Probes run on timers into monitor.db; verdict changes and certificate "
	     "expiry go to the journal and syslog. SIGHUP reloads the config, SIGTERM ends it (the "
	     "tunnel stays up). See docs/monitor.md."), cli_monitor_options },
	{ "nic identify", cmd_nic_identify, CLI_NEED_ROOT,
	  BT("ポートのランプを点滅させ、どの口かを示す", "blink a port's light to show which socket it is"),
	  "NAME [SECONDS]",
	  BT("ETHTOOL_PHYS_ID で NAME のランプを SECONDS 秒 (既定 10) 点滅させます。ドライバが対応しなければ"
	     "そう言って終了コード 1 です (veth など仮想の NIC は対応しません)。",
	     "Blinks the light of NAME for SECONDS (default 10) with ETHTOOL_PHYS_ID. When the driver "
	     "cannot, it says so and exits 1 (veth and most virtual NICs cannot)."), NULL },
	{ "nic list", cmd_nic_list, CLI_JSON,
	  BT("この機械のネットワークポートを一覧する", "list the network ports of this box"),
	  "",
	  BT("名前、MAC アドレス、ドライバ、リンク (ケーブルと相手があるか)、速度を示します。",
	     "Shows name, MAC address, driver, link (a cable with a live peer) and speed."), NULL },
	{ "plan", cmd_plan, CLI_NEED_ROOT | CLI_NEED_CONFIG | CLI_RECOVER | CLI_JSON,
	  BT("適用すると何が変わるかを表示する (何も変えない)",
	     "show what apply would change (changes nothing)"),
	  "", BT("ホストの現在の状態 (インターフェース、アドレス、経路、nftables の表 inet oqlink、カーネル設定、charon の接続) を読み、設定との差を手順として示します。",
		 "Reads the host as it is (interfaces, addresses, routes, the nftables table inet oqlink, kernel settings, charon's connection) and lists the steps that would make it match the config."), NULL },
	{ "probe", cmd_probe, CLI_JSON,
	  BT("経路の各層を並列に検査する (プローブ)", "check every layer of the path, in parallel (probes)"),
	  "[ID...]",
	  BT("ID を指定するとそのプローブと依存先だけを実行します。端末では 1 プローブ 1 行で進行を示し、"
	     "PASS 以外は対処とともに根拠を表示します。--json は docs/probes.md のスキーマ oqlink.probes/1 の"
	     "文書を 1 つ出力します。"
	     "終了コード: 0 すべて PASS、1 WARN/FAIL/ERROR あり、2 設定か引数の誤り、3 中止。",
	     "With IDs, runs those probes and what they depend on. On a terminal, one live line per probe; "
	     "everything but PASS is shown with what to do and its evidence. --json prints one document of "
	     "schema oqlink.probes/1 (docs/probes.md). "
	     "Exits 0 when everything passed, 1 on WARN/FAIL/ERROR, 2 on a config or usage error, 3 when "
	     "cancelled."), probe_options },
	{ "report compare", cmd_report_compare, CLI_JSON,
	  BT("ふたつの報告書を比べ、前回からの変化を示す",
	     "show what changed between two reports"),
	  "OLD.json NEW.json",
	  BT("判定の変化、遅延 (ms) の変化、電子証明書の有効期限までの日数の変化を示します。"
	     "前回より悪くなった検査があれば終了コード 1 です。",
	     "Shows the change of every verdict, of the latencies (ms) and of the days to "
	     "certificate expiry. Exits 1 when some probe got worse."), NULL },
	{ "report export", cmd_report_export, CLI_JSON,
	  BT("最新の報告書とその pcap を USB メモリかディレクトリに写す",
	     "copy the newest report and its pcap to a USB memory or a directory"),
	  "[DIR]",
	  BT("報告書の置き場所 (既定は設定の report_dir) から最新の報告書 (HTML、JSON、テキスト) と、"
	     "それが名指す pcap を写します。DIR を指定すればそこへ、なければ USB メモリ (取り外し可能な "
	     "USB の記憶装置で FAT か exFAT のもの) を探し、run_dir の下に nosuid,nodev,noexec で"
	     "マウントして写し、書き切ってからアンマウントします。見つからなければ「USB メモリが"
	     "見つかりません」で終了コード 3 です。マウントには root が要ります。",
	     "Copies the newest report (HTML, JSON, text) in the report directory (default: the "
	     "config's report_dir) and the pcap it names. With DIR, into DIR; without, onto a USB "
	     "memory (a removable USB storage device formatted FAT or exFAT), mounted "
	     "nosuid,nodev,noexec under run_dir, flushed and unmounted. Without one it says "
	     "\"no USB memory found\" and exits 3. Mounting needs root."), report_export_options },
	{ "report render", cmd_report_render, CLI_JSON,
	  BT("記録した検査結果から報告書を作る",
	     "write the report from a recorded probe run"),
	  "RUN.json",
	  BT("RUN.json は 'oqlink probe --json' の出力です (- なら標準入力)。報告書 (HTML、JSON、テキスト) を "
	     "DIR (既定は現在のディレクトリ) に書き、そのパスを表示します。--print は一つの形式を"
	     "標準出力に出します。--time と --hostname は作成日時とホスト名を固定します"
	     " (TIME は 2026-04-01T10:30:00+09:00 か @秒数)。書き出す報告書の番号は医療機関ごとに state_dir"
	     " から次の番号を取ります (--number で指定もできます)。--start 以降は 'oqlink test' と同じです。"
	     "秘密のファイルは読みません。",
	     "RUN.json is the output of 'oqlink probe --json' (- reads stdin). Writes the report (HTML, JSON, "
	     "text) into DIR (default: the current directory) and prints the paths; --print "
	     "prints one form to stdout instead. --time and --hostname fix the date and the "
	     "host name (TIME is 2026-04-01T10:30:00+09:00 or @SECONDS). A report written gets the "
	     "facility's next number, kept in state_dir (--number gives it instead). --start and the "
	     "options after it are those of 'oqlink test'. Secret files are never read."), report_render_options },
	{ "rollback", cmd_rollback, CLI_NEED_ROOT | CLI_NEED_CONFIG | CLI_RECOVER,
	  BT("最後の適用の前の状態に戻す", "return to the state before the latest apply"),
	  "", BT("", ""), NULL },
	{ "status", cmd_status, CLI_NEED_CONFIG | CLI_RECOVER | CLI_JSON,
	  BT("最後の適用、確認待ちの残り時間、見張りの状態を表示する",
	     "show the latest apply, the confirm countdown and the monitor's state"),
	  "", BT("", ""), NULL },
	{ "test", cmd_test, CLI_NEED_ROOT | CLI_NEED_CONFIG | CLI_JSON,
	  BT("運用テストを行い、報告書を書く", "run the operational test and write the report"),
	  "",
	  BT("すべての検査をパケットキャプチャとともに実行し、運用テスト報告書 "
	     "oqlink-report-<医療機関コード>-<日時>.{html,json,txt} と pcap を DIR (既定は設定の "
	     "report_dir) に書きます。判定の一覧とファイルのパスを表示します。報告書の言語は --lang "
	     "で選びます。作業担当者と立会者は設定の値を上書きします。--terminal は使った資格確認端末、"
	     "--checked は手作業の確認を済ませた作業 (install、routing、certificate、operation)、"
	     "--note は特記事項、--followup は不合格や注意への対応予定です。作業の開始時刻は検査を"
	     "始めた時刻です (--start で指定もできます)。報告書番号は医療機関ごとの通し番号です。"
	     "終了コード: 0 すべて合格、1 注意か不合格がある。",
	     "Runs every probe with a packet capture and writes the operational-test report "
	     "oqlink-report-<facility code>-<time>.{html,json,txt} and the pcap into DIR (default: "
	     "the config's report_dir), then prints the verdict table and the paths. --lang picks "
	     "the report's language; --engineer and --witness override the config. --terminal names "
	     "the qualification terminal used, --checked the tasks whose check by hand was done "
	     "(install, routing, certificate, operation), --note the remarks and --followup what "
	     "will be done about a failure or warning. The work starts when the run starts "
	     "(--start gives it instead). Reports are numbered per facility. Exits 0 when "
	     "everything passed, 1 when something warned or failed."), test_options },
	{ "tui", cmd_tui, 0,
	  BT("画面で設定・確認する (端末で oqlink とだけ打っても開きます)",
	     "configure and check on screens (plain oqlink on a terminal opens it too)"),
	  "",
	  BT("キーボードだけで操作します。? でその画面のキー、l で日本語と英語を切り替えます。設定がなければ設定画面から始まります。",
	     "Keyboard only. ? shows the keys of the screen, l switches between Japanese and English. Without a config it starts on the setup screen."), tui_options },
	{ "upgrade", cmd_upgrade, CLI_NEED_ROOT,
	  BT("署名されたバンドルでアプライアンスを更新する (もう一方のスロットに入れて再起動)",
	     "upgrade the appliance from a signed bundle (into the other slot, then reboot)"),
	  "BUNDLE",
	  BT("アプライアンスのイメージの上で、RAUC のバンドルの署名を確かめ、使っていないほうのルートの"
	     "スロットに書き込み、そのスロットから再起動します。新しいスロットは、コンソールと (設定が"
	     "あれば) 見張りが動いてはじめて正常とされ、そうならなければ元のスロットに戻ります。設定、"
	     "履歴、報告書は data パーティションにあり、そのまま残ります。終了コード: 0 書き込んだ、"
	     "1 バンドルが入らなかった (署名、互換性)、2 使い方の誤り、3 イメージの上でない・実行できない。",
	     "On the appliance image: checks the RAUC bundle's signature, writes it into the root "
	     "slot not in use and reboots into that slot. The new slot is marked good only once the "
	     "console and (with a site config) the keeper run there; otherwise the box returns to "
	     "the old slot. The config, history and reports live on the data partition and stay. "
	     "Exits 0 when written, 1 when the bundle was not installed (signature, compatibility), "
	     "2 on a usage error, 3 when not on the image or rauc could not run."), upgrade_options },
	{ "version", cmd_version, CLI_JSON,
	  BT("版数を表示する", "show the version"), "", BT("", ""), NULL },
};
const unsigned cli_n_commands = ARRAY_SIZE(cli_commands);

/* The word at position level (0 or 1) of a command name, copied into buf;
 * false when the name has no such word. */
static bool name_word(const char *name, int level, char *buf, size_t size)
{
	const char *p = name;

	if (level == 1) {
		p = strchr(name, ' ');
		if (p == NULL)
			return false;
		p++;
	}
	snprintf(buf, size, "%.*s", (int)strcspn(p, " "), p);
	return true;
}

/* Choose one word among the distinct words at position level of the
 * commands whose first word is group (any when NULL): an exact match, or a
 * unique prefix. Prints the candidates on ambiguity. Returns false when
 * nothing matches (quiet) or on ambiguity (*ambiguous set). */
static bool pick_word(const char *group, int level, const char *arg, char *out, size_t size,
		      bool *ambiguous)
{
	char cand[32][32], w[32], first[32];
	size_t ncand = 0;

	*ambiguous = false;
	for (unsigned i = 0; i < cli_n_commands; i++) {
		const char *name = cli_commands[i].name;
		if (group && (!name_word(name, 0, first, sizeof(first)) || strcmp(first, group)))
			continue;
		if (!name_word(name, level, w, sizeof(w)) || !str_has_prefix(w, arg))
			continue;
		if (strcmp(w, arg) == 0) {
			snprintf(out, size, "%s", w);
			return true;
		}
		bool dup = false;
		for (size_t k = 0; k < ncand; k++)
			dup |= strcmp(cand[k], w) == 0;
		if (!dup && ncand < ARRAY_SIZE(cand))
			snprintf(cand[ncand++], sizeof(cand[0]), "%s", w);
	}
	if (ncand == 1) {
		snprintf(out, size, "%s", cand[0]);
		return true;
	}
	if (ncand > 1) {
		char list[512] = "";
		for (size_t k = 0; k < ncand; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 k ? ", " : "", cand[k]);
		cli_error(_("コマンド '%s' があいまいです。候補: %s",
			    "ambiguous command: %s, could be: %s"), arg, list);
		*ambiguous = true;
	}
	return false;
}

/* The word at position level among the commands of group (any when NULL)
 * nearest to arg by edit distance, into out; false when none is near
 * enough to be what was meant. */
static bool near_word(const char *group, int level, const char *arg, char *out, size_t size)
{
	char w[32], first[32];
	size_t best = (size_t)-1, lim = strlen(arg) / 3 + 1;

	if (lim > 3)
		lim = 3;
	for (unsigned i = 0; i < cli_n_commands; i++) {
		const char *name = cli_commands[i].name;
		if (group && (!name_word(name, 0, first, sizeof(first)) || strcmp(first, group)))
			continue;
		if (!name_word(name, level, w, sizeof(w)))
			continue;
		size_t d = str_distance(arg, w);
		if (d < best) {
			best = d;
			snprintf(out, size, "%s", w);
		}
	}
	return best <= lim;
}

/* The command with exactly this name, or NULL. */
static const struct cli_command *by_name(const char *name)
{
	for (unsigned i = 0; i < cli_n_commands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

/* Print the commands of a group ("ipsec") or all when group is NULL. */
static void print_group(const char *group)
{
	char first[32];

	size_t width = 0;

	for (unsigned i = 0; i < cli_n_commands; i++)
		if (strlen(cli_commands[i].name) > width)
			width = strlen(cli_commands[i].name);
	printf("%s\n", _("コマンド:", "Commands:"));
	for (unsigned i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		name_word(c->name, 0, first, sizeof(first));
		if (group && strcmp(first, group) != 0)
			continue;
		char *pad = str_pad(c->name, width);
		printf("  %s %s\n", pad, bitext_get(c->summary, i18n_lang()));
		free(pad);
	}
}

const struct cli_command *cli_find(int argc, char **argv, int *used)
{
	char w0[32], w1[32], full[72];
	const struct cli_command *leaf;
	bool ambiguous, has_sub = false;

	if (!pick_word(NULL, 0, argv[0], w0, sizeof(w0), &ambiguous)) {
		if (ambiguous)
			return NULL;
		if (near_word(NULL, 0, argv[0], w0, sizeof(w0)))
			cli_error(_("不明なコマンド '%s' です ('%s' のことですか?)。'oqlink help' を見てください",
				    "unknown command '%s' (did you mean '%s'?); see 'oqlink help'"), argv[0], w0);
		else
			cli_error(_("不明なコマンド '%s' です。'oqlink help' を見てください",
				    "unknown command '%s'; see 'oqlink help'"), argv[0]);
		return NULL;
	}
	leaf = by_name(w0);
	for (unsigned i = 0; i < cli_n_commands; i++)
		has_sub |= name_word(cli_commands[i].name, 0, w1, sizeof(w1)) &&
			   strcmp(w1, w0) == 0 && strchr(cli_commands[i].name, ' ') != NULL;
	*used = 1;
	if (!has_sub)
		return leaf;
	if (argc > 1 && argv[1][0] != '-') {
		if (pick_word(w0, 1, argv[1], w1, sizeof(w1), &ambiguous)) {
			snprintf(full, sizeof(full), "%s %s", w0, w1);
			*used = 2;
			return by_name(full);
		}
		if (ambiguous)
			return NULL;
		if (leaf == NULL) {
			if (near_word(w0, 1, argv[1], w1, sizeof(w1)))
				cli_error(_("'%s' に '%s' というコマンドはありません ('%s %s' のことですか?)",
					    "'%s' has no command '%s' (did you mean '%s %s'?)"),
					  w0, argv[1], w0, w1);
			else
				cli_error(_("'%s' に '%s' というコマンドはありません",
					    "'%s' has no command '%s'"), w0, argv[1]);
			print_group(w0);
			return NULL;
		}
	}
	if (leaf == NULL)
		print_group(w0);
	return leaf;
}

/* The usage line of c after "oqlink": name, operands, options; new. */
static char *usage_line(const struct cli_command *c)
{
	char *opts = cli_usage_options(c->options);
	char *s = xasprintf("%s%s%s%s%s", c->name, *c->operands ? " " : "", c->operands,
			    *opts ? " " : "", opts);

	free(opts);
	return s;
}

void cli_print_usage(const struct cli_command *c)
{
	if (c == NULL) {
		char *g = cli_usage_options(cli_global_options);
		printf("%s oqlink %s COMMAND [ARGS]\n\n", _("使い方:", "usage:"), g);
		free(g);
		print_group(NULL);
		char list[128] = "";
		for (const struct cli_option *o = cli_global_options; o->name; o++)
			if (o->flags & CLI_OPT_ANYWHERE)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s--%s",
					 *list ? _("、", ", ") : "", o->name);
		printf("\n");
		printf(_("全体のオプション (%s はコマンドの後にも書けます):\n",
			 "Global options (%s may also follow the command):\n"), list);
		cli_print_options(cli_global_options);
		printf("\n%s\n", _("'oqlink help COMMAND' で各コマンドの詳細を表示します。",
				   "'oqlink help COMMAND' shows the details of one command."));
		return;
	}
	char *u = usage_line(c);
	printf("%s oqlink %s\n", _("使い方:", "usage:"), u);
	free(u);
	printf("  %s\n", bitext_get(c->summary, i18n_lang()));
	const char *d = bitext_get(c->details, i18n_lang());
	if (*d)
		printf("\n%s\n", d);
	if (cli_options_shown(c->options)) {
		printf("\n%s\n", _("オプション:", "Options:"));
		cli_print_options(c->options);
	}
}

/* Escape a string for roff: backslashes and leading dots. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else if (*s == '\n')
			fputs("\n.br\n", stdout);
		else
			putchar(*s);
	}
}

/* The options of a table as roff tagged paragraphs. */
static void man_options(const struct cli_option *opts, enum oq_lang l)
{
	for (size_t i = 0; opts[i].name; i++) {
		if (opts[i].flags & CLI_OPT_HIDDEN)
			continue;
		char *spec = cli_option_spec(&opts[i]), *help = cli_option_help(&opts[i], l);
		printf(".TP\n.B ");
		roff(str_trim(spec));
		putchar('\n');
		roff(help);
		putchar('\n');
		free(spec);
		free(help);
	}
}

void cli_print_man(void)
{
	enum oq_lang l = i18n_lang();

	printf(".TH OQLINK 8 \"\" \"oqlink %s\" \"System Administration\"\n", OQ_VERSION);
	printf(".SH NAME\noqlink \\- online qualification confirmation network appliance\n");
	char *g = cli_usage_options(cli_global_options);
	printf(".SH SYNOPSIS\n.B oqlink\n");
	roff(g);
	printf(" COMMAND [ARGS]\n");
	free(g);
	printf(".SH DESCRIPTION\n");
	printf("oqlink configures the uplink of a clinic (IPsec+IKE or IP\\-VPN) for online\n"
	       "qualification confirmation and online claims, sets up routing and\n"
	       "segmentation, proves the path with probes and writes the operational\\-test report.\n");
	printf(".SH OPTIONS\n");
	man_options(cli_global_options, l);
	printf(".SH COMMANDS\n");
	for (unsigned i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		char *u = usage_line(c);
		printf(".TP\n.B ");
		roff(u);
		free(u);
		putchar('\n');
		roff(bitext_get(c->summary, l));
		putchar('\n');
		const char *d = bitext_get(c->details, l);
		if (*d) {
			printf(".br\n");
			roff(d);
			putchar('\n');
		}
		if (cli_options_shown(c->options)) {
			printf(".RS\n");
			man_options(c->options, l);
			printf(".RE\n");
		}
	}
	printf(".SH EXIT STATUS\n0 all passed; 1 a check failed or warned; 2 usage or config error;\n"
	       "3 could not run.\n");
	printf(".SH ENVIRONMENT\nOutput is in Japanese unless \\-\\-lang en is given or the first of\n"
	       "LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set starts with \"en\" (C, C.UTF\\-8\n"
	       "and POSIX give Japanese). Times are shown in the time zone of [site] timezone\n"
	       "(Asia/Tokyo by default), whatever TZ says.\n");
	printf(".SH FILES\n/etc/oqlink/site.conf, /var/lib/oqlink/, /run/oqlink/\n");
}
