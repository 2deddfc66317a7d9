// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pod lists and watch events as the Kubernetes API sends them: owners,
 * container ids without their runtime prefix, versions, 410 Gone and
 * bytes that are not an event. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "identity/k8s_pods.h"

#define POD(uid, name, owner_kind, owner, hash, cid, cname)                                                     \
	"{\"metadata\":{\"uid\":\"" uid "\",\"name\":\"" name "\",\"namespace\":\"shop\","                      \
	"\"labels\":{\"pod-template-hash\":\"" hash "\"},\"resourceVersion\":\"7\","                            \
	"\"ownerReferences\":[{\"kind\":\"" owner_kind "\",\"name\":\"" owner "\"}]},"                          \
	"\"status\":{\"containerStatuses\":[{\"name\":\"" cname "\",\"containerID\":\"containerd://" cid "\"}," \
	"{\"name\":\"waiting\"}]}}"

static const char list[] = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"41\"},\"items\":[" POD(
	"u1", "checkout-7f9c-x2x7q", "ReplicaSet", "checkout-7f9c", "7f9c", "c1",
	"web") "," POD("u2", "ledger-0", "StatefulSet", "ledger", "", "c2",
		       "db") "," POD("u3", "lonely-abc", "ReplicaSet", "lonely", "zzz", "c3", "app") "]}";

static void test_list(void **state)
{
	struct k8s_pods s = { 0 };
	struct k8s_meta m;

	(void)state;
	assert_int_equal(k8s_pods_replace(&s, list, strlen(list)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.resource_version, "41");
	assert_int_equal(k8s_pods_lookup(&s, "u1", "c1", &m), 0);
	assert_string_equal(m.ns, "shop");
	assert_string_equal(m.pod, "checkout-7f9c-x2x7q");
	assert_string_equal(m.container, "web");
	assert_string_equal(m.deployment, "checkout");
	assert_string_equal(m.statefulset, "");
	assert_int_equal(k8s_pods_lookup(&s, "u2", "c2", &m), 0);
	assert_string_equal(m.statefulset, "ledger");
	assert_string_equal(m.deployment, "");
	/* A ReplicaSet whose name does not end in the pod's hash has no Deployment. */
	assert_int_equal(k8s_pods_lookup(&s, "u3", "c3", &m), 0);
	assert_string_equal(m.deployment, "");
	/* An unknown container of a known pod: the pod's metadata, no container. */
	assert_int_equal(k8s_pods_lookup(&s, "u1", "other", &m), 0);
	assert_string_equal(m.container, "");
	assert_int_equal(k8s_pods_lookup(&s, "u9", "c1", &m), -ENOENT);
	assert_int_equal(k8s_pods_lookup(&s, "", "", &m), -ENOENT);
	/* Not a PodList: refused, the store stays. */
	assert_int_equal(k8s_pods_replace(&s, "{\"kind\":\"Status\"}", 17), -EINVAL);
	assert_int_equal(k8s_pods_replace(&s, list, 40), -EINVAL);
	assert_int_equal(s.n, 3);
	k8s_pods_free(&s);
}

static void test_events(void **state)
{
	static const char added[] =
		"{\"type\":\"ADDED\",\"object\":" POD("u4", "agent-5xk2p", "DaemonSet", "agent", "", "c4", "agent") "}";
	static const char deleted[] =
		"{\"type\":\"DELETED\",\"object\":" POD("u2", "ledger-0", "StatefulSet", "ledger", "", "c2", "db") "}";
	static const char bookmark[] = "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"99\"}}}";
	static const char gone[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}";
	static const char other_error[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500}}";
	struct k8s_pods s = { 0 };
	struct k8s_meta m;

	(void)state;
	assert_int_equal(k8s_pods_replace(&s, list, strlen(list)), 0);
	assert_int_equal(k8s_pods_event(&s, added, strlen(added)), K8S_EVENT_APPLIED);
	assert_string_equal(s.resource_version, "7");
	assert_int_equal(k8s_pods_lookup(&s, "u4", "c4", &m), 0);
	assert_string_equal(m.daemonset, "agent");
	assert_int_equal(k8s_pods_event(&s, deleted, strlen(deleted)), K8S_EVENT_APPLIED);
	assert_int_equal(k8s_pods_lookup(&s, "u2", "c2", &m), -ENOENT);
	assert_int_equal(s.n, 3);
	assert_int_equal(k8s_pods_event(&s, bookmark, strlen(bookmark)), K8S_EVENT_IGNORED);
	assert_string_equal(s.resource_version, "99");
	assert_int_equal(k8s_pods_event(&s, gone, strlen(gone)), K8S_EVENT_GONE);
	assert_int_equal(k8s_pods_event(&s, other_error, strlen(other_error)), K8S_EVENT_BAD);
	assert_int_equal(k8s_pods_event(&s, "{\"type\":\"ADDED\"}", 16), K8S_EVENT_BAD);
	assert_int_equal(k8s_pods_event(&s, "\x00\xff junk", 7), K8S_EVENT_BAD);
	assert_int_equal(k8s_pods_event(&s, added, strlen(added) - 1), K8S_EVENT_BAD);
	assert_int_equal(k8s_pods_event(&s, "", 0), K8S_EVENT_BAD);
	assert_int_equal(s.n, 3);
	k8s_pods_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
