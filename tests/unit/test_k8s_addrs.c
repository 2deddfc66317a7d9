// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The cluster's addresses: pods named by their workload, Services by
 * name, headless Services and host-network pods without an address, a
 * Service's IP winning over a pod's, watch events, v4-mapped peers, and
 * lists of the wrong kind refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "identity/k8s_addrs.h"

#define POD(uid, name, node, ip, owner_json, extra)                                                                \
	"{\"metadata\":{\"uid\":\"" uid "\",\"name\":\"" name "\",\"resourceVersion\":\"9\"" owner_json "},"       \
	"\"spec\":{\"nodeName\":\"" node "\"" extra "},\"status\":{\"podIP\":\"" ip "\",\"podIPs\":[{\"ip\":\"" ip \
	"\"}]}}"
#define DEPLOYMENT(name)                                                                                            \
	",\"labels\":{\"pod-template-hash\":\"h1\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"" name \
	"-h1\"}]"
#define SERVICE(uid, name, ip) \
	"{\"metadata\":{\"uid\":\"" uid "\",\"name\":\"" name "\"},\"spec\":{\"clusterIP\":\"" ip "\"}}"

static const char pods[] = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[" POD(
	"p1", "web-h1-aaaaa", "node-1", "10.1.0.5", DEPLOYMENT("web"),
	"") "," POD("p2", "job-1", "node-2", "fd00::7", "",
		    "") "," POD("p3", "proxy", "node-1", "10.0.0.1", "",
				",\"hostNetwork\":true") "," POD("p4", "shadow", "node-2", "10.96.0.10", "", "") "]}";
static const char services[] = "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"6\"},\"items\":[" SERVICE(
	"s1", "dns", "10.96.0.10") "," SERVICE("s2", "headless", "None") "]}";

static struct sonde_peer ip(const char *text, unsigned port)
{
	struct sonde_peer p = { .port = (uint16_t)port };

	p.family = inet_pton(AF_INET, text, p.addr) == 1 ? AF_INET : AF_INET6;
	if (p.family == AF_INET6)
		inet_pton(AF_INET6, text, p.addr);
	return p;
}

static int replace(struct k8s_addrs *a, struct k8s_addr_set *s, const char *body, size_t len)
{
	char cont[64];
	int ret = k8s_addrs_page(a, s, body, len, true, cont, sizeof(cont));

	assert_string_equal(cont, "");
	return ret;
}

/* node-1's view of the lists above. */
static void load(struct k8s_addrs *a)
{
	k8s_addrs_init(a, "node-1");
	assert_int_equal(replace(a, &a->pods, pods, strlen(pods)), 0);
	assert_int_equal(replace(a, &a->services, services, strlen(services)), 0);
}

static const char *lookup(struct k8s_addrs *a, const char *text, bool *this_node)
{
	struct sonde_peer p = ip(text, 8080);

	return k8s_addrs_lookup(a, &p, this_node);
}

static void test_lists(void **state)
{
	struct k8s_addrs a;
	bool here;

	(void)state;
	load(&a);
	assert_string_equal(a.pods.resource_version, "5");
	assert_string_equal(a.services.resource_version, "6");
	/* Host-network pods and headless Services have no address of their own. */
	assert_int_equal(a.pods.n, 3);
	assert_int_equal(a.services.n, 1);
	assert_string_equal(lookup(&a, "10.1.0.5", &here), "web");
	assert_true(here);
	assert_string_equal(lookup(&a, "fd00::7", &here), "job-1");
	assert_false(here);
	assert_string_equal(lookup(&a, "::ffff:10.1.0.5", &here), "web");
	assert_null(lookup(&a, "10.0.0.1", &here));
	assert_string_equal(lookup(&a, "10.96.0.10", &here), "dns");
	assert_false(here);
	assert_null(lookup(&a, "10.9.9.9", &here));
	/* The wrong kind of list: refused, the set stays. */
	assert_int_equal(replace(&a, &a.services, pods, strlen(pods)), -EINVAL);
	assert_int_equal(replace(&a, &a.pods, pods, 30), -EINVAL);
	assert_int_equal(a.services.n, 1);
	assert_int_equal(a.pods.n, 3);
	k8s_addrs_free(&a);
}

static void test_events(void **state)
{
	static const char added[] = "{\"type\":\"ADDED\",\"object\":" POD("p5", "api-h1-bbbbb", "node-1", "10.1.0.9",
									  DEPLOYMENT("api"), "") "}";
	static const char moved[] = "{\"type\":\"MODIFIED\",\"object\":" POD("p5", "api-h1-bbbbb", "node-1",
									     "10.1.0.10", DEPLOYMENT("api"), "") "}";
	static const char deleted[] = "{\"type\":\"DELETED\",\"object\":" SERVICE("s1", "dns", "10.96.0.10") "}";
	struct k8s_addrs a;
	bool here;

	(void)state;
	load(&a);
	assert_int_equal(k8s_addrs_event(&a, &a.pods, added, strlen(added)), K8S_EVENT_APPLIED);
	assert_string_equal(lookup(&a, "10.1.0.9", &here), "api");
	assert_int_equal(k8s_addrs_event(&a, &a.pods, moved, strlen(moved)), K8S_EVENT_APPLIED);
	assert_null(lookup(&a, "10.1.0.9", &here));
	assert_string_equal(lookup(&a, "10.1.0.10", &here), "api");
	assert_string_equal(a.pods.resource_version, "9");
	/* The Service gone, the pod that shares its IP answers. */
	assert_int_equal(k8s_addrs_event(&a, &a.services, deleted, strlen(deleted)), K8S_EVENT_APPLIED);
	assert_string_equal(lookup(&a, "10.96.0.10", &here), "shadow");
	assert_int_equal(k8s_addrs_event(&a, &a.pods, "{\"type\":\"ADDED\"}", 16), K8S_EVENT_BAD);
	assert_int_equal(k8s_addrs_event(&a, &a.pods, "\x01junk", 5), K8S_EVENT_BAD);
	assert_int_equal(a.pods.n, 4);
	k8s_addrs_free(&a);
}

/* A list in pages: the set in place stays until the last page is in. */
static void test_pages(void **state)
{
	static const char page1[] = "{\"kind\":\"PodList\",\"metadata\":{\"continue\":\"tok+1\"},\"items\":[" POD(
		"q1", "a", "node-1", "10.2.0.1", "", "") "]}";
	static const char page2[] = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"77\"},\"items\":[" POD(
		"q2", "b", "node-2", "10.2.0.2", "", "") "]}";
	struct k8s_addrs a;
	char cont[64];
	bool here;

	(void)state;
	load(&a);
	assert_int_equal(k8s_addrs_page(&a, &a.pods, page1, strlen(page1), true, cont, sizeof(cont)), 0);
	assert_string_equal(cont, "tok+1");
	assert_string_equal(lookup(&a, "10.1.0.5", &here), "web");
	assert_null(lookup(&a, "10.2.0.1", &here));
	assert_int_equal(k8s_addrs_page(&a, &a.pods, page2, strlen(page2), false, cont, sizeof(cont)), 0);
	assert_string_equal(cont, "");
	assert_null(lookup(&a, "10.1.0.5", &here));
	assert_string_equal(lookup(&a, "10.2.0.1", &here), "a");
	assert_string_equal(lookup(&a, "10.2.0.2", &here), "b");
	assert_string_equal(a.pods.resource_version, "77");
	assert_int_equal(a.pods.n, 2);
	/* The pods' and the Services' lists in pages at once (two threads):
	 * neither takes the other's pages. */
	static const char spage1[] = "{\"kind\":\"ServiceList\",\"metadata\":{\"continue\":\"s\"},\"items\":[" SERVICE(
		"t1", "api", "10.96.1.1") "]}";
	static const char spage2[] =
		"{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"88\"},\"items\":[" SERVICE(
			"t2", "db", "10.96.1.2") "]}";

	assert_int_equal(k8s_addrs_page(&a, &a.pods, page1, strlen(page1), true, cont, sizeof(cont)), 0);
	assert_int_equal(k8s_addrs_page(&a, &a.services, spage1, strlen(spage1), true, cont, sizeof(cont)), 0);
	assert_int_equal(k8s_addrs_page(&a, &a.pods, page2, strlen(page2), false, cont, sizeof(cont)), 0);
	assert_int_equal(k8s_addrs_page(&a, &a.services, spage2, strlen(spage2), false, cont, sizeof(cont)), 0);
	assert_int_equal(a.pods.kind, K8S_ADDR_POD);
	assert_int_equal(a.services.kind, K8S_ADDR_SERVICE);
	assert_int_equal(a.pods.n, 2);
	assert_int_equal(a.services.n, 2);
	assert_string_equal(a.services.resource_version, "88");
	assert_string_equal(lookup(&a, "10.96.1.2", &here), "db");
	assert_string_equal(lookup(&a, "10.2.0.2", &here), "b");
	/* A bad page drops the pages so far; the set stays. */
	assert_int_equal(k8s_addrs_page(&a, &a.pods, page1, strlen(page1), true, cont, sizeof(cont)), 0);
	assert_int_equal(k8s_addrs_page(&a, &a.pods, "{}", 2, false, cont, sizeof(cont)), -EINVAL);
	assert_int_equal(a.pods.n, 2);
	k8s_addrs_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
