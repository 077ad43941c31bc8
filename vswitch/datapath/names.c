/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "drop.h"
#include "vlan.h"

static const char *const drop_names[] = {
#define VS_DROP_NAME(e, s) [VS_DROP_##e] = s,
	VS_DROP_REASONS(VS_DROP_NAME)
#undef VS_DROP_NAME
};

const char *vs_drop_name(enum vs_drop d)
{
	return d < VS_DROP_COUNT ? drop_names[d] : "?";
}

static const char *const mode_names[] = {
	[VS_VLAN_UNTAGGED] = "untagged",
	[VS_VLAN_ACCESS] = "access",
	[VS_VLAN_TRUNK] = "trunk",
};

const char *vs_vlan_mode_name(enum vs_vlan_mode m)
{
	return m <= VS_VLAN_TRUNK ? mode_names[m] : "?";
}

int vs_vlan_mode_parse(const char *s, enum vs_vlan_mode *m)
{
	unsigned int i;

	for (i = 0; i <= VS_VLAN_TRUNK; i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum vs_vlan_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}
