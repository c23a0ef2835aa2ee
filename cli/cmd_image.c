/* The commands of the appliance image (docs/image.md): oqlink upgrade
 * installs a signed RAUC bundle into the other root slot and reboots into
 * it; oqlink factory-reset has the data partition wiped at the next boot. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "core/util.h"

extern char **environ;

#define RAUC_CONF "/etc/rauc/system.conf"

/* The slot the box booted from ('A' or 'B', from rauc.slot= on the kernel
 * command line), or 0 when it does not say. */
static char booted_slot(void)
{
	char line[4096], *p;
	FILE *f = fopen("/proc/cmdline", "re");
	char slot = 0;

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) && (p = strstr(line, "rauc.slot=")) &&
	    (p[10] == 'A' || p[10] == 'B'))
		slot = p[10];
	fclose(f);
	return slot;
}

/* Run argv (searched in PATH) with our stdout and stderr; its exit status,
 * or -errno when it could not start or did not exit. */
static int run(char *const argv[])
{
	pid_t pid;
	int st, r;

	fflush(stdout);
	fflush(stderr);
	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

/* Say so and reboot; the exit code. */
static int reboot_now(void)
{
	char systemctl[] = "systemctl", verb[] = "reboot";
	int r;

	printf(_("再起動します...\n", "rebooting...\n"));
	r = run((char *const[]){ systemctl, verb, NULL });
	if (r != 0) {
		cli_error(_("再起動できません (%d)。'systemctl reboot' を実行してください",
			    "could not reboot (%d); run 'systemctl reboot'"), r);
		return OQ_EXIT_CANT;
	}
	return OQ_EXIT_OK;
}

int cmd_upgrade(struct cli_ctx *ctx, int argc, char **argv)
{
	bool reboot = !cli_args_has(ctx->args, "no-reboot");
	struct stat st;
	char slot, other;
	int r;

	if (argc != 2) {
		cli_error(_("使い方: oqlink upgrade BUNDLE [--no-reboot]",
			    "usage: oqlink upgrade BUNDLE [--no-reboot]"));
		return OQ_EXIT_USAGE;
	}
	const char *bundle = argv[1];
	if (stat(bundle, &st) < 0) {
		cli_error(_("バンドル %s を読めません: %s", "cannot read the bundle %s: %s"), bundle,
			  i18n_strerror(errno));
		return OQ_EXIT_USAGE;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_error(_("バンドル %s を読めません: %s", "cannot read the bundle %s: %s"), bundle,
			  _("通常のファイルではありません", "not a regular file"));
		return OQ_EXIT_USAGE;
	}
	if (access(RAUC_CONF, R_OK) < 0 || (slot = booted_slot()) == 0) {
		cli_error(_("このホストは oqlink のアプライアンスのイメージではありません (%s または起動スロットがありません)。"
			    "更新はイメージの上でだけできます",
			    "this host is not an oqlink appliance image (no %s or no booted slot); "
			    "upgrades work only on the image"), RAUC_CONF);
		return OQ_EXIT_CANT;
	}
	other = slot == 'A' ? 'B' : 'A';
	printf(_("スロット %c で動いています。%s をスロット %c に書き込みます (署名を確かめます)...\n",
		 "running from slot %c; writing %s into slot %c (its signature is checked)...\n"),
	       slot, bundle, other);
	char rauc[] = "rauc", install[] = "install", *path = xstrdup(bundle);
	r = run((char *const[]){ rauc, install, path, NULL });
	free(path);
	if (r < 0) {
		cli_error(_("rauc を実行できません: %s", "cannot run rauc: %s"), strerror(-r));
		return OQ_EXIT_CANT;
	}
	if (r != 0) {
		cli_error(_("バンドルは入りませんでした (rauc の終了コード %d)。スロット %c のまま動き続けます",
			    "the bundle was not installed (rauc exited %d); the box stays on slot %c"),
			  r, slot);
		return OQ_EXIT_FAIL;
	}
	printf(_("スロット %c に入りました。次の起動はスロット %c からです。コンソールと見張りが動けば"
		 "スロット %c を正常とし、動かなければスロット %c に戻ります\n",
		 "installed into slot %c; the next boot is from slot %c. Once the console and the "
		 "keeper run there, slot %c is marked good; if they do not, the box returns to slot %c\n"),
	       other, other, other, slot);
	if (!reboot) {
		printf(_("再起動はしていません (--no-reboot)\n", "not rebooting (--no-reboot)\n"));
		return fflush(stdout) == 0 ? OQ_EXIT_OK : OQ_EXIT_CANT;
	}
	return reboot_now();
}

#define ESP_DIR "/boot/efi"
#define RESET_MARK ESP_DIR "/oqlink-factory-reset"

/* factory-reset asks on the terminal for the word "reset"; with no terminal
 * to ask, refuse. 0 to go on, else the exit code. */
static int confirm_reset(void)
{
	char answer[32] = "";

	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		cli_error(_("工場出荷状態に戻すと、設定、鍵、履歴、報告書、コンソールのパスワードがすべて消えます。"
			    "確認する端末がないので中止しました (続けるには --yes を付けてください)",
			    "a factory reset erases the config, keys, history, reports and the console "
			    "password. There is no terminal to ask, so nothing was done (add --yes to go on)"));
		return OQ_EXIT_USAGE;
	}
	fprintf(stderr, "%s", _("工場出荷状態に戻すと、data パーティション (設定、鍵、履歴、報告書、コンソールのパスワード) "
				"がすべて消え、再起動して初回起動の設定から始まります。続けるには reset と入力してください: ",
				"A factory reset erases the data partition (config, keys, history, reports, the "
				"console password), reboots and starts over with the first-boot setup. Type reset "
				"to go on: "));
	if (fgets(answer, sizeof(answer), stdin) == NULL || strcmp(answer, "reset\n") != 0) {
		cli_error(_("中止しました。何も消していません", "nothing was done and nothing erased"));
		return OQ_EXIT_USAGE;
	}
	return 0;
}

int cmd_factory_reset(struct cli_ctx *ctx, int argc, char **argv)
{
	bool yes = cli_args_has(ctx->args, "yes"), reboot = !cli_args_has(ctx->args, "no-reboot");
	int fd, r;

	if (argc != 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	if (access(RAUC_CONF, R_OK) < 0 || booted_slot() == 0) {
		cli_error(_("このホストは oqlink のアプライアンスのイメージではありません (%s または起動スロットがありません)。"
			    "工場出荷状態に戻せるのはイメージの上だけです",
			    "this host is not an oqlink appliance image (no %s or no booted slot); "
			    "a factory reset works only on the image"), RAUC_CONF);
		return OQ_EXIT_CANT;
	}
	if (!yes && (r = confirm_reset()) != 0)
		return r;
	/* the data partition is wiped at the next boot, before it is mounted
	 * (oqlink-factory-reset.service): the mark lives on the ESP */
	fd = open(RESET_MARK, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		cli_error(_("%s を作れません: %s", "cannot create %s: %s"), RESET_MARK, strerror(errno));
		return OQ_EXIT_CANT;
	}
	if (fd >= 0 && (fsync(fd) < 0 || close(fd) < 0)) {
		cli_error(_("%s を書けません: %s", "cannot write %s: %s"), RESET_MARK, strerror(errno));
		return OQ_EXIT_CANT;
	}
	sync();
	printf(_("次の起動で data パーティションを消します。\n",
		 "the data partition is erased at the next boot.\n"));
	if (!reboot) {
		printf(_("再起動はしていません (--no-reboot)。取り消すには %s を消してください\n",
			 "not rebooting (--no-reboot); to cancel, remove %s\n"), RESET_MARK);
		return fflush(stdout) == 0 ? OQ_EXIT_OK : OQ_EXIT_CANT;
	}
	return reboot_now();
}
