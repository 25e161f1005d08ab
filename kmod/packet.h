/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A helped packet whose payload changed length or bytes: its IP and
 * transport lengths and checksums made right again.
 */
#ifndef SIPALG_PACKET_H
#define SIPALG_PACKET_H

#include <linux/skbuff.h>
#include <linux/types.h>

/*
 * After the payload of skb (network header at skb->data, transport header
 * at protoff) changed: IP length (and IPv4 header checksum), UDP length,
 * the transport checksum (left to the device or the stack to complete),
 * and a GSO packet's segment count. old_l4_len is the transport length the
 * packet had before.
 */
void sipalg_packet_fix(struct sk_buff *skb, unsigned int protoff, u16 l3num,
		       u8 protonum, unsigned int old_l4_len);

/*
 * A TCP packet (payload at dataoff) longer than mtu leaves as a GSO one,
 * which the stack cuts into pieces of mss payload bytes (at most what mtu
 * allows) on output. Before sipalg_packet_fix(), which counts the pieces.
 */
void sipalg_packet_gso(struct sk_buff *skb, unsigned int dataoff, u16 l3num,
		       unsigned int mtu, unsigned int mss);

/*
 * Is skb (network header at skb->data) longer than its IP header's length
 * field can say? Only a BIG TCP packet is (an operator's gro_max_size or
 * gso_max_size above 64 KB): its IPv4 length is 0, its IPv6 length lives in
 * a jumbo option, or in neither. sipalg leaves such packets as they are.
 */
bool sipalg_packet_too_long(const struct sk_buff *skb, u16 l3num);

#endif /* SIPALG_PACKET_H */
