// SPDX-License-Identifier: GPL-2.0
//
// What a SIP message means: the one place where calls begin and end,
// offers and answers open media pinholes, and registrations open theirs.
// include/sipalg/decide.h states the rules; this file applies them.
#include <sipalg/core/internal.hpp>
#include <sipalg/decide.h>

namespace sipalg::core {
namespace {

// dialogs->state: the call state in the low bits, which side's offer waits
// for an answer (RFC 3264: at most one at a time per dialog), whether that
// offer held or resumed the call (undone if it is rejected), and whether it
// got a preliminary answer (an 18x's SDP) already.
constexpr u8 kStateMask = 0x0f;
constexpr u8 kOfferInside = 0x10;
constexpr u8 kOfferOutside = 0x20;
constexpr u8 kOfferMask = kOfferInside | kOfferOutside;
constexpr u8 kOfferHolds = 0x40;
constexpr u8 kOfferPrelim = 0x80;
constexpr u8 kOfferBits = kOfferMask | kOfferHolds | kOfferPrelim;

u8 call_state(u8 s) {
    return s & kStateMask;
}

constexpr u32 kKeyMask = (1u << SIPALG_CALL_KEY_BITS) - 1;

// 32-bit FNV-1a's offset basis and prime (aor_hash() takes them too).
constexpr u32 kFnvBasis = 2166136261u;
constexpr u32 kFnvPrime = 16777619u;

// 32-bit FNV-1a of s[0..len): a call's key (folded), and the call's
// session_key, which the shim's sessions table files it under, so that
// it does not hash the same bytes again.
u32 fnv1a(const u8 *s, u32 len) {
    u32 h = kFnvBasis;
    // Four bytes a step: the same hash, a third of the loop's own work
    // (every call message is hashed; a Call-ID is 30-60 bytes). A pointer
    // steps: with an index, GCC computed each byte's address apart.
    const u8 *p = s, *const end = s + len;
    for (; end - p >= 4; p += 4) {
        h = (h ^ p[0]) * kFnvPrime;
        h = (h ^ p[1]) * kFnvPrime;
        h = (h ^ p[2]) * kFnvPrime;
        h = (h ^ p[3]) * kFnvPrime;
    }
    for (; p < end; p++)
        h = (h ^ *p) * kFnvPrime;
    return h;
}

// A registration's session_key, from its AOR: four bytes a multiply, as a
// call's FNV-1a takes one (~30 instructions for a 28-byte AOR where the
// byte loop took ~100). No call key comes from it. Each step is a
// bijection of h, so AORs of one length that differ in one word never
// share a key.
u32 aor_hash(const u8 *s, u32 len) {
    u32 h = kFnvBasis;
    u32 i = 0;
    for (; len - i >= 4; i += 4)
        h = (h ^ load_word4(s + i)) * kFnvPrime;
    for (; i < len; i++)
        h = (h ^ s[i]) * kFnvPrime;
    return h;
}

// The call key of a Call-ID's hash: folded to 24 bits (FNV's own advice
// for short hashes; three calls of one connection still collide about
// once in five million), never 0.
u32 call_key_of(u32 h) {
    h = (h >> SIPALG_CALL_KEY_BITS ^ h) & kKeyMask;
    return h ? h : 1;
}

// A slot's state as this file leaves it: a call state, with any offer bits.
bool known_state(u8 s) {
    switch (call_state(s)) {
    case SIPALG_CALL_NONE:
    case SIPALG_CALL_CALLING:
    case SIPALG_CALL_RINGING:
    case SIPALG_CALL_ESTABLISHED:
    case SIPALG_CALL_HELD:
        return true;
    default:
        return false;
    }
}

bool answered(u8 s) {
    return call_state(s) == SIPALG_CALL_ESTABLISHED || call_state(s) == SIPALG_CALL_HELD;
}

bool null_addr(const sipalg_addr &a) {
    u32 n = a.family == 4 ? 4 : a.family == 6 ? 16 : 0;
    for (u32 i = 0; i < n; i++)
        if (a.a[i])
            return false;
    return n != 0;
}

// RFC 3264 8.4 / RFC 6337 5.3: SDP in which no live stream both sends and
// receives puts the call on hold.
bool sdp_holds(const sipalg_msg *msg) {
    u32 live = 0;
    for (u32 i = 0; i < msg->n_media; i++) {
        const sipalg_media &m = msg->media[i];
        if (!m.port)
            continue; // a rejected stream
        live++;
        if (m.dir == SIPALG_DIR_SENDRECV && !null_addr(m.addr))
            return false;
    }
    return live > 0;
}

// Can this message carry an offer or an answer (RFC 3261 13.2.1, RFC 3262,
// RFC 3311)? Failure responses and 100 Trying cannot.
bool carries_offer_answer(const sipalg_msg *msg) {
    u8 m = sipalg_msg_method(msg);
    if (msg->kind == SIPALG_KIND_REQUEST)
        return m == SIPALG_M_INVITE || m == SIPALG_M_ACK || m == SIPALG_M_UPDATE ||
               m == SIPALG_M_PRACK;
    if (m != SIPALG_M_INVITE && m != SIPALG_M_UPDATE && m != SIPALG_M_PRACK)
        return false;
    return msg->status > 100 && msg->status < 300;
}

// Does a 481 to this method end the call? Requests outside the INVITE
// dialog (or of another usage of it) do not speak for the call.
bool dialog_request(u8 m) {
    switch (m) {
    case SIPALG_M_INVITE:
    case SIPALG_M_BYE:
    case SIPALG_M_UPDATE:
    case SIPALG_M_PRACK:
    case SIPALG_M_INFO:
    case SIPALG_M_REFER:
        return true;
    default:
        return false;
    }
}

struct Slots {
    sipalg_dialogs *d;
    u32 now;

    int find(u32 key) const {
        for (u32 i = 0; i < SIPALG_CALL_SLOTS; i++)
            if (d->key[i] == key)
                return (int)i;
        return -1;
    }

    // The least recently used slot among those keep() accepts, or -1.
    template <typename Keep> int least_recent(Keep keep) const {
        int pick = -1;
        for (u32 i = 0; i < SIPALG_CALL_SLOTS; i++)
            if (keep(i) && (pick < 0 || (int)(d->used[i] - d->used[pick]) < 0))
                pick = (int)i;
        return pick;
    }

    // The mark of slot s used now: later than every other slot's, even
    // within one tick of the clock. Else calls begun in the same tick
    // (a burst of INVITEs) tie, the first slot of them wins every tie,
    // and each new call takes the place of the call just begun instead
    // of the one used longest ago.
    u32 stamp(u32 s) const {
        u32 t = now;
        for (u32 i = 0; i < SIPALG_CALL_SLOTS; i++)
            if (i != s && d->key[i] && (int)(d->used[i] - t) >= 0)
                t = d->used[i] + 1;
        return t;
    }

    // A free slot, else the least recently used unanswered one, else the
    // least recently used of all (*reused set): a call that is talking
    // keeps its class against a flood of INVITEs nobody answers. (The
    // caller marks it used.)
    int take(u32 key, bool *reused) {
        int pick = -1;
        for (u32 i = 0; i < SIPALG_CALL_SLOTS && pick < 0; i++)
            if (!d->key[i])
                pick = (int)i;
        if (pick < 0) {
            pick = least_recent([this](u32 i) { return !answered(d->state[i]); });
            if (pick < 0)
                pick = least_recent([](u32) { return true; });
            *reused = true;
        }
        d->key[pick] = key;
        d->state[pick] = SIPALG_CALL_NONE;
        return pick;
    }

    void free(int s) {
        d->key[s] = 0;
        d->state[s] = 0;
        d->used[s] = 0;
    }
};

// The call is over. The event goes out once: for the message that ended
// a known call, or for a BYE or CANCEL of one not known (its slot was
// reused); an answer that ends a call already gone (the 487 after a
// CANCEL, a 481 to the BYE) only makes sure it is not shown any more.
void end_call(const sipalg_msg *msg, sipalg_decision *out, Slots &slots, int slot) {
    out->session = SIPALG_SESS_CALL_END;
    if (slot >= 0 || msg->kind == SIPALG_KIND_REQUEST)
        out->event = SIPALG_MEANS_CALL_END;
    if (slot >= 0) {
        out->actions |= SIPALG_DO_CLOSE_CALL;
        out->slot = (signed char)slot;
        slots.free(slot);
    }
}

// The streams of SDP that lead to its sender.
void pick_streams(const sipalg_msg *msg, const sipalg_view *v, sipalg_decision *out) {
    for (u32 i = 0; i < msg->n_media; i++) {
        const sipalg_media &m = msg->media[i];
        if (!m.port || m.proto == SIPALG_PROTO_TCP)
            continue; // rejected, or not UDP media
        if (!addr_equal(m.addr, v->sender)) {
            out->n_not_sender++; // on hold (0.0.0.0), or someone else's
            continue;
        }
        u16 rtcp = (m.flags & SIPALG_MEDIAF_RTCP) ? m.rtcp_port : (u16)(m.port + 1);
        if (rtcp == 0) {
            out->n_bad_rtcp++; // a=rtcp:0, or RTP on 65535 with no room above
            continue;
        }
        if (rtcp == m.port)
            rtcp = 0; // RTCP multiplexed on the RTP port (RFC 5761): one pinhole
        sipalg_stream_pinhole &p = out->streams[out->n_streams++];
        p.media = (u8)i;
        p.rtp_port = m.port;
        p.rtcp_port = rtcp;
    }
}

// With direct media, the addresses this SDP names for its live streams are
// who may send into the other side's pinholes. The router's own public
// address (the one the message was sent to) means a hairpin, and too many
// addresses cannot be followed: both leave the other side open to anyone.
void name_sources(const sipalg_msg *msg, const sipalg_view *v, sipalg_decision *out) {
    bool open_to_all = false, any = false;
    for (u32 i = 0; i < msg->n_media; i++) {
        const sipalg_media &m = msg->media[i];
        if (!m.port || !m.addr.family || null_addr(m.addr))
            continue; // rejected, on hold, or a hostname: names nobody
        any = true;
        if (addr_equal(m.addr, v->receiver)) {
            open_to_all = true;
            continue;
        }
        bool known = false;
        for (u32 k = 0; k < out->n_named; k++)
            known = known || addr_equal(out->named[k], m.addr);
        if (known)
            continue;
        if (out->n_named == SIPALG_MAX_NAMED) {
            open_to_all = true;
            continue;
        }
        out->named[out->n_named++] = m.addr;
    }
    if (!any)
        return;
    out->actions |= SIPALG_DO_SET_OTHERS;
    if (open_to_all) {
        out->n_named = 0;
        __builtin_memset(out->named, 0, sizeof(out->named));
    }
}

// Offer or answer, and what either does to the call's pinholes.
void media(const sipalg_msg *msg, const sipalg_view *v, Slots &slots, int slot,
           sipalg_decision *out) {
    u8 &st = slots.d->state[slot];
    u8 mine = v->from_inside ? kOfferInside : kOfferOutside;
    u8 theirs = v->from_inside ? kOfferOutside : kOfferInside;
    bool request = msg->kind == SIPALG_KIND_REQUEST;
    u8 m = sipalg_msg_method(msg);
    bool answer;

    if (request && (m == SIPALG_M_INVITE || m == SIPALG_M_UPDATE))
        answer = false; // a new transaction's SDP is always an offer
    else if (request && m == SIPALG_M_ACK)
        answer = true; // the answer to an offer in a 2xx
    else
        answer = (st & kOfferMask) == theirs;

    // Before any answer, a new offer of the same side replaces its last one
    // (sent again after a challenge, a repeated UPDATE): nothing was agreed
    // on, and its old ports would only hold table space. Once an 18x
    // answered it, a new offer adds, as in an answered call.
    bool supersedes = !answer && (st & kOfferMask) == mine && !(st & kOfferPrelim) && !answered(st);

    // A reliable or unreliable 18x answer is preliminary: the offer stays
    // open until the 2xx (or PRACK) completes it.
    bool final_answer = answer && !(!request && msg->status < 200);
    if (!answer)
        st = (u8)((st & ~kOfferBits) | mine);
    else if (final_answer)
        st = (u8)(st & ~kOfferBits);
    else
        st |= kOfferPrelim;

    pick_streams(msg, v, out);
    out->slot = (signed char)slot;
    out->actions |= SIPALG_DO_OPEN_MEDIA;
    if (answer || supersedes)
        out->actions |= SIPALG_DO_REPLACE_MEDIA;
    // An offer waits for its answer as long as the transaction may; an
    // answer (preliminary too) means the other side is there.
    if (answer)
        out->actions |= SIPALG_DO_EXTEND_MEDIA;
    else
        out->media_seconds = SIPALG_OFFER_SECONDS;
    out->admit = v->direct_media ? SIPALG_ADMIT_PEER_NAMED : SIPALG_ADMIT_PEER;
    if (v->direct_media)
        name_sources(msg, v, out);
}

void set_state(u8 &st, u8 state) {
    st = (u8)((st & ~kStateMask) | state);
}

void call(const u8 *buf, const sipalg_msg *msg, const sipalg_view *v, Slots &slots,
          sipalg_decision *out) {
    bool request = msg->kind == SIPALG_KIND_REQUEST;
    u8 m = sipalg_msg_method(msg);
    u16 status = msg->status;
    if (!msg->call_id.len)
        return;
    const u32 hash = fnv1a(buf + msg->call_id.off, msg->call_id.len);
    u32 key = call_key_of(hash);
    int slot = slots.find(key);
    u8 st = slot >= 0 ? slots.d->state[slot] : 0;
    out->session_id = msg->call_id;
    out->session_key = hash;

    // Endings first: they open nothing.
    if (request && m == SIPALG_M_BYE) {
        end_call(msg, out, slots, slot);
        return;
    }
    if (request && m == SIPALG_M_CANCEL) {
        if (!answered(st))
            end_call(msg, out, slots, slot);
        return;
    }
    if (!request && status == 481 && dialog_request(m)) {
        end_call(msg, out, slots, slot);
        return;
    }
    if (!request && status >= 300) {
        // A challenge (RFC 3261 22.2) is part of the asking: the INVITE
        // comes again with credentials, the call goes on.
        if (m == SIPALG_M_INVITE && !answered(st) && (status == 401 || status == 407))
            return;
        if (m == SIPALG_M_INVITE && !answered(st)) {
            end_call(msg, out, slots, slot); // the initial INVITE failed
            return;
        }
        // A failed re-INVITE or UPDATE: its offer (the one of the side the
        // failure goes to) is withdrawn, the call and its media stay as
        // they were, held or not.
        if (slot >= 0 && (m == SIPALG_M_INVITE || m == SIPALG_M_UPDATE)) {
            u8 &state = slots.d->state[slot];
            if ((state & kOfferMask) == (v->from_inside ? kOfferOutside : kOfferInside)) {
                if (state & kOfferHolds)
                    set_state(state, call_state(state) == SIPALG_CALL_HELD ? SIPALG_CALL_ESTABLISHED
                                                                           : SIPALG_CALL_HELD);
                state &= (u8)~kOfferBits;
            }
        }
        return;
    }

    bool sdp = (msg->flags & SIPALG_MSGF_SDP) && carries_offer_answer(msg);
    bool begins = request && m == SIPALG_M_INVITE;
    bool progresses = !request && m == SIPALG_M_INVITE && status > 100;
    if (slot < 0) {
        // A call is known from its INVITE; one whose slot was reused (or
        // whose INVITE was missed) is taken up again by its answers and by
        // SDP, so that its media still gets pinholes.
        if (!begins && !progresses && !sdp)
            return;
        bool reused = false;
        slot = slots.take(key, &reused);
        if (reused)
            out->actions |= SIPALG_DO_SLOT_REUSED;
        st = 0;
    }
    slots.d->used[slot] = slots.stamp((u32)slot);
    out->slot = (signed char)slot;
    u8 &state = slots.d->state[slot];
    u8 before = call_state(state);

    if (request && m == SIPALG_M_INVITE) {
        if (!call_state(st))
            set_state(state, SIPALG_CALL_CALLING);
        else if (answered(st) && sdp)
            set_state(state, sdp_holds(msg) ? SIPALG_CALL_HELD : SIPALG_CALL_ESTABLISHED);
        if (!sdp)
            state &= (u8)~kOfferBits; // the offer will come in the answer
        out->session_create = 1;
    } else if (request && m == SIPALG_M_UPDATE && sdp && answered(st)) {
        set_state(state, sdp_holds(msg) ? SIPALG_CALL_HELD : SIPALG_CALL_ESTABLISHED);
    } else if (!request && m == SIPALG_M_INVITE) {
        if (status > 100 && status < 200 &&
            (!call_state(st) || call_state(st) == SIPALG_CALL_CALLING))
            set_state(state, SIPALG_CALL_RINGING);
        else if (status >= 200 && !answered(st))
            set_state(state, sdp && sdp_holds(msg) ? SIPALG_CALL_HELD : SIPALG_CALL_ESTABLISHED);
        out->session_create = progresses;
    }
    // Any response to the INVITE, 100 Trying too, stops Timer B (RFC 3261
    // 17.1.1.2: the transaction is Proceeding and may wait minutes for the
    // answer, by Timer C): the call's pinholes wait for the media. An offer
    // nobody answers at all still ages out with Timer B.
    if (!request && m == SIPALG_M_INVITE && status >= 100 && slot >= 0)
        out->actions |= SIPALG_DO_EXTEND_MEDIA;
    if (call_state(state)) {
        out->session = SIPALG_SESS_CALL;
        out->call_state = call_state(state);
    }
    if (sdp) {
        media(msg, v, slots, slot, out);
        if (m == SIPALG_M_INVITE)
            out->event = SIPALG_MEANS_CALL_SETUP;
        // An offer that held or resumed the call: its rejection undoes that.
        if (request && answered(before) && call_state(state) != before)
            state |= kOfferHolds;
    }
}

// A REGISTER binding is the registering endpoint's own when it names the
// address the message is sent from (request) or to (response).
void registration(const u8 *buf, const sipalg_msg *msg, const sipalg_view *v,
                  sipalg_decision *out) {
    bool request = msg->kind == SIPALG_KIND_REQUEST;
    out->session_id = msg->to_uri;
    out->session_key = aor_hash(buf + msg->to_uri.off, msg->to_uri.len);

    if (request) {
        out->event = SIPALG_MEANS_REGISTER;
        if (!msg->n_contacts)
            return; // a query of the bindings
        bool star = msg->contacts[0].flags & SIPALG_CONTACT_STAR;
        u32 asked = star ? 0 : sipalg_contact_expires(msg, &msg->contacts[0]);
        out->session = asked ? SIPALG_SESS_REG_ASK : SIPALG_SESS_REG_END;
        out->session_seconds = asked;
        out->session_create = asked != 0;
        if (star) {
            out->regs[out->n_regs++].op = SIPALG_REG_REMOVE_ALL;
            return;
        }
        for (u32 i = 0; i < msg->n_contacts && out->n_regs < SIPALG_MAX_REG_ACTIONS; i++) {
            const sipalg_contact &c = msg->contacts[i];
            if (c.ref < 0 || sipalg_contact_expires(msg, &c) != 0)
                continue;
            const sipalg_ref &r = msg->refs[c.ref];
            if (!addr_equal(r.addr, v->sender))
                continue;
            sipalg_reg_action &a = out->regs[out->n_regs++];
            a.op = SIPALG_REG_REMOVE;
            a.port = r.port;
            a.public_port = r.port == v->sender_port ? v->sender_public_port : r.port;
        }
        return;
    }

    u16 status = msg->status;
    if (status < 200 || status == 401 || status == 407)
        return; // still asking
    if (status >= 300) {
        out->session = SIPALG_SESS_REG_FAIL;
        return;
    }
    u32 granted = 0;
    bool ours = false;
    for (u32 i = 0; i < msg->n_contacts; i++) {
        const sipalg_contact &c = msg->contacts[i];
        if (c.ref < 0)
            continue;
        const sipalg_ref &r = msg->refs[c.ref];
        if (!addr_equal(r.addr, v->receiver))
            continue;
        // Over UDP the binding is the one on this connection's own public
        // port: others on the same public address are other phones behind
        // the same NAT. Over TCP the phone sends from an ephemeral port and
        // names its listening port, so the address has to do.
        if (msg->transport == SIPALG_UDP && r.port != v->receiver_port)
            continue;
        u32 seconds = sipalg_contact_expires(msg, &c);
        ours = true;
        if (seconds > granted)
            granted = seconds;
        if (out->n_regs == SIPALG_MAX_REG_ACTIONS)
            continue;
        sipalg_reg_action &a = out->regs[out->n_regs++];
        a.op = seconds ? SIPALG_REG_OPEN : SIPALG_REG_REMOVE;
        a.public_port = r.port;
        a.port = r.port == v->receiver_port ? v->receiver_real_port : r.port;
        a.seconds = seconds;
    }
    if (!ours)
        out->regs[out->n_regs++].op = SIPALG_REG_REMOVE_ALL;
    out->session = granted ? SIPALG_SESS_REG_GRANT : SIPALG_SESS_REG_END;
    out->session_seconds = granted;
}

} // namespace
} // namespace sipalg::core

using namespace sipalg::core;

extern "C" unsigned int sipalg_call_key(const unsigned char *call_id, unsigned int len) {
    return call_key_of(fnv1a(call_id, len));
}

extern "C" void sipalg_dialogs_pack(const sipalg_dialogs *d,
                                    unsigned int words[SIPALG_CALL_SLOTS]) {
    for (u32 i = 0; i < SIPALG_CALL_SLOTS; i++)
        words[i] =
            d->key[i] ? (d->key[i] & kKeyMask) | (u32)d->state[i] << SIPALG_CALL_KEY_BITS : 0;
}

extern "C" int sipalg_dialogs_unpack(const unsigned int words[SIPALG_CALL_SLOTS], unsigned int now,
                                     sipalg_dialogs *d) {
    int changed = 0;
    for (u32 i = 0; i < SIPALG_CALL_SLOTS; i++) {
        u32 key = words[i] & kKeyMask;
        u8 st = (u8)(words[i] >> SIPALG_CALL_KEY_BITS);
        bool ok = key && known_state(st);
        for (u32 j = 0; j < i && ok; j++)
            ok = d->key[j] != key;
        if (!ok) {
            key = 0;
            st = 0;
        }
        if (d->key[i] == key && d->state[i] == st)
            continue;
        changed = 1;
        d->used[i] = key ? now : 0;
        d->key[i] = key;
        d->state[i] = st;
    }
    return changed;
}

extern "C" unsigned int sipalg_contact_expires(const sipalg_msg *msg, const sipalg_contact *c) {
    if (c->flags & SIPALG_CONTACT_EXPIRES)
        return c->expires;
    if (msg->flags & SIPALG_MSGF_EXPIRES)
        return msg->expires;
    return SIPALG_DEFAULT_EXPIRES;
}

extern "C" int sipalg_decide(const unsigned char *buf, const sipalg_msg *msg,
                             const sipalg_view *view, sipalg_dialogs *dialogs,
                             sipalg_decision *out) {
    if (!out)
        return SIPALG_R_BAD_ARG;
    __builtin_memset(out, 0, sizeof(*out));
    out->slot = -1;
    if (!buf || !msg || !view || !dialogs)
        return SIPALG_R_BAD_ARG;
    if (msg->kind != SIPALG_KIND_REQUEST && msg->kind != SIPALG_KIND_RESPONSE)
        return SIPALG_OK; // keep-alive: nothing to do
    if (!sipalg_decide_uses_dialogs(msg)) {
        registration(buf, msg, view, out);
        return SIPALG_OK;
    }
    Slots slots{dialogs, view->now};
    call(buf, msg, view, slots, out);
    return SIPALG_OK;
}
