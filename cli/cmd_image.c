/* The commands of the appliance image (docs/image.md): oqlink upgrade
 * installs a signed RAUC bundle into the other root slot and reboots into
 * it. */
#include <errno.h>
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
	errno = 0;
	if (stat(bundle, &st) < 0 || !S_ISREG(st.st_mode)) {
		const char *why = S_ISREG(st.st_mode) || errno ? strerror(errno) :
				  _("通常のファイルではありません", "not a regular file");
		cli_error(_("バンドル %s を読めません: %s", "cannot read the bundle %s: %s"), bundle, why);
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
