// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Container and pod identity from cgroup paths, the cgroup2 mount from
 * mountinfo, and peer labels. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "identity/cgroup.h"
#include "identity/identity.h"
#include "pipeline/peers.h"

#define CID "3f0c1a2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
#define UID "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
#define UID_ "1b4e28ba_2fa1_41d2_883f_0016d3cca427"

static void expect(const char *path, const char *container, const char *pod)
{
	struct identity id;

	identity_from_cgroup_path(path, &id);
	if (strcmp(id.container_id, container) || strcmp(id.pod_uid, pod))
		fail_msg("%s: got container '%s' pod '%s'", path, id.container_id, id.pod_uid);
}

static void test_layouts(void **state)
{
	(void)state;
	/* Kubernetes, systemd driver: containerd, CRI-O, docker. */
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID
	       ".scope",
	       CID, UID);
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" CID ".scope", CID,
	       UID);
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID ".scope", CID, UID);
	/* Kubernetes, cgroupfs driver, with and without a QoS level. */
	expect("/kubepods/besteffort/pod" UID "/" CID, CID, UID);
	expect("/kubepods/pod" UID "/" CID, CID, UID);
	/* The pod's own cgroup, no container yet. */
	expect("/kubepods/burstable/pod" UID, "", UID);
	/* Docker and podman outside Kubernetes. */
	expect("/docker/" CID, CID, "");
	expect("/system.slice/docker-" CID ".scope", CID, "");
	expect("/machine.slice/libpod-" CID ".scope", CID, "");
	/* Not containers. */
	expect("/", "", "");
	expect("/user.slice/user-0.slice/session-3.scope", "", "");
	expect("/system.slice/nginx.service", "", "");
	expect("/docker/"
	       "3f0c1a2b",
	       "", "");
	expect("/kubepods/besteffort/podnot-a-uid/" CID, CID, "");
	expect("/sonde-" CID ".scope", "", "");
}

static void test_mountinfo(void **state)
{
	const char hybrid[] = "25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
			      "30 25 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
			      "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
			      "32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n";
	const char unified[] = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - cgroup2 cgroup2 rw\n";
	char out[256];

	(void)state;
	assert_int_equal(cgroup_mount_from(hybrid, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(cgroup_mount_from(unified, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(cgroup_mount_from("25 30 0:22 / /sys rw - sysfs sysfs rw\n", out, sizeof(out)), -ENOENT);
}

static struct sonde_peer v4(const char *addr, unsigned port)
{
	struct sonde_peer p = { .family = AF_INET, .port = (uint16_t)port };

	inet_pton(AF_INET, addr, p.addr);
	return p;
}

static void test_peers(void **state)
{
	struct peers *p = malloc(sizeof(*p));
	struct sonde_peer v6 = { .family = AF_INET6, .port = 443 };
	struct sonde_peer a = v4("10.0.0.1", 5432), b = v4("10.0.0.2", 6379), c = v4("10.0.0.3", 80);
	char out[PEER_LABEL_MAX];

	(void)state;
	peers_init(p, 2);
	assert_string_equal(peers_label(p, "web", &a, false, out, sizeof(out)), "10.0.0.1:5432");
	assert_string_equal(peers_label(p, "web", &b, false, out, sizeof(out)), "10.0.0.2:6379");
	/* The third distinct peer of web overflows; known peers still pass. */
	assert_string_equal(peers_label(p, "web", &c, false, out, sizeof(out)), PEER_OVERFLOW);
	assert_string_equal(peers_label(p, "web", &a, false, out, sizeof(out)), "10.0.0.1:5432");
	/* Caps are per service. */
	assert_string_equal(peers_label(p, "api", &c, false, out, sizeof(out)), "10.0.0.3:80");
	/* Inbound peers drop the client's ephemeral port: one label per host. */
	struct sonde_peer in1 = v4("192.168.1.7", 51234), in2 = v4("192.168.1.7", 51999);
	assert_string_equal(peers_label(p, "db", &in1, true, out, sizeof(out)), "192.168.1.7");
	assert_string_equal(peers_label(p, "db", &in2, true, out, sizeof(out)), "192.168.1.7");
	inet_pton(AF_INET6, "::1", v6.addr);
	assert_string_equal(peers_label(p, "db", &v6, false, out, sizeof(out)), "[::1]:443");
	free(p);
}

static void test_peer_table_full(void **state)
{
	struct peers *p = malloc(sizeof(*p));
	char out[PEER_LABEL_MAX], service[16];
	int overflow = 0;

	(void)state;
	peers_init(p, 1000);
	/* More pairs than the table holds: the excess overflows, nothing breaks. */
	for (unsigned i = 0; i < 3 * PEERS_TABLE_SIZE; i++) {
		struct sonde_peer x = { .family = AF_INET, .port = (uint16_t)(i % 60000 + 1) };

		memcpy(x.addr, &i, sizeof(i));
		snprintf(service, sizeof(service), "s%u", i % 7);
		overflow += !strcmp(peers_label(p, service, &x, false, out, sizeof(out)), PEER_OVERFLOW);
	}
	assert_true(overflow > 0);
	assert_true(p->used <= PEERS_TABLE_SIZE * 3 / 4);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_peer_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
