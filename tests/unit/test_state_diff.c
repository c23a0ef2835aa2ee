/* The state diff: the host as the site wants it, read back unchanged, needs
 * no step; each single difference (a link's MTU or state, a route's
 * gateway, metric or length, an address's length, an address too many)
 * gives exactly the steps that undo it, and a link whose MTU the site
 * leaves alone gives none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"
#include "provision/state.h"

/* An IPsec site whose line MTU (1454) differs from the usual 1500. */
static struct site *load(void)
{
	static const char text[] =
		"[site]\nfacility_code = 1312345678\nfacility_name = x\n"
		"[uplink]\ntype = ipsec\ninterface = wan0\naddress = 198.51.100.2/24\n"
		"gateway = 198.51.100.1\nmtu = 1454\n"
		"[ipsec]\npeer = 203.0.113.1\nauth = psk\npsk_file = /etc/oqlink/psk\n"
		"local_id = clinic@example\nremote_id = gw.example\n"
		"[lan]\ninterface = lan0\naddress = 192.168.10.1/24\n"
		"[terminal]\nhost = 192.168.10.10\n"
		"[central]\nprefixes = 192.0.2.0/24\n";
	struct site_diags d = { 0 };
	struct site *s = site_load_string("t.conf", text, false, &d);

	site_diags_free(&d);
	assert_non_null(s);
	return s;
}

/* A deep copy of st, as a snapshot would hold it. */
static void copy(const struct ps_state *st, struct ps_state *out)
{
	struct json_object *o = ps_state_to_json(st);
	char *cause = NULL;

	memset(out, 0, sizeof(*out));
	assert_int_equal(ps_state_from_json(o, out, &cause), 0);
	json_object_put(o);
}

/* The number of steps of kind k in plan p. */
static size_t count(const struct prov_plan *p, enum prov_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_steps; i++)
		n += p->steps[i].kind == k;
	return n;
}

static struct ps_link *link_of(struct ps_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_links; i++)
		if (strcmp(st->links[i].name, name) == 0)
			return &st->links[i];
	fail_msg("no link %s", name);
	return NULL;
}

/* The first unicast route through a gateway (the default route). */
static struct ps_route *gw_route(struct ps_state *st)
{
	for (size_t i = 0; i < st->n_routes; i++)
		if (st->routes[i].gw.family)
			return &st->routes[i];
	fail_msg("no route through a gateway");
	return NULL;
}

static struct ps_addr *addr_on(struct ps_state *st, const char *ifname)
{
	for (size_t i = 0; i < st->n_addrs; i++)
		if (strcmp(st->addrs[i].ifname, ifname) == 0)
			return &st->addrs[i];
	fail_msg("no address on %s", ifname);
	return NULL;
}

enum change { SAME, MTU, MTU_FREE, DOWN, GATEWAY, METRIC, ROUTE_LEN, ADDR_LEN, ADDR_EXTRA,
	      N_CHANGES };

/* Change cur (a copy of want) in one way. */
static void change(struct ps_state *cur, struct ps_state *want, enum change c)
{
	struct ps_addr *a;

	switch (c) {
	case SAME: break;
	case MTU: link_of(cur, "wan0")->mtu = 1500; break;
	case MTU_FREE: link_of(cur, "lan0")->mtu = 9000; break;	/* the site leaves it */
	case DOWN: link_of(cur, "lan0")->up = false; break;
	case GATEWAY: gw_route(cur)->gw.addr[3] = 254; break;
	case METRIC: gw_route(cur)->metric = 100; break;
	case ROUTE_LEN:
		for (size_t i = 0; i < cur->n_routes; i++)
			if (cur->routes[i].gw.family == 0 && cur->routes[i].dst.len == 24)
				cur->routes[i].dst.len = 25;
		break;
	case ADDR_LEN: addr_on(cur, "lan0")->local.len = 25; break;
	case ADDR_EXTRA:
		cur->addrs = xrealloc(cur->addrs, (cur->n_addrs + 1) * sizeof(*cur->addrs));
		a = &cur->addrs[cur->n_addrs++];
		*a = *addr_on(cur, "lan0");
		a->local.addr[3] = 2;
		break;
	case N_CHANGES: break;
	}
	(void)want;
}

static void test_diff(void **state)
{
	static const struct {
		const char *what;
		size_t link, addr_add, addr_del, route_add, route_del;
	} want_steps[N_CHANGES] = {
		[SAME] = { "the same", 0, 0, 0, 0, 0 },
		[MTU] = { "the line's MTU differs", 1, 0, 0, 0, 0 },
		[MTU_FREE] = { "the LAN's MTU, which the site leaves", 0, 0, 0, 0, 0 },
		[DOWN] = { "the LAN is down", 1, 0, 0, 0, 0 },
		[GATEWAY] = { "the default route's gateway differs", 0, 0, 0, 1, 1 },
		[METRIC] = { "the default route's metric differs", 0, 0, 0, 1, 1 },
		[ROUTE_LEN] = { "the central route's length differs", 0, 0, 0, 1, 1 },
		[ADDR_LEN] = { "the LAN address's length differs", 0, 1, 1, 0, 0 },
		[ADDR_EXTRA] = { "an address too many on the LAN", 0, 0, 1, 0, 0 },
	};
	struct site *s = load();
	struct ps_state want;
	char *cause = NULL;

	(void)state;
	assert_int_equal(ps_desired(s, &want, &cause), 0);
	assert_int_equal(link_of(&want, "wan0")->mtu, 1454);
	for (int c = 0; c < N_CHANGES; c++) {
		struct ps_state cur;
		struct prov_plan p = { 0 };
		copy(&want, &cur);
		change(&cur, &want, (enum change)c);
		ps_diff(&cur, &want, false, &p);
		size_t got[] = { count(&p, PROV_LINK), count(&p, PROV_ADDR_ADD), count(&p, PROV_ADDR_DEL),
				 count(&p, PROV_ROUTE_ADD), count(&p, PROV_ROUTE_DEL) };
		size_t exp[] = { want_steps[c].link, want_steps[c].addr_add, want_steps[c].addr_del,
				 want_steps[c].route_add, want_steps[c].route_del };
		if (memcmp(got, exp, sizeof(got)) != 0)
			fail_msg("%s: link %zu, addr +%zu -%zu, route +%zu -%zu; want %zu, +%zu -%zu, +%zu -%zu",
				 want_steps[c].what, got[0], got[1], got[2], got[3], got[4], exp[0], exp[1],
				 exp[2], exp[3], exp[4]);
		if (c == MTU)
			for (size_t i = 0; i < p.n_steps; i++)
				if (p.steps[i].kind == PROV_LINK) {
					assert_string_equal(p.steps[i].from, "up, mtu 1500");
					assert_string_equal(p.steps[i].to, "up, mtu 1454");
				}
		for (size_t i = 0; i < p.n_steps; i++) {
			free(p.steps[i].object);
			free(p.steps[i].from);
			free(p.steps[i].to);
			ps_step_priv_free(p.steps[i].priv);
		}
		free(p.steps);
		ps_state_clear(&cur);
	}
	ps_state_clear(&want);
	site_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
