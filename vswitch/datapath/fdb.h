/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC learning table, keyed by (MAC, VLAN).
 *
 * Threads: the control thread is the only one that adds or deletes keys. Workers look up keys
 * lock-free and may move an existing entry to another port or refresh its age with relaxed
 * atomic stores. Deleted entries are recycled only after every worker has passed a quiescent
 * state (rte_rcu_qsbr), so a worker never reads an entry that was reused under it.
 *
 * Time is in caller-chosen ticks (TSC in the switch, a fake clock in tests).
 */
#ifndef VS_FDB_H
#define VS_FDB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

struct vs_fdb_key {
	uint8_t mac[6];
	uint16_t vlan;
};
_Static_assert(sizeof(struct vs_fdb_key) == 8, "fdb key is one 64-bit word");

struct vs_fdb_entry {
	struct vs_fdb_key key; /* immutable while the entry is live */
	uint16_t port;	       /* switch port slot; atomic, control and workers write */
	uint16_t is_static;    /* reserved: never aged */
	uint32_t next_free;    /* control only: free-list link */
	uint64_t last_seen;    /* ticks; atomic, control and workers write */
};

struct vs_fdb_stats {
	uint64_t learned; /* new entries */
	uint64_t moved;	  /* entries that changed port (counted by control only) */
	uint64_t aged;	  /* entries removed by ageing */
	uint64_t full;	  /* learn attempts refused because the table was full */
};

struct vs_fdb {
	struct rte_hash *hash;
	struct vs_fdb_entry *entries; /* indexed by the hash's data word */
	uint32_t capacity;	      /* most keys the table holds */
	uint32_t n_entries;	      /* control only */
	uint32_t pool_size;
	uint32_t free_head;
	bool rcu;		      /* readers are registered on an RCU variable */
	uint64_t gen;		      /* bumped after every delete; control: rw, workers: ro */
	struct vs_fdb_stats stats;    /* control only */
};

#define VS_FDB_NO_PORT UINT16_MAX

/* Create a table of 'capacity' keys, readers registered on 'qs' (may be NULL when there are no
 * concurrent readers, as in unit tests). Returns NULL with rte_errno set. Control thread. */
struct vs_fdb *vs_fdb_create(const char *name, uint32_t capacity, struct rte_rcu_qsbr *qs);
void vs_fdb_destroy(struct vs_fdb *fdb);

/* Learn 'key' on 'port' at time 'now'. Returns 0 (new), 1 (moved), 2 (refreshed, same port),
 * or -ENOSPC when the table is full. Control thread. */
int vs_fdb_learn(struct vs_fdb *fdb, const struct vs_fdb_key *key, uint16_t port, uint64_t now);

/* Remove entries not seen for more than 'max_age' ticks. Returns how many. Control thread. */
unsigned int vs_fdb_age(struct vs_fdb *fdb, uint64_t now, uint64_t max_age);

/* Remove entries matching 'vlan' (-1: any) and 'port' (-1: any). Returns how many. */
unsigned int vs_fdb_flush(struct vs_fdb *fdb, int vlan, int port);

/* Call 'cb' for every entry; stops early if it returns non-zero. Control thread. */
int vs_fdb_walk(struct vs_fdb *fdb, int (*cb)(const struct vs_fdb_entry *e, void *arg), void *arg);

/* Single lookup; NULL if absent. Any thread (workers: between quiescent states). */
static inline struct vs_fdb_entry *vs_fdb_lookup(struct vs_fdb *fdb, const struct vs_fdb_key *key)
{
	void *data;

	if (rte_hash_lookup_data(fdb->hash, key, &data) < 0)
		return NULL;
	return &fdb->entries[(uintptr_t)data];
}

/*
 * Per-worker exact-match cache in front of the hash (the idea of OVS's EMC): a direct-mapped
 * array of key -> entry index that turns most lookups into one compare. An entry index stays
 * valid until its key is deleted; deletions bump fdb->gen and a worker clears its cache when it
 * sees a new generation (at the top of its loop, after its quiescent state, so an index is never
 * used across an entry's reuse).
 */
#define VS_FDB_CACHE_SIZE 1024u /* power of two */

struct vs_fdb_cache {
	uint64_t gen;
	struct {
		uint64_t key;
		uint32_t idx_plus1; /* 0 = empty */
		uint32_t pad;
	} slot[VS_FDB_CACHE_SIZE];
};

static inline uint64_t vs_fdb_key_word(const struct vs_fdb_key *key)
{
	uint64_t k;

	memcpy(&k, key, sizeof(k));
	return k;
}

static inline uint32_t vs_fdb_cache_hash(uint64_t k)
{
	return (uint32_t)((k * UINT64_C(0x9e3779b97f4a7c15)) >> 54); /* 10 bits */
}

/* Clear the cache if the table lost keys since it was filled. Worker, once per loop. */
static inline void vs_fdb_cache_sync(struct vs_fdb_cache *c, const struct vs_fdb *fdb)
{
	uint64_t gen = __atomic_load_n(&fdb->gen, __ATOMIC_ACQUIRE);

	if (gen != c->gen) {
		memset(c->slot, 0, sizeof(c->slot));
		c->gen = gen;
	}
}

static inline struct vs_fdb_entry *vs_fdb_cache_lookup(const struct vs_fdb_cache *c,
	struct vs_fdb *fdb, uint64_t k)
{
	uint32_t h = vs_fdb_cache_hash(k);

	if (c->slot[h].key == k && c->slot[h].idx_plus1 != 0)
		return &fdb->entries[c->slot[h].idx_plus1 - 1];
	return NULL;
}

static inline void vs_fdb_cache_put(struct vs_fdb_cache *c, uint64_t k, uint32_t idx)
{
	uint32_t h = vs_fdb_cache_hash(k);

	c->slot[h].key = k;
	c->slot[h].idx_plus1 = idx + 1;
}

static inline uint16_t vs_fdb_entry_port(const struct vs_fdb_entry *e)
{
	return __atomic_load_n(&e->port, __ATOMIC_RELAXED);
}

#endif
