// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/procfs.h"

int procfs_stat(uint32_t pid, struct procfs_stat *out)
{
	unsigned long long utime, stime, start;
	unsigned int flags;
	const char *open_paren, *close_paren;
	char path[64], buf[1024], state;
	unsigned int ppid;
	size_t n, len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (!n)
		return -EIO;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EIO;
	/* After the command: state, ppid (field 4), flags (9), utime and
	 * stime (14 and 15), starttime (22). */
	if (sscanf(close_paren + 1, " %c %u %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
		   &state, &ppid, &flags, &utime, &stime, &start) != 6)
		return -EIO;
	memset(out, 0, sizeof(*out));
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, len);
	out->ppid = ppid;
	out->state = state;
	out->exiting = !!(flags & 0x4); /* PF_EXITING */
	out->utime = utime;
	out->stime = stime;
	out->start_time = start;
	return 0;
}

int procfs_holds_socket(uint32_t pid, const unsigned long *inodes, size_t n)
{
	char path[64], link[64];
	struct dirent *d;
	int found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		char fdpath[320];
		unsigned long inode;
		ssize_t len;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (sscanf(link, "socket:[%lu]", &inode) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			if (inodes[i] == inode)
				found = 1;
	}
	closedir(dir);
	return found;
}
