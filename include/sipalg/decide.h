/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipalg core: what a SIP message means, decided in one place.
 *
 * sipalg_decide() takes a parsed message, how the packet is translated and
 * the small per-connection dialog state the shim keeps for the core, and
 * returns everything the shim must do about it: the media pinholes to open
 * (per stream) and whether they replace the sender's earlier ones, the
 * call whose pinholes close, the registration pinholes to open, refresh or
 * remove (with their lifetime), the registration or call state to show, and
 * the event to emit. The shim carries that out and decides nothing itself;
 * the storm test predicts the module's counters from the same function.
 *
 * The rules (RFC 3261, 3262, 3264, 3311):
 *   Calls. An INVITE begins a call (calling); a 101..199 answer makes it
 *   ringing, a 2xx established (held, if that first answer's SDP already
 *   holds every stream). A call ends by BYE, by CANCEL while it is not yet
 *   answered, by a final failure (>= 300) of its initial INVITE other than
 *   a 401/407 challenge (the INVITE comes again with credentials), or by
 *   481 (the dialog is gone) to a request of the INVITE dialog: INVITE,
 *   BYE, UPDATE, PRACK, INFO, REFER (not to CANCEL, nor to OPTIONS,
 *   SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH or an unknown method, which may
 *   belong to another usage). A failed re-INVITE or UPDATE (491 glare, 488,
 *   500...) leaves the call and its pinholes as they were, held or not; so
 *   does a CANCEL of an answered call (it only cancels a pending
 *   re-INVITE). An offer in a re-INVITE or UPDATE whose streams all stop
 *   sending or receiving (sendonly, recvonly, inactive, c=0.0.0.0) holds
 *   the call; one that sends and receives again resumes it. The end is
 *   reported once: an answer ending a call already gone (the 487 after a
 *   CANCEL) emits no second event.
 *
 *   Media. SDP opens pinholes where offers and answers occur: INVITE, ACK,
 *   UPDATE, PRACK, and the 101..199 and 2xx answers to INVITE, UPDATE and
 *   PRACK; SDP anywhere else (an OPTIONS answer listing capabilities, a
 *   failure response) opens nothing. A stream gets RTP and RTCP pinholes
 *   when it is live (port not 0), over UDP, and names the packet's own
 *   source address (so a message can only ever open a way to its sender);
 *   RTCP is a=rtcp's port, else RTP + 1; a=rtcp on the RTP port itself
 *   (RFC 5761 multiplexing) needs no second pinhole (rtcp_port 0). An
 *   answer replaces its sender's earlier pinholes of the call (a stream
 *   that moved closes its old pinhole); an offer adds to them until it is
 *   answered, so that a rejected re-offer (491) leaves the media that flows
 *   where it was. Before the call is answered, though, a new offer from the
 *   same side replaces the sender's earlier one (the INVITE sent again with
 *   credentials after a 401/407 and new ports, a repeated UPDATE): nothing
 *   was agreed on yet, and the old ports would only hold table space.
 *
 *   How long media pinholes wait. An offer's pinholes wait for the answer
 *   as long as the INVITE transaction may (SIPALG_OFFER_SECONDS, RFC 3261
 *   Timer B), so that offers nobody answers (a broken phone, a scanner, a
 *   flood) age out fast. An answer's pinholes, and every pinhole of the
 *   call once an answer or any 100..299 response to its INVITE shows that
 *   the transaction proceeds (Timer B is stopped, RFC 3261 17.1.1.2), get
 *   the media timeout (SIPALG_MEDIA_SECONDS) from then on
 *   (SIPALG_DO_EXTEND_MEDIA).
 *
 *   Who may send into a pinhole. With direct media off, the signalling
 *   peer only. With it on, the signalling peer and the addresses the other
 *   side's SDP names for its live streams: a pinhole opened before the
 *   other side's SDP is seen admits anyone, and is narrowed as soon as that
 *   SDP arrives (offer or answer, 18x or 2xx, a re-INVITE or UPDATE that
 *   moves the media). Two exceptions keep it open to anyone: SDP naming the
 *   router's own public address (the address the message was sent to: a
 *   hairpin, media from another inside phone whose inside address this
 *   connection cannot know), and SDP naming more than SIPALG_MAX_NAMED
 *   addresses. SDP naming no live address (all on hold, all rejected)
 *   changes nobody's admission.
 *
 *   Registrations. The registrar's acceptance decides: a 2xx to REGISTER
 *   opens or refreshes a pinhole for each binding it lists on the
 *   registering endpoint's own address (as the registrar sees it; over UDP
 *   also on its own port, since other phones behind the same NAT share the
 *   address; over TCP, whose source port is ephemeral, the address), for
 *   the time it grants (the binding's expires=, else Expires, else 3600 s); a
 *   binding granted 0 seconds is removed, and a 2xx that lists none of the
 *   endpoint's bindings removes all its registration pinholes. A REGISTER
 *   asking for Expires 0 (or Contact: *) removes them at once. A refused
 *   REGISTER (>= 300) opens and removes nothing; 401/407 challenges and
 *   provisional answers are part of the asking.
 *
 * Calls per connection: a signalling connection keeps SIPALG_CALL_SLOTS
 * calls with state and pinholes of their own; a call beyond that takes the
 * least recently active unanswered slot (SIPALG_DO_SLOT_REUSED), whose
 * pinholes then close with either call; an answered call's slot is taken
 * only when all are answered, so that a flood of unanswered INVITEs on one
 * connection never takes over the class of a call that is talking.
 *
 * Freestanding like the rest of the core: builtin types only, no state of
 * its own, reentrant. The caller serialises calls per connection (the
 * dialog state is read and written).
 */
#ifndef SIPALG_DECIDE_H
#define SIPALG_DECIDE_H

#include <sipalg/core.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIPALG_CALL_SLOTS 3          /* calls per connection with pinholes of their own */
#define SIPALG_MAX_REG_ACTIONS 4     /* registration pinholes changed per message */
#define SIPALG_DEFAULT_EXPIRES 3600u /* RFC 3261 10.2.1.1 */
#define SIPALG_OFFER_SECONDS 32u     /* an offer's pinholes: Timer B, 64 * T1 */
#define SIPALG_MEDIA_SECONDS 180u    /* an answered call's pinholes wait this long */

/* A call's state (the values of uapi.h's enum sipalg_session_state). */
enum sipalg_call_state {
    SIPALG_CALL_NONE = 0,
    SIPALG_CALL_CALLING = 3,
    SIPALG_CALL_RINGING = 4,
    SIPALG_CALL_ESTABLISHED = 5,
    SIPALG_CALL_HELD = 6
};

/*
 * The per-connection dialog state (28 bytes, zero = nothing known). Only
 * sipalg_decide() reads or writes it; the shim stores it with the
 * connection.
 */
struct sipalg_dialogs {
    unsigned int key[SIPALG_CALL_SLOTS];    /* sipalg_call_key() of the call; 0: free */
    unsigned int used[SIPALG_CALL_SLOTS];   /* the caller's clock at its last message */
    unsigned char state[SIPALG_CALL_SLOTS]; /* enum sipalg_call_state, and the core's own
                                               bits for the pending offer */
    unsigned char shim; /* the shim's own (what its TCP stream is); the core leaves it alone */
};

/* What the shim knows of the packet: where it comes from and goes to. */
struct sipalg_view {
    unsigned char from_inside; /* sent by the connection's inside (translated or initiating) side */
    unsigned char direct_media; /* sip-direct-media=yes */
    unsigned char pad[2];
    unsigned int now; /* a clock that counts up (the LRU of the call slots) */
    /* The sender before and after NAT, and its port on both sides. */
    struct sipalg_addr sender, sender_public;
    unsigned short sender_port, sender_public_port;
    /* The receiver as the sender addressed it, and where it really is. */
    struct sipalg_addr receiver, receiver_real;
    unsigned short receiver_port, receiver_real_port;
};

/* The event a message is worth (the values of uapi.h's enum sipalg_event). */
enum sipalg_meaning {
    SIPALG_MEANS_NOTHING = 0,
    SIPALG_MEANS_REGISTER = 1,   /* a REGISTER */
    SIPALG_MEANS_CALL_SETUP = 2, /* SDP of an INVITE transaction */
    SIPALG_MEANS_CALL_END = 3    /* the call is over */
};

/* The registration or call state to show (sessions). */
enum sipalg_session_op {
    SIPALG_SESS_NONE = 0,
    SIPALG_SESS_CALL,      /* the call (session_id) is in state call_state */
    SIPALG_SESS_CALL_END,  /* the call is over */
    SIPALG_SESS_REG_ASK,   /* registering for session_seconds (a refresh stays registered) */
    SIPALG_SESS_REG_GRANT, /* registered for session_seconds */
    SIPALG_SESS_REG_FAIL,  /* refused: gone unless an earlier one was granted */
    SIPALG_SESS_REG_END    /* unregistered */
};

/* decision->actions */
#define SIPALG_DO_OPEN_MEDIA 0x01    /* open streams[] in slot's media class */
#define SIPALG_DO_REPLACE_MEDIA 0x02 /* ... then close the sender's others of the slot */
#define SIPALG_DO_CLOSE_CALL 0x04    /* close every pinhole of slot's class */
#define SIPALG_DO_SLOT_REUSED 0x08   /* slot was taken from another call */
/*
 * The other side's pinholes of the slot admit the signalling peer and
 * named[] from now on (anyone, when n_named is 0); the shim remembers
 * named[] with the call for the other side's later pinholes.
 */
#define SIPALG_DO_SET_OTHERS 0x10
/*
 * Every media pinhole of the slot lives SIPALG_MEDIA_SECONDS from now (not
 * less than it had): the call was answered or its INVITE proceeds. Done before the
 * message's own pinholes open.
 */
#define SIPALG_DO_EXTEND_MEDIA 0x20

#define SIPALG_MAX_NAMED 2 /* media addresses of one side that narrow a pinhole */

/* Who may send into the pinholes of streams[]. */
enum sipalg_admit {
    SIPALG_ADMIT_PEER = 1,  /* the signalling peer only */
    SIPALG_ADMIT_PEER_NAMED /* it and what the other side's SDP named (anyone if unknown) */
};

/* One stream's pinholes: to the sender's address (== its pre-NAT source). */
struct sipalg_stream_pinhole {
    unsigned char media; /* index in msg->media */
    unsigned char pad;
    unsigned short rtp_port;
    unsigned short rtcp_port; /* 0: multiplexed on rtp_port */
};

enum sipalg_reg_op {
    SIPALG_REG_OPEN = 1,  /* open or refresh: port, public_port, seconds */
    SIPALG_REG_REMOVE,    /* the one on public_port */
    SIPALG_REG_REMOVE_ALL /* every registration pinhole of the connection */
};

/*
 * A registration pinhole of the registering endpoint: from the registrar,
 * to the endpoint's public address (as the registrar knows it) on
 * public_port, leading to its real address on port.
 */
struct sipalg_reg_action {
    unsigned char op; /* enum sipalg_reg_op */
    unsigned char pad;
    unsigned short port;
    unsigned short public_port;
    unsigned short pad2;
    unsigned int seconds;
};

struct sipalg_decision {
    unsigned int actions;         /* SIPALG_DO_* */
    signed char slot;             /* the call's slot, -1: none */
    unsigned char event;          /* enum sipalg_meaning */
    unsigned char session;        /* enum sipalg_session_op */
    unsigned char call_state;     /* SIPALG_SESS_CALL: enum sipalg_call_state */
    unsigned char session_create; /* the message may begin the session shown */
    unsigned char n_streams;
    unsigned char n_not_sender; /* live streams naming another address (or on hold) */
    unsigned char n_bad_rtcp;   /* streams with no usable RTCP port */
    unsigned char n_regs;
    unsigned char admit;   /* enum sipalg_admit, with SIPALG_DO_OPEN_MEDIA */
    unsigned char n_named; /* with SIPALG_DO_SET_OTHERS */
    unsigned char pad;
    unsigned int session_seconds;  /* SIPALG_SESS_REG_* */
    unsigned int media_seconds;    /* streams[]' lifetime; 0: SIPALG_MEDIA_SECONDS */
    struct sipalg_span session_id; /* the Call-ID, or the AOR (To URI) of a REGISTER */
    unsigned int session_key;      /* session_id's bytes hashed (a call: its key's FNV-1a) */
    struct sipalg_stream_pinhole streams[SIPALG_MAX_MEDIA];
    struct sipalg_reg_action regs[SIPALG_MAX_REG_ACTIONS];
    struct sipalg_addr named[SIPALG_MAX_NAMED]; /* this SDP's live media addresses */
};

/*
 * The key a call's slot is found by: a hash of the Call-ID, never 0, of
 * SIPALG_CALL_KEY_BITS bits (a slot's key and state fit one 32-bit word).
 */
#define SIPALG_CALL_KEY_BITS 24
unsigned int sipalg_call_key(const unsigned char *call_id, unsigned int len);

/*
 * The dialog state as a standby router needs it: one 32-bit word per call
 * slot, the call's key in the low SIPALG_CALL_KEY_BITS and its state in the
 * top 8 (a free slot: 0). The recency of the slots and the shim's byte are
 * not in it.
 */
void sipalg_dialogs_pack(const struct sipalg_dialogs *d, unsigned int words[SIPALG_CALL_SLOTS]);

/*
 * Take the slots of words (from sipalg_dialogs_pack(), possibly on another
 * router, or any bytes at all) into d: a slot whose key or state is not one
 * sipalg_decide() can have left, or whose key an earlier slot has, becomes
 * free; a slot that changes counts as used at now. d->shim is left alone.
 * Returns whether d changed.
 */
int sipalg_dialogs_unpack(const unsigned int words[SIPALG_CALL_SLOTS], unsigned int now,
                          struct sipalg_dialogs *d);

/*
 * Decide what msg (parsed from buf) means, update dialogs and fill *out.
 * Returns SIPALG_OK, or SIPALG_R_BAD_ARG (out is then empty, dialogs
 * unchanged).
 */
int sipalg_decide(const unsigned char *buf, const struct sipalg_msg *msg,
                  const struct sipalg_view *view, struct sipalg_dialogs *dialogs,
                  struct sipalg_decision *out);

/*
 * Whether sipalg_decide() reads or writes dialogs for msg. When it does
 * not (a REGISTER or its response, a keep-alive), the caller needs no
 * lock on them and has nothing to mirror to or from a standby. Inline, so
 * that the shim's question costs no call on every message.
 */
static inline int sipalg_decide_uses_dialogs(const struct sipalg_msg *msg) {
    if (!msg || (msg->kind != SIPALG_KIND_REQUEST && msg->kind != SIPALG_KIND_RESPONSE))
        return 0;
    /* Registrations never touch the call slots. */
    return sipalg_msg_method(msg) != SIPALG_M_REGISTER;
}

/* How long a Contact of msg is registered for: expires=, Expires, 3600. */
unsigned int sipalg_contact_expires(const struct sipalg_msg *msg, const struct sipalg_contact *c);

#ifdef __cplusplus
}
#endif

#endif /* SIPALG_DECIDE_H */
