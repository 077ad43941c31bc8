/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offload negotiation (facts 7.4, 7.8): the NDIS_OFFLOAD object we answer to
 * OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, and the NDIS_OFFLOAD_PARAMETERS the guest sets. The
 * parameters are kept as VS_VSP_EN_* bits, always limited to what we advertised: a guest that
 * asks for more gets status success (Linux aborts its probe otherwise) but not the offload.
 */
#include "internal.h"

static const char *const en_names[VS_VSP_EN_COUNT] = {
	"tx_csum_tcp4", "tx_csum_udp4", "tx_csum_tcp6", "tx_csum_udp6", "rx_csum_tcp4",
	"rx_csum_udp4", "rx_csum_tcp6", "rx_csum_udp6", "lso4",	    "lso6",
	"rsc4",		"rsc6",
};

const char *vs_vsp_en_name(unsigned int bit)
{
	return bit < VS_VSP_EN_COUNT ? en_names[bit] : "?";
}

uint32_t vs_rndis_offloads_advertised(const struct vs_vsp *vsp)
{
	uint32_t ol = VS_VSP_OL_ALL & ~vsp->cfg.offloads_off;

	/* Linux enables TSO only on top of TCP checksum offload (facts 7.4) */
	if (!(ol & VS_VSP_OL_CSUM))
		ol &= ~VS_VSP_OL_LSO;
	/* RSC is an NVSP 6.1 feature (facts 6.2 step 3, 7.8) */
	if (vsp->nvsp_version < NVSP_VERSION_61)
		ol &= ~VS_VSP_OL_RSC;
	return ol;
}

/* Revision 3 object; the caller truncates it to the revision the guest asked for. */
void vs_rndis_offload_caps(const struct vs_vsp *vsp, struct ndis_offload *caps)
{
	const uint32_t csum4 = NDIS_TXCSUM_CAP_TCP4_OPTIONS | NDIS_TXCSUM_CAP_TCP4 |
			       NDIS_TXCSUM_CAP_UDP4; /* 0x054 */
	const uint32_t csum6 = NDIS_TXCSUM_CAP_IP6_EXT | NDIS_TXCSUM_CAP_TCP6_OPTIONS |
			       NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_UDP6; /* 0x055 */
	uint32_t ol = vs_rndis_offloads_advertised(vsp);

	memset(caps, 0, sizeof(*caps));
	caps->header.type = NDIS_OBJTYPE_OFFLOAD;
	caps->header.revision = 3;
	caps->header.size = NDIS_OFFLOAD_SIZE_REV3;
	if (ol & VS_VSP_OL_CSUM) {
		caps->ip4_tx_encap = caps->ip4_rx_encap = NDIS_OFFLOAD_ENCAP_8023;
		caps->ip6_tx_encap = caps->ip6_rx_encap = NDIS_OFFLOAD_ENCAP_8023;
		caps->ip4_tx_caps = caps->ip4_rx_caps = csum4;
		caps->ip6_tx_caps = caps->ip6_rx_caps = csum6;
	}
	if (ol & VS_VSP_OL_LSO) {
		caps->lsov2_ip4_encap = caps->lsov2_ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
		caps->lsov2_ip4_max_size = caps->lsov2_ip6_max_size = VS_VSP_LSO_MAX_SIZE;
		caps->lsov2_ip4_min_segs = caps->lsov2_ip6_min_segs = VS_VSP_LSO_MIN_SEGS;
		caps->lsov2_ip6_opts = NDIS_LSOV2_CAP_IP6_EXT | NDIS_LSOV2_CAP_TCP6_OPTIONS;
	}
	if (ol & VS_VSP_OL_RSC) {
		caps->rsc_ip4 = 1;
		caps->rsc_ip6 = 1;
	}
}

/* A checksum field (0 no change, 1 off, 2 TX, 3 RX, 4 both) applied to its TX and RX bits. */
static bool csum_field(uint8_t v, uint32_t tx_bit, uint32_t rx_bit, uint32_t *st)
{
	static const uint8_t tx[] = {0, 0, 1, 0, 1}, rx[] = {0, 0, 0, 1, 1};

	if (v > NDIS_OFFLOAD_PARAM_CSUM_TXRX)
		return false;
	if (v == NDIS_OFFLOAD_PARAM_NO_CHANGE)
		return true;
	*st &= ~(tx_bit | rx_bit);
	*st |= (tx[v] ? tx_bit : 0) | (rx[v] ? rx_bit : 0);
	return true;
}

/* An on/off field (0 no change, 1 off, 2 on). */
static bool onoff_field(uint8_t v, uint32_t bit, uint32_t *st)
{
	if (v > NDIS_OFFLOAD_PARAM_ON)
		return false;
	if (v == NDIS_OFFLOAD_PARAM_OFF)
		*st &= ~bit;
	else if (v == NDIS_OFFLOAD_PARAM_ON)
		*st |= bit;
	return true;
}

/* The VS_VSP_EN_* bits that advertised offloads 'ol' allow. */
static uint32_t allowed_bits(uint32_t ol)
{
	uint32_t m = 0;

	if (ol & VS_VSP_OL_CSUM)
		m |= 0xffu; /* TX and RX, TCP and UDP, v4 and v6 */
	if (ol & VS_VSP_OL_LSO)
		m |= VS_VSP_EN_LSO4 | VS_VSP_EN_LSO6;
	if (ol & VS_VSP_OL_RSC)
		m |= VS_VSP_EN_RSC4 | VS_VSP_EN_RSC6;
	return m;
}

/*
 * NDIS_OFFLOAD_PARAMETERS (facts 7.4): header {0x80, ...}, 22 bytes at least (NVSP <= 4) or 28.
 * Fields beyond 'len' mean "no change". A value outside its field's range rejects the whole
 * object (state unchanged). ip_v4_csum (IP header checksum) is never offloaded and ignored,
 * like LSOv1, IPsec, chimney and encapsulation: we advertise none of them.
 */
enum vs_vsp_err vs_rndis_offload_params_apply(const uint8_t *in, uint32_t len, uint32_t ol,
	uint32_t *state)
{
	uint32_t st = *state;
	bool ok = true;

	if (len < NDIS_OFFLOAD_PARAMS_SIZE_V1 || in[0] != NDIS_OBJTYPE_DEFAULT)
		return VS_VSP_ERR_OID_INVALID;
	ok &= in[4] <= NDIS_OFFLOAD_PARAM_CSUM_TXRX;
	ok &= csum_field(in[5], VS_VSP_EN_TX_TCP4, VS_VSP_EN_RX_TCP4, &st);
	ok &= csum_field(in[6], VS_VSP_EN_TX_UDP4, VS_VSP_EN_RX_UDP4, &st);
	ok &= csum_field(in[7], VS_VSP_EN_TX_TCP6, VS_VSP_EN_RX_TCP6, &st);
	ok &= csum_field(in[8], VS_VSP_EN_TX_UDP6, VS_VSP_EN_RX_UDP6, &st);
	ok &= onoff_field(in[11], VS_VSP_EN_LSO4, &st);
	ok &= onoff_field(in[12], VS_VSP_EN_LSO6, &st);
	if (len >= 24) {
		ok &= onoff_field(in[22], VS_VSP_EN_RSC4, &st);
		ok &= onoff_field(in[23], VS_VSP_EN_RSC6, &st);
	}
	if (!ok)
		return VS_VSP_ERR_OID_INVALID;
	*state = st & allowed_bits(ol);
	return VS_VSP_ERR_NONE;
}

uint32_t vs_vsp_offloads(const struct vs_vsp *vsp)
{
	return vsp->offloads;
}
