// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "identity/cgroup.h"

int cgroup_mount_from(const char *mountinfo, char *out, size_t size)
{
	const char *line = mountinfo;

	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
	while (line && *line) {
		const char *end = strchr(line, '\n'), *sep;
		char point[4096], fstype[64];
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[8192];

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = 0;
			sep = strstr(buf, " - ");
			if (sep && sscanf(buf, "%*s %*s %*s %*s %4095s", point) == 1 &&
			    sscanf(sep + 3, "%63s", fstype) == 1 && !strcmp(fstype, "cgroup2") &&
			    strlen(point) < size) {
				strcpy(out, point);
				return 0;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int cgroup_mount(char *out, size_t size)
{
	char *text = NULL;
	size_t cap = 0, n;
	FILE *f;
	int ret;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	ret = n == (size_t)-1 ? -EIO : cgroup_mount_from(text, out, size);
	free(text);
	return ret;
}

int cgroup_resolve(const char *path, char *dir, size_t size, uint64_t *id, uint32_t *level)
{
	char mount[4096];
	struct stat st;
	uint32_t depth = 0;
	int ret, n;

	ret = cgroup_mount(mount, sizeof(mount));
	if (ret)
		return ret;
	n = snprintf(dir, size, "%s%s", mount, path);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			depth++;
	*id = st.st_ino;
	*level = depth;
	return 0;
}
