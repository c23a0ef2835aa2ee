/* The confirm countdown's file, and whether there is anything to recover:
 * apart from apply.c so that the keeper can ask without linking netlink
 * and nftables. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"
#include "provision/state.h"

struct json_object *json_file(const char *path)
{
	char *data = NULL;
	size_t len;
	struct json_object *o = NULL;

	if (file_read(path, 64u << 20, &data, &len, NULL) == 0)
		o = json_tokener_parse(data);
	free(data);
	return o;
}

bool pending_read(const struct site *s, struct pending *p)
{
	char *path = xasprintf("%s/confirm.json", s->run_dir);
	struct json_object *o = json_file(path), *v;

	free(path);
	memset(p, 0, sizeof(*p));
	if (o == NULL)
		return false;
	if (json_object_object_get_ex(o, "id", &v))
		p->id = (long)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "deadline", &v))
		p->deadline = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "pid", &v))
		p->pid = (pid_t)json_object_get_int(v);
	json_object_put(o);
	return p->id > 0;
}

bool prov_recovery_due(const struct site *s, int64_t now)
{
	char *path = xasprintf("%s/journal.json", s->state_dir);
	bool journal = access(path, F_OK) == 0;
	struct pending p;

	free(path);
	return journal || (pending_read(s, &p) && p.deadline <= now);
}
