/* oqlink nic list | identify: the network ports of this box, and blinking
 * one's light to find it on the back panel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/util.h"
#include "provision/provision.h"

int cmd_nic_list(struct cli_ctx *ctx, int argc, char **argv)
{
	struct prov_nic *v = NULL;
	size_t n = 0;
	char *cause = NULL;
	int ret = OQ_EXIT_CANT;

	(void)argv;
	if (argc > 1) {
		cli_error(_("使い方: oqlink nic list", "usage: oqlink nic list"));
		return OQ_EXIT_USAGE;
	}
	if (prov_nic_list(&v, &n, &cause) < 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (ctx->json) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(v[i].name));
			json_object_object_add(o, "mac", json_object_new_string(v[i].mac));
			json_object_object_add(o, "driver", json_object_new_string(v[i].driver));
			json_object_object_add(o, "carrier", json_object_new_boolean(v[i].carrier));
			json_object_object_add(o, "up", json_object_new_boolean(v[i].up));
			json_object_object_add(o, "speed_mbps",
					       v[i].speed_mbps > 0 ? json_object_new_int(v[i].speed_mbps) : NULL);
			json_object_array_add(a, o);
		}
		ret = cli_put_json(a) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i <= n; i++) {
		/* padded by display width: the header may be Japanese */
		char speed[24] = "-";
		const char *cols[5] = { _("名前", "name"), "MAC", _("ドライバ", "driver"), _("リンク", "link"),
					_("速度", "speed") };
		static const size_t width[5] = { 16, 18, 12, 8, 0 };
		if (i > 0) {
			const struct prov_nic *c = &v[i - 1];
			if (c->speed_mbps > 0)
				snprintf(speed, sizeof(speed), "%d Mb/s", c->speed_mbps);
			cols[0] = c->name, cols[1] = c->mac, cols[2] = *c->driver ? c->driver : "-";
			cols[3] = c->carrier ? _("あり", "up") : _("なし", "down"), cols[4] = speed;
		}
		for (size_t k = 0; k < 5; k++) {
			char *p = width[k] ? str_pad(cols[k], width[k] + 1) : xstrdup(cols[k]);
			fputs(p, stdout);
			free(p);
		}
		putchar('\n');
	}
	ret = fflush(stdout) == 0 ? OQ_EXIT_OK : OQ_EXIT_CANT;
out:
	free(v);
	free(cause);
	return ret;
}

int cmd_nic_identify(struct cli_ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;
	int64_t ms = 10000;
	long secs;
	int r;

	(void)ctx;
	/* SECONDS is a length of time like the options' (5s, 2m; bare: seconds) */
	if (argc < 2 || argc > 3 || (argc == 3 && parse_duration_ms(argv[2], 1000, 1000, 120000, &ms) < 0)) {
		cli_error(_("使い方: oqlink nic identify NAME [秒 (1s〜2m、既定 10s)]",
			    "usage: oqlink nic identify NAME [SECONDS (1s to 2m, default 10s)]"));
		return OQ_EXIT_USAGE;
	}
	secs = (long)((ms + 999) / 1000);
	printf(_("%s のランプを %ld 秒点滅させます...\n", "blinking the light of %s for %ld s...\n"), argv[1], secs);
	fflush(stdout);
	r = prov_nic_identify(argv[1], (unsigned)secs, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		free(cause);
		return r == -EOPNOTSUPP ? OQ_EXIT_FAIL : OQ_EXIT_CANT;
	}
	return OQ_EXIT_OK;
}
