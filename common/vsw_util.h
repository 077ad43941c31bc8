/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by the daemon and the CLI: strict parsing, VLAN lists, atomic files. */
#ifndef VSW_UTIL_H
#define VSW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VSW_VLAN_MAX 4094
#define VSW_VLAN_BITMAP_WORDS 64 /* 4096 bits */

#define VSW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse a decimal unsigned integer in [min, max]; no sign, no trailing garbage.
 * Returns 0, -EINVAL (not a number) or -ERANGE. */
int vsw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* Parse "10,20-30" into a bitmap of VLANs 1..4094. An empty string gives an empty bitmap.
 * Returns 0 or -EINVAL / -ERANGE, with a message in 'err'; 'bitmap' is untouched on error. */
int vsw_vlan_list_parse(const char *s, uint64_t bitmap[VSW_VLAN_BITMAP_WORDS], char *err,
	size_t errlen);

/* Format a VLAN bitmap as "10,20-30" (ranges collapsed). Returns the string length or
 * -ENOSPC if 'buf' is too small. */
int vsw_vlan_list_format(const uint64_t bitmap[VSW_VLAN_BITMAP_WORDS], char *buf, size_t size);

static inline bool vsw_bitmap_test(const uint64_t *bm, unsigned int bit)
{
	return (bm[bit / 64] >> (bit % 64)) & 1;
}

static inline void vsw_bitmap_set(uint64_t *bm, unsigned int bit)
{
	bm[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* Replace 'path' with 'size' bytes of 'data' so that a crash at any moment leaves either the old
 * or the new content: write a temporary file in the same directory, fsync, rename, fsync the
 * directory. Returns 0 or -errno. */
int vsw_file_write_atomic(const char *path, const void *data, size_t size, unsigned int mode);

/* Read a whole file (at most 'max' bytes) into a NUL-terminated malloc'ed buffer.
 * Returns 0, -errno, or -EFBIG. */
int vsw_file_read(const char *path, size_t max, char **out, size_t *size);

/* Port and instance names: 1..15 characters of [A-Za-z0-9_.-], not starting with '-'. */
bool vsw_name_is_valid(const char *name);

/* mkdir -p: create 'dir' (mode 'mode') and its missing parents (0755). An existing directory is
 * fine. Returns 0, -ENAMETOOLONG or -errno of the failing mkdir. */
int vsw_mkdir_p(const char *dir, mode_t mode);

/* Daemon command-line options: copy a valid value of option --'name' into 'out' (of 'size'
 * bytes), or print "PROG: --NAME: why" to stderr and return -EINVAL. A path must be non-empty
 * and shorter than 'size'; a name as vsw_name_is_valid() says. */
int vsw_opt_path(const char *prog, const char *name, const char *arg, char *out, size_t size);
int vsw_opt_name(const char *prog, const char *name, const char *arg, char *out, size_t size);

#endif
