// sipalg_decide(): what each SIP message means for calls, media pinholes and
// registrations, against the rules stated in include/sipalg/decide.h (RFC
// 3261, 3262, 3264, 3311). Messages are built from small templates, parsed
// with sipalg_parse() and driven through one struct sipalg_dialogs.
#include "core_test_util.hpp"

#include <sipalg/decide.h>

#include <array>
#include <cstdint>
#include <sstream>

using namespace coretest;

namespace {

// The phone inside (behind NAT, public 203.0.113.1) and its peer or
// registrar outside.
const char *const kIn = "192.168.0.10";
const char *const kPub = "203.0.113.1";
const char *const kOut = "198.51.100.7";
const char *const kCallId = "call-1@192.168.0.10";
const char *const kAor = "sip:alice@example.com";

// ---- messages ----

// SDP for one audio stream at addr:port; media holds media-level lines
// (a=sendonly, a=rtcp:...), session session-level ones.
std::string sdp(const std::string &addr, int port, const std::string &media = "",
                const std::string &session = "") {
    return "v=0\no=- 1 1 IN IP4 " + addr + "\ns=-\nc=IN IP4 " + addr + "\nt=0 0\n" + session +
           "m=audio " + std::to_string(port) + " RTP/AVP 0 8\n" + media;
}

std::string finish(const std::string &head, const std::string &headers, const std::string &body) {
    std::string s = head + headers;
    if (!body.empty())
        s += "Content-Type: application/sdp\n";
    s += "Content-Length: {CL}\n\n";
    return with_cl(crlf(s) + crlf(body));
}

// A request sent from inside (the phone) or from outside (its peer). A
// Contact naming the sender is added unless headers has one; in-dialog
// requests carry a To tag.
std::string request(const std::string &method, const std::string &call_id,
                    const std::string &body = "", const std::string &headers = "",
                    bool from_inside = true, bool in_dialog = true) {
    bool reg = method == "REGISTER";
    std::string me = from_inside ? kIn : kOut;
    std::string ruri = reg           ? "sip:example.com"
                       : from_inside ? "sip:bob@198.51.100.7"
                                     : "sip:alice@192.168.0.10";
    std::string s = "Via: SIP/2.0/UDP " + me + ":5060;branch=z9hG4bK-" + method + "\n";
    if (reg)
        s += "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>\n";
    else if (from_inside)
        s += std::string("From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>") +
             (in_dialog ? ";tag=b1\n" : "\n");
    else
        s += std::string("From: <sip:bob@example.com>;tag=b1\nTo: <sip:alice@example.com>") +
             (in_dialog ? ";tag=a1\n" : "\n");
    s += "Call-ID: " + call_id + "\nCSeq: 7 " + method + "\nMax-Forwards: 70\n";
    if (headers.find("Contact:") == std::string::npos)
        s += "Contact: <sip:" + std::string(from_inside ? "alice@" : "bob@") + me + ":5060>\n";
    return finish(method + " " + ruri + " SIP/2.0\n", s + headers, body);
}

// A response to a request of the other side: sent from outside to a
// request from inside by default. A REGISTER's gets only the Contacts in
// headers; others a Contact naming the sender unless headers has one.
std::string response(int status, const std::string &cseq_method, const std::string &call_id,
                     const std::string &body = "", const std::string &headers = "",
                     bool from_inside = false) {
    bool reg = cseq_method == "REGISTER";
    std::string me = from_inside ? kIn : kOut, them = from_inside ? kOut : kIn;
    std::string s = "Via: SIP/2.0/UDP " + them + ":5060;branch=z9hG4bK-" + cseq_method + "\n";
    if (reg)
        s += "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>;tag=r2\n";
    else if (from_inside)
        s += "From: <sip:bob@example.com>;tag=b1\nTo: <sip:alice@example.com>;tag=a1\n";
    else
        s += "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>;tag=b1\n";
    s += "Call-ID: " + call_id + "\nCSeq: 7 " + cseq_method + "\n";
    if (!reg && headers.find("Contact:") == std::string::npos)
        s += "Contact: <sip:" + std::string(from_inside ? "alice@" : "bob@") + me + ":5060>\n";
    return finish("SIP/2.0 " + std::to_string(status) + " Reason\n", s + headers, body);
}

struct Msg {
    std::string text;
    std::unique_ptr<sipalg_msg> msg = std::make_unique<sipalg_msg>();
};

Msg parse_ok(const std::string &text) {
    Msg m;
    m.text = text;
    INFO(text);
    REQUIRE(sipalg_parse(u(m.text), (unsigned)m.text.size(), SIPALG_UDP, m.msg.get()) == SIPALG_OK);
    return m;
}

// ---- the packet's view ----

// From inside: the phone (public side on pub_port) to the peer. From
// outside: the peer to the phone's public address, really the phone.
sipalg_view view(bool from_inside, unsigned now, unsigned short pub_port = 5060) {
    sipalg_view v{};
    v.from_inside = from_inside;
    v.now = now;
    sipalg_addr in = addr(kIn), pub = addr(kPub), out = addr(kOut);
    if (from_inside) {
        v.sender = in;
        v.sender_public = pub;
        v.sender_port = 5060;
        v.sender_public_port = pub_port;
        v.receiver = v.receiver_real = out;
        v.receiver_port = v.receiver_real_port = 5060;
    } else {
        v.sender = v.sender_public = out;
        v.sender_port = v.sender_public_port = 5060;
        v.receiver = pub;
        v.receiver_port = pub_port;
        v.receiver_real = in;
        v.receiver_real_port = 5060;
    }
    return v;
}

sipalg_decision decide(const Msg &m, const sipalg_view &v, sipalg_dialogs &d) {
    sipalg_decision out;
    std::memset(&out, 0xa5, sizeof out); // everything must be written
    INFO(m.text);
    REQUIRE(sipalg_decide(u(m.text), m.msg.get(), &v, &d, &out) == SIPALG_OK);
    return out;
}

// One signalling connection: its dialog state and a clock.
struct Conn {
    sipalg_dialogs d{};
    unsigned now = 1000;
    unsigned short pub_port = 5060;

    sipalg_decision in(const std::string &text) {
        return decide(parse_ok(text), view(true, now++, pub_port), d);
    }
    sipalg_decision out(const std::string &text) {
        return decide(parse_ok(text), view(false, now++, pub_port), d);
    }
};

unsigned key(const std::string &call_id) {
    return sipalg_call_key(u(call_id), (unsigned)call_id.size());
}

// 32-bit FNV-1a, a byte a step: what a decision's session_key must be.
unsigned fnv1a(const std::string &s) {
    unsigned h = 2166136261u;
    for (unsigned char c : s)
        h = (h ^ c) * 16777619u;
    return h;
}

// ---- expected decisions ----

struct Stream {
    int media, rtp, rtcp;
};
struct Reg {
    int op, port, public_port;
    unsigned seconds;
};

struct Want {
    unsigned actions = 0;
    int slot = -1;
    int event = SIPALG_MEANS_NOTHING;
    int session = SIPALG_SESS_NONE;
    int call_state = SIPALG_CALL_NONE;
    std::vector<Stream> streams = {};
    int not_sender = 0;
    int bad_rtcp = 0;
    std::vector<Reg> regs = {};
    unsigned seconds = 0;
    int create = -1; // session_create; -1: not checked
    // Not checked unless set (>= 0): media_seconds, and whether
    // SIPALG_DO_EXTEND_MEDIA is in the actions (1) or not (0).
    int media_seconds = -1;
    int extend = -1;
};

std::string actions_text(unsigned a) {
    std::string s;
    if (a & SIPALG_DO_OPEN_MEDIA)
        s += "OPEN ";
    if (a & SIPALG_DO_REPLACE_MEDIA)
        s += "REPLACE ";
    if (a & SIPALG_DO_CLOSE_CALL)
        s += "CLOSE ";
    if (a & SIPALG_DO_SLOT_REUSED)
        s += "REUSED ";
    if (a & SIPALG_DO_EXTEND_MEDIA)
        s += "EXTEND ";
    if (a & ~0x2fu)
        s += "0x" + std::to_string(a);
    return s.empty() ? "-" : s;
}

std::string describe(const sipalg_decision &o) {
    std::ostringstream s;
    s << "got: actions " << actions_text(o.actions) << "slot " << (int)o.slot << " event "
      << (int)o.event << " session " << (int)o.session << " call_state " << (int)o.call_state
      << " create " << (int)o.session_create << " streams " << (int)o.n_streams;
    for (unsigned i = 0; i < o.n_streams && i < SIPALG_MAX_MEDIA; i++)
        s << " [" << (int)o.streams[i].media << ":" << o.streams[i].rtp_port << "/"
          << o.streams[i].rtcp_port << "]";
    s << " not_sender " << (int)o.n_not_sender << " bad_rtcp " << (int)o.n_bad_rtcp << " regs "
      << (int)o.n_regs;
    for (unsigned i = 0; i < o.n_regs && i < SIPALG_MAX_REG_ACTIONS; i++)
        s << " [op " << (int)o.regs[i].op << " " << o.regs[i].port << "->" << o.regs[i].public_port
          << " " << o.regs[i].seconds << "s]";
    s << " seconds " << o.session_seconds << " media_seconds " << o.media_seconds;
    return s.str();
}

void check(const sipalg_decision &o, const Want &w) {
    INFO(describe(o));
    unsigned extend = w.extend > 0 ? SIPALG_DO_EXTEND_MEDIA : 0u;
    unsigned got = w.extend < 0 ? o.actions & ~SIPALG_DO_EXTEND_MEDIA : o.actions;
    CHECK(actions_text(got) == actions_text(w.actions | extend));
    if (w.media_seconds >= 0)
        CHECK((int)o.media_seconds == w.media_seconds);
    CHECK((int)o.slot == w.slot);
    CHECK((int)o.event == w.event);
    CHECK((int)o.session == w.session);
    CHECK((int)o.call_state == w.call_state);
    if (w.create >= 0)
        CHECK((int)o.session_create == w.create);
    REQUIRE((size_t)o.n_streams == w.streams.size());
    for (size_t i = 0; i < w.streams.size(); i++) {
        CHECK((int)o.streams[i].media == w.streams[i].media);
        CHECK((int)o.streams[i].rtp_port == w.streams[i].rtp);
        CHECK((int)o.streams[i].rtcp_port == w.streams[i].rtcp);
    }
    CHECK((int)o.n_not_sender == w.not_sender);
    CHECK((int)o.n_bad_rtcp == w.bad_rtcp);
    REQUIRE((size_t)o.n_regs == w.regs.size());
    for (size_t i = 0; i < w.regs.size(); i++) {
        CHECK((int)o.regs[i].op == w.regs[i].op);
        CHECK((int)o.regs[i].port == w.regs[i].port);
        CHECK((int)o.regs[i].public_port == w.regs[i].public_port);
        CHECK(o.regs[i].seconds == w.regs[i].seconds);
    }
    CHECK(o.session_seconds == w.seconds);
}

constexpr unsigned kOpen = SIPALG_DO_OPEN_MEDIA;
constexpr unsigned kAnswer = SIPALG_DO_OPEN_MEDIA | SIPALG_DO_REPLACE_MEDIA;
constexpr unsigned kClose = SIPALG_DO_CLOSE_CALL;
constexpr unsigned kReused = SIPALG_DO_SLOT_REUSED;

// The call known in slot s and its state, as a decision shows it.
Want in_call(int s, int state, unsigned actions = 0, std::vector<Stream> streams = {}) {
    return Want{.actions = actions,
                .slot = s,
                .event = actions & kOpen ? SIPALG_MEANS_CALL_SETUP : SIPALG_MEANS_NOTHING,
                .session = SIPALG_SESS_CALL,
                .call_state = state,
                .streams = std::move(streams)};
}

Want ends(int s) {
    return Want{.actions = s >= 0 ? kClose : 0u,
                .slot = s,
                .event = SIPALG_MEANS_CALL_END,
                .session = SIPALG_SESS_CALL_END};
}

// An answer ending a call that is gone already: not shown, no second event.
Want gone() {
    return Want{.slot = -1, .session = SIPALG_SESS_CALL_END};
}

// ---- probes (on a copy: the connection is left as it is) ----

// The call's state as an in-dialog OPTIONS shows it; 0 if it is not known.
int state_of(const Conn &c, const std::string &call_id) {
    Conn probe = c;
    sipalg_decision o = probe.in(request("OPTIONS", call_id));
    return o.session == SIPALG_SESS_CALL ? o.call_state : 0;
}

// Whose offer waits for an answer: SDP in a PRACK is an answer (which
// extends the call's pinholes) exactly when the other side's offer is
// pending. 'i' inside's, 'o' outside's, '-' none.
char pending_offer(const Conn &c, const std::string &call_id) {
    Conn a = c, b = c;
    bool inside = a.out(request("PRACK", call_id, sdp(kOut, 59000), "", false)).actions &
                  SIPALG_DO_EXTEND_MEDIA;
    bool outside =
        b.in(request("PRACK", call_id, sdp(kIn, 49000))).actions & SIPALG_DO_EXTEND_MEDIA;
    REQUIRE(!(inside && outside));
    return inside ? 'i' : outside ? 'o' : '-';
}

// An established call begun from inside: INVITE (offer, 40000), 180, 200
// (answer, 50000), ACK.
void establish(Conn &c, const std::string &call_id = kCallId) {
    REQUIRE(c.in(request("INVITE", call_id, sdp(kIn, 40000), "", true, false)).call_state ==
            SIPALG_CALL_CALLING);
    REQUIRE(c.out(response(180, "INVITE", call_id)).call_state == SIPALG_CALL_RINGING);
    REQUIRE(c.out(response(200, "INVITE", call_id, sdp(kOut, 50000))).call_state ==
            SIPALG_CALL_ESTABLISHED);
    REQUIRE(c.in(request("ACK", call_id)).call_state == SIPALG_CALL_ESTABLISHED);
}

} // namespace

// ==== The table: every method x every response class x call context ====
//
// Each cell is one message in a fresh connection set up to the context:
//   none         no call known;
//   ringing      INVITE (offer) from inside, 180 (no SDP) from outside;
//   established  ... 200 (answer), ACK.
// Column REQ is the request, sent from inside (with SDP: at 192.168.0.10
// port 42000, in-dialog but for context none). The other columns send that
// request and then the response from outside (with SDP: at 198.51.100.7
// port 52000); the cell is the response's decision.
//
// Tokens: the call, then the media.
//   .  nothing: no slot, no session, no event
//   x  the call ends, no slot to close (no CLOSE_CALL; CALL_END for a
//      request, none for an answer: the call is gone already)
//   X  the call ends and its slot (0) closes (CLOSE_CALL, CALL_END)
//   N  slot 0 holds the call, no state to show
//   C/R/E  slot 0, SESS_CALL calling / ringing / established
//   o  an offer: OPEN_MEDIA, the sender's one stream
//   a  an answer: OPEN_MEDIA | REPLACE_MEDIA, the sender's one stream
//   r  an offer replacing the sender's offer that got no answer yet:
//      OPEN_MEDIA | REPLACE_MEDIA, the sender's one stream
//   G  a REGISTER asking 3600 s (Contact on the sender, no Expires)
//   g  registered: REG_GRANT, REG_OPEN of 203.0.113.1:5060 -> 5060 for 1800 s
//   F  registration refused: REG_FAIL, nothing opened or removed
//   -  no such message (a response to ACK)
// The event is CALL_END for x/X, REGISTER for G, CALL_SETUP for media of an
// INVITE transaction, else none.

namespace {

enum Ctx { kNone, kRinging, kEstablished };
const char *const kCtxName[] = {"none", "ringing", "established"};
const int kColumns[] = {0, 100, 180, 183, 200, 302, 404, 481, 487, 491, 500, 603};
constexpr int kNColumns = sizeof kColumns / sizeof kColumns[0];

struct Row {
    const char *method;
    Ctx ctx;
    const char *plain; // no SDP anywhere
    const char *sdp;   // SDP in the request and in the response
};

// clang-format off
const Row kTable[] = {
    //                          REQ 100 180 183 200 302 404 481 487 491 500 603
    {"INVITE",    kNone,        "C   C   R   R   E   X   X   X   X   X   X   X",
                                "Co  C   Ra  Ra  Ea  X   X   X   X   X   X   X"},
    {"INVITE",    kRinging,     "R   R   R   R   E   X   X   X   X   X   X   X",
                                "Rr  R   Ra  Ra  Ea  X   X   X   X   X   X   X"},
    {"INVITE",    kEstablished, "E   E   E   E   E   .   .   X   .   .   .   .",
                                "Eo  E   Ea  Ea  Ea  .   .   X   .   .   .   ."},
    {"ACK",       kNone,        ".   -   -   -   -   -   -   -   -   -   -   -",
                                "Na  -   -   -   -   -   -   -   -   -   -   -"},
    {"ACK",       kRinging,     "R   -   -   -   -   -   -   -   -   -   -   -",
                                "Ra  -   -   -   -   -   -   -   -   -   -   -"},
    {"ACK",       kEstablished, "E   -   -   -   -   -   -   -   -   -   -   -",
                                "Ea  -   -   -   -   -   -   -   -   -   -   -"},
    {"BYE",       kNone,        "x   .   .   .   .   .   .   x   .   .   .   .",
                                "x   .   .   .   .   .   .   x   .   .   .   ."},
    {"BYE",       kRinging,     "X   .   .   .   .   .   .   x   .   .   .   .",
                                "X   .   .   .   .   .   .   x   .   .   .   ."},
    {"BYE",       kEstablished, "X   .   .   .   .   .   .   x   .   .   .   .",
                                "X   .   .   .   .   .   .   x   .   .   .   ."},
    {"CANCEL",    kNone,        "x   .   .   .   .   .   .   .   .   .   .   .",
                                "x   .   .   .   .   .   .   .   .   .   .   ."},
    {"CANCEL",    kRinging,     "X   .   .   .   .   .   .   .   .   .   .   .",
                                "X   .   .   .   .   .   .   .   .   .   .   ."},
    {"CANCEL",    kEstablished, ".   E   E   E   E   .   .   .   .   .   .   .",
                                ".   E   E   E   E   .   .   .   .   .   .   ."},
    {"REGISTER",  kNone,        "G   .   .   .   g   F   F   F   F   F   F   F",
                                "G   .   .   .   g   F   F   F   F   F   F   F"},
    {"REGISTER",  kRinging,     "G   .   .   .   g   F   F   F   F   F   F   F",
                                "G   .   .   .   g   F   F   F   F   F   F   F"},
    {"REGISTER",  kEstablished, "G   .   .   .   g   F   F   F   F   F   F   F",
                                "G   .   .   .   g   F   F   F   F   F   F   F"},
    {"OPTIONS",   kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"OPTIONS",   kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"OPTIONS",   kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
    {"PRACK",     kNone,        ".   .   .   .   .   .   .   x   .   .   .   .",
                                "No  N   Na  Na  Na  .   .   X   .   .   .   ."},
    {"PRACK",     kRinging,     "R   R   R   R   R   .   .   X   .   .   .   .",
                                "Rr  R   Ra  Ra  Ra  .   .   X   .   .   .   ."},
    {"PRACK",     kEstablished, "E   E   E   E   E   .   .   X   .   .   .   .",
                                "Eo  E   Ea  Ea  Ea  .   .   X   .   .   .   ."},
    {"SUBSCRIBE", kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"SUBSCRIBE", kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"SUBSCRIBE", kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
    {"NOTIFY",    kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"NOTIFY",    kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"NOTIFY",    kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
    {"PUBLISH",   kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"PUBLISH",   kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"PUBLISH",   kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
    {"INFO",      kNone,        ".   .   .   .   .   .   .   x   .   .   .   .",
                                ".   .   .   .   .   .   .   x   .   .   .   ."},
    {"INFO",      kRinging,     "R   R   R   R   R   .   .   X   .   .   .   .",
                                "R   R   R   R   R   .   .   X   .   .   .   ."},
    {"INFO",      kEstablished, "E   E   E   E   E   .   .   X   .   .   .   .",
                                "E   E   E   E   E   .   .   X   .   .   .   ."},
    {"REFER",     kNone,        ".   .   .   .   .   .   .   x   .   .   .   .",
                                ".   .   .   .   .   .   .   x   .   .   .   ."},
    {"REFER",     kRinging,     "R   R   R   R   R   .   .   X   .   .   .   .",
                                "R   R   R   R   R   .   .   X   .   .   .   ."},
    {"REFER",     kEstablished, "E   E   E   E   E   .   .   X   .   .   .   .",
                                "E   E   E   E   E   .   .   X   .   .   .   ."},
    {"MESSAGE",   kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"MESSAGE",   kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"MESSAGE",   kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
    {"UPDATE",    kNone,        ".   .   .   .   .   .   .   x   .   .   .   .",
                                "No  N   Na  Na  Na  .   .   X   .   .   .   ."},
    {"UPDATE",    kRinging,     "R   R   R   R   R   .   .   X   .   .   .   .",
                                "Rr  R   Ra  Ra  Ra  .   .   X   .   .   .   ."},
    {"UPDATE",    kEstablished, "E   E   E   E   E   .   .   X   .   .   .   .",
                                "Eo  E   Ea  Ea  Ea  .   .   X   .   .   .   ."},
    // An extension method: the dialog's, but a 481 to it does not say the
    // call is gone (see the report on decide.h's "any request of it").
    {"FOO",       kNone,        ".   .   .   .   .   .   .   .   .   .   .   .",
                                ".   .   .   .   .   .   .   .   .   .   .   ."},
    {"FOO",       kRinging,     "R   R   R   R   R   .   .   .   .   .   .   .",
                                "R   R   R   R   R   .   .   .   .   .   .   ."},
    {"FOO",       kEstablished, "E   E   E   E   E   .   .   .   .   .   .   .",
                                "E   E   E   E   E   .   .   .   .   .   .   ."},
};
// clang-format on

std::vector<std::string> tokens(const char *s) {
    std::istringstream in(s);
    std::vector<std::string> t;
    for (std::string w; in >> w;)
        t.push_back(w);
    return t;
}

Conn context(Ctx ctx) {
    Conn c;
    if (ctx == kNone)
        return c;
    REQUIRE(c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false)).call_state ==
            SIPALG_CALL_CALLING);
    REQUIRE(c.out(response(180, "INVITE", kCallId)).call_state == SIPALG_CALL_RINGING);
    if (ctx == kEstablished) {
        REQUIRE(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))).call_state ==
                SIPALG_CALL_ESTABLISHED);
        REQUIRE(c.in(request("ACK", kCallId)).call_state == SIPALG_CALL_ESTABLISHED);
    }
    return c;
}

// What a token says, as a Want (see the legend above).
Want want_of(const std::string &tok, const std::string &method, int status) {
    Want w;
    char call = tok[0], media = tok.size() > 1 ? tok[1] : 0;
    switch (call) {
    case '.':
        break;
    case 'x':
        w = status ? gone() : ends(-1);
        break;
    case 'X':
        w = ends(0);
        break;
    case 'N':
        w.slot = 0;
        break;
    case 'C':
    case 'R':
    case 'E':
        w.slot = 0;
        w.session = SIPALG_SESS_CALL;
        w.call_state = call == 'C'   ? SIPALG_CALL_CALLING
                       : call == 'R' ? SIPALG_CALL_RINGING
                                     : SIPALG_CALL_ESTABLISHED;
        // The message may begin the call shown: an INVITE, or an answer to
        // it other than 100 Trying.
        w.create = method == "INVITE" && (status == 0 || status > 100);
        break;
    case 'G':
        w.event = SIPALG_MEANS_REGISTER;
        w.session = SIPALG_SESS_REG_ASK;
        w.seconds = SIPALG_DEFAULT_EXPIRES;
        w.create = 1;
        break;
    case 'g':
        w.session = SIPALG_SESS_REG_GRANT;
        w.seconds = 1800;
        w.regs = {{SIPALG_REG_OPEN, 5060, 5060, 1800}};
        break;
    case 'F':
        w.session = SIPALG_SESS_REG_FAIL;
        break;
    default:
        FAIL("bad token " << tok);
    }
    if (media) {
        REQUIRE((media == 'o' || media == 'a' || media == 'r'));
        w.actions |= media == 'o' ? kOpen : kAnswer;
        w.streams = {status ? Stream{0, 52000, 52001} : Stream{0, 42000, 42001}};
        if (method == "INVITE")
            w.event = SIPALG_MEANS_CALL_SETUP;
    }
    return w;
}

} // namespace

TEST_CASE("decide: every method x response class x call context, with and without SDP",
          "[decide][table]") {
    REQUIRE(sizeof kTable / sizeof kTable[0] == 15 * 3);
    int cells = 0;
    for (const Row &row : kTable) {
        for (int with_sdp = 0; with_sdp < 2; with_sdp++) {
            auto toks = tokens(with_sdp ? row.sdp : row.plain);
            REQUIRE(toks.size() == (size_t)kNColumns);
            for (int col = 0; col < kNColumns; col++) {
                if (toks[col] == "-")
                    continue;
                int status = kColumns[col];
                std::string method = row.method;
                bool reg = method == "REGISTER";
                INFO("context " << kCtxName[row.ctx] << ", " << method << " "
                                << (status ? std::to_string(status) : "request")
                                << (with_sdp ? ", with SDP" : ", no SDP") << ": want "
                                << toks[col]);
                Conn c = context(row.ctx);
                sipalg_dialogs before = c.d;
                std::string rq = request(method, kCallId, with_sdp ? sdp(kIn, 42000) : "", "", true,
                                         row.ctx != kNone);
                std::string rs =
                    status ? response(status, method, kCallId, with_sdp ? sdp(kOut, 52000) : "",
                                      reg ? "Contact: <sip:alice@203.0.113.1:5060>;expires=1800\n"
                                          : "")
                           : "";
                // Whether the call holds a slot, step by step.
                bool held = row.ctx != kNone;
                auto track = [&](const sipalg_decision &d) {
                    if (d.event == SIPALG_MEANS_CALL_END)
                        held = false;
                    else if (d.slot >= 0)
                        held = true;
                };
                sipalg_decision o = c.in(rq);
                track(o);
                if (status) {
                    o = c.out(rs);
                    track(o);
                }
                check(o, want_of(toks[col], method, status));
                if (o.session != SIPALG_SESS_NONE) {
                    CHECK(span(status ? rs : rq, o.session_id) == (reg ? kAor : kCallId));
                    // The sessions table's key: the id's bytes hashed (a
                    // call's as its key is, a registration's on its own).
                    if (!reg)
                        CHECK(o.session_key == fnv1a(kCallId));
                }
                if (reg) // registrations never touch the calls
                    CHECK(std::memcmp(&before, &c.d, sizeof before) == 0);
                else
                    CHECK(c.d.key[0] == (held ? key(kCallId) : 0u));
                cells++;
            }
        }
    }
    CHECK(cells == 15 * 3 * 2 * 12 - 3 * 2 * 11);
}

// ==== Calls, offers and answers, step by step ====

TEST_CASE("decide: a call from inside, early answer in 183, answer in 200, BYE", "[decide]") {
    Conn c;
    Want w = in_call(0, SIPALG_CALL_CALLING, kOpen, {{0, 40000, 40001}});
    w.create = 1;
    check(c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false)), w);
    CHECK(c.d.key[0] == key(kCallId));
    CHECK(pending_offer(c, kCallId) == 'i');

    w = in_call(0, SIPALG_CALL_CALLING);
    w.create = 0; // 100 Trying begins nothing
    check(c.out(response(100, "INVITE", kCallId)), w);

    w = in_call(0, SIPALG_CALL_RINGING);
    w.create = 1;
    check(c.out(response(180, "INVITE", kCallId)), w);

    // An 18x answer is preliminary: the offer stays open for the 200.
    check(c.out(response(183, "INVITE", kCallId, sdp(kOut, 50000))),
          in_call(0, SIPALG_CALL_RINGING, kAnswer, {{0, 50000, 50001}}));
    CHECK(pending_offer(c, kCallId) == 'i');
    CHECK(state_of(c, kCallId) == SIPALG_CALL_RINGING);

    check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))),
          in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 50000, 50001}}));
    CHECK(pending_offer(c, kCallId) == '-');

    check(c.in(request("ACK", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
    check(c.out(request("BYE", kCallId, "", "", false)), ends(0));
    CHECK(c.d.key[0] == 0u);
    check(c.in(response(200, "BYE", kCallId, "", "", true)), Want{});
    CHECK(state_of(c, kCallId) == 0);
}

TEST_CASE("decide: a call from outside: the streams lead to each sender", "[decide]") {
    Conn c;
    check(c.out(request("INVITE", kCallId, sdp(kOut, 50000), "", false, false)),
          in_call(0, SIPALG_CALL_CALLING, kOpen, {{0, 50000, 50001}}));
    check(c.in(response(180, "INVITE", kCallId, "", "", true)), in_call(0, SIPALG_CALL_RINGING));
    check(c.in(response(200, "INVITE", kCallId, sdp(kIn, 40000), "", true)),
          in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 40000, 40001}}));
    check(c.out(request("ACK", kCallId, "", "", false)), in_call(0, SIPALG_CALL_ESTABLISHED));
    check(c.in(request("BYE", kCallId)), ends(0));
}

TEST_CASE("decide: late offer: INVITE without SDP, the 200 offers, the ACK answers", "[decide]") {
    Conn c;
    Want w = in_call(0, SIPALG_CALL_CALLING);
    w.create = 1;
    check(c.in(request("INVITE", kCallId, "", "", true, false)), w);
    CHECK(pending_offer(c, kCallId) == '-');
    check(c.out(response(180, "INVITE", kCallId)), in_call(0, SIPALG_CALL_RINGING));
    // The 200's SDP is an offer: it adds pinholes, replaces none.
    check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))),
          in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, 50000, 50001}}));
    CHECK(pending_offer(c, kCallId) == 'o');
    // The ACK's is the answer (an ACK is not the INVITE's transaction).
    w = in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 40000, 40001}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.in(request("ACK", kCallId, sdp(kIn, 40000))), w);
    CHECK(pending_offer(c, kCallId) == '-');
}

TEST_CASE("decide: offer in a reliable 183, answered by the PRACK", "[decide]") {
    Conn c;
    c.in(request("INVITE", kCallId, "", "", true, false));
    check(c.out(response(183, "INVITE", kCallId, sdp(kOut, 50000))),
          in_call(0, SIPALG_CALL_RINGING, kOpen, {{0, 50000, 50001}}));
    CHECK(pending_offer(c, kCallId) == 'o');
    Want w = in_call(0, SIPALG_CALL_RINGING, kAnswer, {{0, 40000, 40001}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.in(request("PRACK", kCallId, sdp(kIn, 40000))), w);
    CHECK(pending_offer(c, kCallId) == '-');
    check(c.out(response(200, "PRACK", kCallId)), in_call(0, SIPALG_CALL_RINGING));
    check(c.out(response(200, "INVITE", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
}

TEST_CASE("decide: a new offer in the PRACK, answered in the PRACK's 200", "[decide]") {
    Conn c;
    c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    check(c.out(response(183, "INVITE", kCallId, sdp(kOut, 50000))),
          in_call(0, SIPALG_CALL_RINGING, kAnswer, {{0, 50000, 50001}}));
    Want w = in_call(0, SIPALG_CALL_RINGING, kOpen, {{0, 40100, 40101}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.in(request("PRACK", kCallId, sdp(kIn, 40100))), w);
    CHECK(pending_offer(c, kCallId) == 'i');
    w = in_call(0, SIPALG_CALL_RINGING, kAnswer, {{0, 50100, 50101}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.out(response(200, "PRACK", kCallId, sdp(kOut, 50100))), w);
    CHECK(pending_offer(c, kCallId) == '-');
    check(c.out(response(200, "INVITE", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
}

TEST_CASE("decide: UPDATE offers and answers in an established call, either way", "[decide]") {
    Conn c;
    establish(c);
    Want w = in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, 50200, 50201}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.out(request("UPDATE", kCallId, sdp(kOut, 50200), "", false)), w);
    CHECK(pending_offer(c, kCallId) == 'o');
    w = in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 40200, 40201}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.in(response(200, "UPDATE", kCallId, sdp(kIn, 40200), "", true)), w);
    CHECK(pending_offer(c, kCallId) == '-');

    w = in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, 40300, 40301}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.in(request("UPDATE", kCallId, sdp(kIn, 40300))), w);
    CHECK(pending_offer(c, kCallId) == 'i');
    w = in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 50300, 50301}});
    w.event = SIPALG_MEANS_NOTHING;
    check(c.out(response(200, "UPDATE", kCallId, sdp(kOut, 50300))), w);
    CHECK(pending_offer(c, kCallId) == '-');
}

// ---- hold and resume ----

namespace {

struct HoldForm {
    const char *name;
    std::string (*offer)(const std::string &addr, int port);
    bool opens; // the stream still names its sender (not c=0.0.0.0)
};

const HoldForm kHoldForms[] = {
    {"a=sendonly", [](const std::string &a, int p) { return sdp(a, p, "a=sendonly\n"); }, true},
    {"a=recvonly", [](const std::string &a, int p) { return sdp(a, p, "a=recvonly\n"); }, true},
    {"a=inactive", [](const std::string &a, int p) { return sdp(a, p, "a=inactive\n"); }, true},
    {"session a=sendonly",
     [](const std::string &a, int p) { return sdp(a, p, "", "a=sendonly\n"); }, true},
    {"c=0.0.0.0", [](const std::string &, int p) { return sdp("0.0.0.0", p); }, false},
    {"c=0.0.0.0 with a=sendonly",
     [](const std::string &, int p) { return sdp("0.0.0.0", p, "a=sendonly\n"); }, false},
};

} // namespace

TEST_CASE("decide: hold and resume by re-INVITE and by UPDATE, from either side", "[decide]") {
    for (const HoldForm &form : kHoldForms)
        for (const char *method : {"INVITE", "UPDATE"})
            for (bool from_inside : {true, false}) {
                INFO(method << " holding with " << form.name << " from "
                            << (from_inside ? "inside" : "outside"));
                Conn c;
                establish(c);
                const char *me = from_inside ? kIn : kOut;
                const char *peer = from_inside ? kOut : kIn;
                int port = from_inside ? 40600 : 50600, peer_port = from_inside ? 50600 : 40600;
                bool invite = std::string(method) == "INVITE";
                auto send = [&](bool inside, const std::string &text) {
                    return inside ? c.in(text) : c.out(text);
                };

                Want w = in_call(0, SIPALG_CALL_HELD, kOpen);
                if (form.opens)
                    w.streams = {{0, port, port + 1}};
                else
                    w.not_sender = 1;
                if (!invite)
                    w.event = SIPALG_MEANS_NOTHING;
                check(send(from_inside,
                           request(method, kCallId, form.offer(me, port), "", from_inside)),
                      w);
                // The answer (recvonly) keeps it held.
                w = in_call(0, SIPALG_CALL_HELD, kAnswer, {{0, peer_port, peer_port + 1}});
                if (!invite)
                    w.event = SIPALG_MEANS_NOTHING;
                check(send(!from_inside,
                           response(200, method, kCallId, sdp(peer, peer_port, "a=recvonly\n"), "",
                                    !from_inside)),
                      w);
                if (invite)
                    check(send(from_inside, request("ACK", kCallId, "", "", from_inside)),
                          in_call(0, SIPALG_CALL_HELD));
                CHECK(state_of(c, kCallId) == SIPALG_CALL_HELD);

                // Sending and receiving again resumes it.
                w = in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, port, port + 1}});
                if (!invite)
                    w.event = SIPALG_MEANS_NOTHING;
                check(send(from_inside, request(method, kCallId, sdp(me, port), "", from_inside)),
                      w);
                w = in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, peer_port, peer_port + 1}});
                if (!invite)
                    w.event = SIPALG_MEANS_NOTHING;
                check(send(!from_inside,
                           response(200, method, kCallId, sdp(peer, peer_port), "", !from_inside)),
                      w);
                CHECK(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
            }
}

TEST_CASE("decide: not a hold: one stream of two still sends and receives", "[decide]") {
    Conn c;
    establish(c);
    std::string two = sdp(kIn, 40000, "a=sendonly\nm=video 40002 RTP/AVP 96\n");
    check(c.in(request("INVITE", kCallId, two)),
          in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, 40000, 40001}, {1, 40002, 40003}}));
    // ... and a rejected stream (port 0) does not count either way.
    std::string rejected = sdp(kIn, 40000, "a=sendonly\nm=video 0 RTP/AVP 96\n");
    check(c.in(request("INVITE", kCallId, rejected)),
          in_call(0, SIPALG_CALL_HELD, kOpen, {{0, 40000, 40001}}));
}

// ---- offers that fail ----

TEST_CASE("decide: a rejected re-INVITE or UPDATE leaves the call, its media and its hold",
          "[decide]") {
    const char *const methods[] = {"INVITE", "UPDATE"};
    const int statuses[] = {491, 488, 500, 403, 408, 603};
    for (const char *method : methods)
        for (int status : statuses)
            for (bool hold : {false, true}) {
                INFO(method << " " << (hold ? "holding" : "sendrecv") << " offer refused with "
                            << status);
                Conn c;
                establish(c);
                c.in(request(method, kCallId, sdp(kIn, 40700, hold ? "a=sendonly\n" : "")));
                CHECK(pending_offer(c, kCallId) == 'i');
                CHECK(state_of(c, kCallId) == (hold ? SIPALG_CALL_HELD : SIPALG_CALL_ESTABLISHED));
                // No CLOSE_CALL, nothing opened (SDP in a failure opens nothing).
                check(c.out(response(status, method, kCallId, sdp(kOut, 50700))), Want{});
                CHECK(c.d.key[0] == key(kCallId));
                CHECK(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
                CHECK(pending_offer(c, kCallId) == '-');
                if (std::string(method) == "INVITE")
                    check(c.in(request("ACK", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
            }
}

TEST_CASE("decide: a rejected resume leaves the call held", "[decide]") {
    for (const char *method : {"INVITE", "UPDATE"}) {
        INFO(method);
        Conn c;
        establish(c);
        c.in(request(method, kCallId, sdp(kIn, 40000, "a=inactive\n")));
        c.out(response(200, method, kCallId, sdp(kOut, 50000, "a=inactive\n")));
        REQUIRE(state_of(c, kCallId) == SIPALG_CALL_HELD);
        c.in(request(method, kCallId, sdp(kIn, 40000)));
        REQUIRE(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
        check(c.out(response(491, method, kCallId)), Want{});
        CHECK(state_of(c, kCallId) == SIPALG_CALL_HELD);
        CHECK(pending_offer(c, kCallId) == '-');
    }
}

TEST_CASE("decide: glare: both re-INVITEs refused with 491, the call stays as it was", "[decide]") {
    Conn c;
    establish(c);
    c.in(request("INVITE", kCallId, sdp(kIn, 40800)));
    c.out(request("INVITE", kCallId, sdp(kOut, 50800), "", false));
    check(c.in(response(491, "INVITE", kCallId, "", "", true)), Want{});
    check(c.out(response(491, "INVITE", kCallId)), Want{});
    CHECK(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
    CHECK(pending_offer(c, kCallId) == '-');
    CHECK(c.d.key[0] == key(kCallId));
}

TEST_CASE("decide: refusing another request withdraws no offer", "[decide]") {
    // A re-INVITE's offer from inside waits; the peer's UPDATE without SDP
    // (a target refresh) is refused: the re-INVITE's 200 still answers.
    Conn c;
    establish(c);
    c.in(request("INVITE", kCallId, sdp(kIn, 40900)));
    c.out(request("UPDATE", kCallId, "", "", false));
    check(c.in(response(403, "UPDATE", kCallId, "", "", true)), Want{});
    CHECK(pending_offer(c, kCallId) == 'i');
    check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50900))),
          in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{0, 50900, 50901}}));
}

// ---- CANCEL, 481, challenges ----

TEST_CASE("decide: CANCEL of an unanswered call ends it; the 487 ends it again, with no slot",
          "[decide]") {
    Conn c;
    c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    c.out(response(180, "INVITE", kCallId));
    check(c.in(request("CANCEL", kCallId, "", "", true, false)), ends(0));
    CHECK(c.d.key[0] == 0u);
    check(c.out(response(200, "CANCEL", kCallId)), Want{});
    check(c.out(response(487, "INVITE", kCallId)), gone());
    check(c.in(request("ACK", kCallId, "", "", true, false)), Want{});
    CHECK(c.d.key[0] == 0u);
}

TEST_CASE("decide: a 200 crossing the CANCEL takes the call back", "[decide]") {
    Conn c;
    c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    c.out(response(180, "INVITE", kCallId));
    check(c.in(request("CANCEL", kCallId, "", "", true, false)), ends(0));
    Want w = in_call(0, SIPALG_CALL_ESTABLISHED, kOpen, {{0, 50000, 50001}});
    w.create = 1;
    check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))), w);
    check(c.in(request("ACK", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
    check(c.in(request("BYE", kCallId)), ends(0));
}

TEST_CASE("decide: CANCEL of an answered call cancels only its pending re-INVITE", "[decide]") {
    Conn c;
    establish(c);
    check(c.in(request("INVITE", kCallId, sdp(kIn, 40000, "a=sendonly\n"))),
          in_call(0, SIPALG_CALL_HELD, kOpen, {{0, 40000, 40001}}));
    check(c.in(request("CANCEL", kCallId)), Want{});
    CHECK(c.d.key[0] == key(kCallId));
    check(c.out(response(200, "CANCEL", kCallId)), in_call(0, SIPALG_CALL_HELD));
    check(c.out(response(487, "INVITE", kCallId)), Want{});
    CHECK(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
    CHECK(pending_offer(c, kCallId) == '-');
    check(c.in(request("ACK", kCallId)), in_call(0, SIPALG_CALL_ESTABLISHED));
}

TEST_CASE("decide: 481 ends the call for in-dialog requests of either side", "[decide]") {
    for (const char *method : {"INVITE", "BYE", "UPDATE", "PRACK", "INFO", "REFER"})
        for (bool from_inside : {true, false}) {
            INFO(method << (from_inside ? " from inside" : " from outside"));
            Conn c;
            establish(c);
            bool bye = std::string(method) == "BYE";
            auto req = request(method, kCallId, "", "", from_inside);
            auto rsp = response(481, method, kCallId, "", "", !from_inside);
            from_inside ? c.in(req) : c.out(req);
            sipalg_decision o = from_inside ? c.out(rsp) : c.in(rsp);
            check(o, bye ? gone() : ends(0));
            CHECK(c.d.key[0] == 0u);
        }
    for (const char *method :
         {"CANCEL", "OPTIONS", "SUBSCRIBE", "NOTIFY", "MESSAGE", "PUBLISH", "FOO"}) {
        INFO(method);
        Conn c;
        establish(c);
        c.out(request(method, kCallId, "", "", false));
        check(c.in(response(481, method, kCallId, "", "", true)), Want{});
        CHECK(state_of(c, kCallId) == SIPALG_CALL_ESTABLISHED);
    }
}

TEST_CASE("decide: a challenged initial INVITE goes on; the INVITE with credentials re-offers",
          "[decide]") {
    // decide.h: a 401/407 challenge is part of the asking (RFC 3261 22.2):
    // no end, no event, the call stays calling.
    for (int status : {401, 407}) {
        INFO(status);
        Conn c;
        c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
        check(c.out(response(status, "INVITE", kCallId)), Want{});
        CHECK(state_of(c, kCallId) == SIPALG_CALL_CALLING);
    }
    Conn c;
    c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    check(c.out(response(407, "INVITE", kCallId)), Want{});
    check(c.in(request("ACK", kCallId, "", "", true, false)), in_call(0, SIPALG_CALL_CALLING));
    // It replaces the first INVITE's offer (it may name other ports), and
    // waits for its answer no longer than Timer B.
    Want w = in_call(0, SIPALG_CALL_CALLING, kAnswer, {{0, 40002, 40003}});
    w.create = 1;
    w.media_seconds = SIPALG_OFFER_SECONDS;
    w.extend = 0;
    check(c.in(request("INVITE", kCallId, sdp(kIn, 40002), "Proxy-Authorization: Digest x\n", true,
                       false)),
          w);
}

// ---- which streams get pinholes ----

TEST_CASE("decide: a stream opens when live, over UDP and naming the sender", "[decide][sdp]") {
    std::string body = "v=0\n"
                       "o=- 1 1 IN IP4 192.168.0.10\n"
                       "s=-\n"
                       "c=IN IP4 192.168.0.10\n"
                       "t=0 0\n"
                       "m=audio 40000 RTP/AVP 0\n"    // 0: RTCP on RTP + 1
                       "m=video 40002 RTP/AVP 96\n"   // 1: RTCP from a=rtcp
                       "a=rtcp:40010\n"               //
                       "m=audio 0 RTP/AVP 0\n"        // 2: rejected
                       "m=audio 40004 RTP/AVP 0\n"    // 3: someone else's
                       "c=IN IP4 10.9.9.9\n"          //
                       "m=message 40006 TCP/MSRP *\n" // 4: not UDP
                       "m=audio 40008 RTP/AVP 0\n"    // 5: on hold
                       "c=IN IP4 0.0.0.0\n"           //
                       "m=image 40012 udptl t38\n"    // 6: UDP (T.38)
                       "m=audio 40014 RTP/SAVP 0\n"   // 7: a=rtcp with address
                       "a=rtcp:40021 IN IP4 192.168.0.10\n";
    Conn c;
    Want w = in_call(0, SIPALG_CALL_CALLING, kOpen,
                     {{0, 40000, 40001}, {1, 40002, 40010}, {6, 40012, 40013}, {7, 40014, 40021}});
    w.not_sender = 2;
    check(c.in(request("INVITE", kCallId, body, "", true, false)), w);

    // The answer from outside naming the inside phone, a TCP stream of
    // another address and a hostname: nothing leads to the sender.
    std::string answer = "v=0\n"
                         "o=- 1 1 IN IP4 198.51.100.7\n"
                         "s=-\n"
                         "c=IN IP4 192.168.0.10\n"
                         "t=0 0\n"
                         "m=audio 50000 RTP/AVP 0\n"
                         "m=video 50002 TCP/RTP/AVP 96\n"
                         "c=IN IP4 10.9.9.9\n"
                         "m=audio 50004 RTP/AVP 0\n"
                         "c=IN IP4 media.example.com\n"
                         "m=audio 50006 UDP/TLS/RTP/SAVPF 0\n"
                         "c=IN IP4 198.51.100.7\n";
    w = in_call(0, SIPALG_CALL_ESTABLISHED, kAnswer, {{3, 50006, 50007}});
    w.not_sender = 2;
    check(c.out(response(200, "INVITE", kCallId, answer)), w);
}

TEST_CASE("decide: IPv6 streams", "[decide][sdp]") {
    sipalg_view v = view(true, 1);
    v.sender = addr("2001:db8::10");
    v.receiver = v.receiver_real = addr("2001:db8:1::7");
    sipalg_dialogs d{};
    std::string body = "v=0\no=- 1 1 IN IP6 2001:db8::10\ns=-\nc=IN IP6 2001:db8::10\nt=0 0\n"
                       "m=audio 40000 RTP/AVP 0\n"
                       "m=audio 40002 RTP/AVP 0\nc=IN IP6 ::\n"
                       "m=audio 40004 RTP/AVP 0\nc=IN IP4 192.168.0.10\n";
    Want w = in_call(0, SIPALG_CALL_CALLING, kOpen, {{0, 40000, 40001}});
    w.not_sender = 2;
    check(decide(parse_ok(request("INVITE", kCallId, body, "", true, false)), v, d), w);
}

TEST_CASE("decide: RTCP on RTP + 1 that does not exist", "[decide][sdp]") {
    Conn c;
    Want w = in_call(0, SIPALG_CALL_CALLING, kOpen, {{1, 40000, 40001}});
    w.bad_rtcp = 1;
    check(c.in(request("INVITE", kCallId, sdp(kIn, 65535, "m=audio 40000 RTP/AVP 0\n"), "", true,
                       false)),
          w);
}

// ---- call slots ----

TEST_CASE("decide: a 4th call takes the least recently active slot", "[decide][slots]") {
    Conn c;
    auto at = [&](unsigned now) -> Conn & {
        c.now = now;
        return c;
    };
    auto invite = [](const char *id) { return request("INVITE", id, "", "", true, false); };
    Want w = in_call(0, SIPALG_CALL_CALLING);
    w.create = 1;
    check(at(10).in(invite("A")), w);
    w.slot = 1;
    check(at(20).in(invite("B")), w);
    w.slot = 2;
    check(at(30).in(invite("C")), w);
    check(at(40).out(response(180, "INVITE", "A")), in_call(0, SIPALG_CALL_RINGING));

    // B (20) is the least recently active, not A (slot 0, touched at 40).
    w = in_call(1, SIPALG_CALL_CALLING, kReused);
    w.create = 1;
    check(at(50).in(invite("D")), w);
    CHECK(c.d.key[1] == key("D"));
    w.slot = 2; // C (30)
    check(at(60).in(invite("E")), w);
    CHECK(c.d.key[2] == key("E"));

    // B's answers and C's ringing still come: each takes a slot back.
    w = in_call(0, SIPALG_CALL_ESTABLISHED, kReused | kOpen, {{0, 50000, 50001}});
    w.create = 1;
    check(at(70).out(response(200, "INVITE", "B", sdp(kOut, 50000))), w);
    CHECK(c.d.key[0] == key("B"));
    w = in_call(1, SIPALG_CALL_RINGING, kReused);
    w.create = 1;
    check(at(80).out(response(180, "INVITE", "C")), w);
    CHECK(c.d.key[1] == key("C"));

    // A is known no more: its BYE ends it with no slot to close; its 100
    // and its OPTIONS mean nothing.
    sipalg_dialogs before = c.d;
    check(at(90).out(response(100, "INVITE", "A")), Want{});
    check(at(91).in(request("OPTIONS", "A")), Want{});
    check(at(92).in(request("BYE", "A")), ends(-1));
    CHECK(std::memcmp(&before, &c.d, sizeof before) == 0);

    // A freed slot is taken before any other, and is no reuse.
    check(at(100).in(request("BYE", "B")), ends(0));
    w = in_call(0, SIPALG_CALL_CALLING);
    w.create = 1;
    check(at(110).in(invite("F")), w);
}

TEST_CASE("decide: a 4th call takes an unanswered slot before an answered one", "[decide][slots]") {
    // A talking call keeps its class against a flood of calls nobody
    // answers: the least recently active unanswered slot goes first, an
    // answered one only when all are answered.
    Conn c;
    auto at = [&](unsigned now) -> Conn & {
        c.now = now;
        return c;
    };
    auto invite = [](const char *id) { return request("INVITE", id, "", "", true, false); };
    at(10).in(invite("A"));
    at(11).out(response(200, "INVITE", "A", sdp(kOut, 50000)));
    at(20).in(invite("B"));
    at(30).in(invite("C"));
    Want w = in_call(1, SIPALG_CALL_CALLING, kReused);
    w.create = 1;
    check(at(40).in(invite("D")), w); // B (20), not A (11, answered)
    w.slot = 2;
    check(at(50).in(invite("E")), w); // C (30)
    w.slot = 1;
    check(at(60).in(invite("F")), w); // D (40)
    CHECK(c.d.key[0] == key("A"));

    // All answered: the least recently active of all.
    at(70).out(response(200, "INVITE", "E", sdp(kOut, 50002)));
    at(80).out(response(200, "INVITE", "F", sdp(kOut, 50004)));
    w.slot = 0;
    check(at(90).in(invite("G")), w);
}

TEST_CASE("decide: an offer waits Timer B; an answer or alerting extends the call's pinholes",
          "[decide][ageing]") {
    // decide.h: an offer's pinholes live SIPALG_OFFER_SECONDS; an answer's
    // the media timeout (0: the class's), and an answer or a 100..299
    // response to the INVITE extends every pinhole of the call.
    auto offer = [](int s, int state, Stream st) {
        Want w = in_call(s, state, kOpen, {st});
        w.media_seconds = SIPALG_OFFER_SECONDS;
        w.extend = 0;
        return w;
    };
    auto answer = [](int s, int state, Stream st) {
        Want w = in_call(s, state, kAnswer, {st});
        w.media_seconds = 0;
        w.extend = 1;
        return w;
    };
    auto plain = [](int s, int state, bool extend) {
        Want w = in_call(s, state);
        w.media_seconds = 0;
        w.extend = extend;
        return w;
    };
    {
        Conn c;
        Want w = offer(0, SIPALG_CALL_CALLING, {0, 40000, 40001});
        check(c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false)), w);
        check(c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false)), [&] {
            Want r = offer(0, SIPALG_CALL_CALLING, {0, 40000, 40001});
            r.actions = kAnswer; // a retransmission replaces with itself
            return r;
        }());
        // 100 Trying too: the transaction proceeds, Timer B stops.
        check(c.out(response(100, "INVITE", kCallId)), plain(0, SIPALG_CALL_CALLING, true));
        check(c.out(response(180, "INVITE", kCallId)), plain(0, SIPALG_CALL_RINGING, true));
        w = answer(0, SIPALG_CALL_RINGING, {0, 50000, 50001});
        check(c.out(response(183, "INVITE", kCallId, sdp(kOut, 50000))), w);
        w = answer(0, SIPALG_CALL_ESTABLISHED, {0, 50000, 50001});
        check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))), w);
        check(c.in(request("ACK", kCallId)), plain(0, SIPALG_CALL_ESTABLISHED, false));

        // A re-INVITE's offer in the answered call adds for Timer B (a 491
        // leaves the media as it was); its answer extends.
        check(c.in(request("INVITE", kCallId, sdp(kIn, 40100))),
              offer(0, SIPALG_CALL_ESTABLISHED, {0, 40100, 40101}));
        check(c.in(request("UPDATE", kCallId, sdp(kIn, 40200))), [&] {
            Want r = offer(0, SIPALG_CALL_ESTABLISHED, {0, 40200, 40201});
            r.event = SIPALG_MEANS_NOTHING;
            return r;
        }());
        w = answer(0, SIPALG_CALL_ESTABLISHED, {0, 50100, 50101});
        check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50100))), w);
    }
    {
        // A late offer in the 200: Timer B for it, the ACK's answer extends.
        Conn c;
        check(c.in(request("INVITE", kCallId, "", "", true, false)), [] {
            Want w = in_call(0, SIPALG_CALL_CALLING);
            w.media_seconds = 0;
            w.extend = 0;
            return w;
        }());
        Want w = offer(0, SIPALG_CALL_ESTABLISHED, {0, 50000, 50001});
        w.extend = 1; // the 200 also ends Timer B
        check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000))), w);
        w = answer(0, SIPALG_CALL_ESTABLISHED, {0, 40000, 40001});
        w.event = SIPALG_MEANS_NOTHING;
        check(c.in(request("ACK", kCallId, sdp(kIn, 40000))), w);
    }
    {
        // A second offer before any answer replaces the first; once an 18x
        // answered, a new offer (in a PRACK) adds.
        Conn c;
        c.in(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
        Want w = offer(0, SIPALG_CALL_CALLING, {0, 40100, 40101});
        w.actions = kAnswer;
        w.event = SIPALG_MEANS_NOTHING;
        check(c.in(request("UPDATE", kCallId, sdp(kIn, 40100))), w);
        c.out(response(183, "INVITE", kCallId, sdp(kOut, 50000)));
        w = offer(0, SIPALG_CALL_RINGING, {0, 40200, 40201});
        w.event = SIPALG_MEANS_NOTHING;
        check(c.in(request("PRACK", kCallId, sdp(kIn, 40200))), w);
    }
}

TEST_CASE("decide: the clock decides the least recent slot, also across its wrap",
          "[decide][slots]") {
    struct Case {
        unsigned a, b, c, touch_a, touch_b, d;
        int slot;
    };
    const Case cases[] = {
        {10, 20, 30, 40, 50, 60, 2},                  // oldest in the last slot
        {10, 20, 30, 0, 0, 40, 0},                    // in the first
        {10, 20, 30, 40, 0, 50, 1},                   // in the middle
        {0xfffffff0u, 0xfffffff8u, 4, 0, 0, 0x10, 0}, // before the wrap is older
        {0xfffffff0u, 0xfffffff8u, 4, 8, 0, 0x10, 1}, // A touched after the wrap
        {0x7ffffff0u, 0x80000010u, 0x80000020u, 0, 0, 0x80000030u, 0},
    };
    for (const Case &k : cases) {
        INFO("A " << k.a << " B " << k.b << " C " << k.c << " A again " << k.touch_a << " B again "
                  << k.touch_b << " D " << k.d);
        Conn c;
        c.now = k.a;
        c.in(request("INVITE", "A", "", "", true, false));
        c.now = k.b;
        c.in(request("INVITE", "B", "", "", true, false));
        c.now = k.c;
        c.in(request("INVITE", "C", "", "", true, false));
        if (k.touch_a) {
            c.now = k.touch_a;
            c.out(response(180, "INVITE", "A"));
        }
        if (k.touch_b) {
            c.now = k.touch_b;
            c.out(response(180, "INVITE", "B"));
        }
        c.now = k.d;
        Want w = in_call(k.slot, SIPALG_CALL_CALLING, kReused);
        w.create = 1;
        check(c.in(request("INVITE", "D", "", "", true, false)), w);
        CHECK(c.d.key[k.slot] == key("D"));
    }
}

TEST_CASE("decide: calls begun within one tick of the clock take the slot used longest ago",
          "[decide][slots]") {
    // The kernel's clock is jiffies: a burst of INVITEs on one connection
    // comes within one tick. Beside an answered call, they take the two
    // other slots by turns, as they would a tick apart; before, every one
    // after the second took the first of the two (a tie), ending the call
    // begun just before it, and its class alone filled up.
    Conn c;
    c.now = 10;
    c.in(request("INVITE", "A", "", "", true, false));
    c.now = 11;
    c.out(response(200, "INVITE", "A", sdp(kOut, 50000)));
    const char *ids[] = {"X1", "X2", "X3", "X4", "X5", "X6"};
    for (int i = 0; i < 6; i++) {
        INFO("INVITE " << ids[i]);
        c.now = 20; // (Conn counts it up with each message)
        Want w = in_call(1 + i % 2, SIPALG_CALL_CALLING, i >= 2 ? kReused : 0);
        w.create = 1;
        check(c.in(request("INVITE", ids[i], "", "", true, false)), w);
    }
    CHECK(c.d.key[0] == key("A"));
    // A 180 to the older of the two in the same tick makes the other older.
    c.now = 20;
    c.out(response(180, "INVITE", "X5"));
    c.now = 20;
    Want w = in_call(2, SIPALG_CALL_CALLING, kReused);
    w.create = 1;
    check(c.in(request("INVITE", "X7", "", "", true, false)), w);
}

TEST_CASE("decide: a failure to an INVITE of an unknown call ends it with no slot",
          "[decide][slots]") {
    Conn c;
    check(c.out(response(486, "INVITE", kCallId)), gone());
    check(c.out(response(481, "INFO", kCallId)), gone());
    check(c.out(response(200, "OPTIONS", kCallId)), Want{});
    check(c.in(request("CANCEL", kCallId)), ends(-1));
    CHECK(c.d.key[0] == 0u);
}

// ==== Registrations ====

namespace {

// A REGISTER without a Contact (a query of the bindings).
const char *const kQuery = "X-Query: no Contact: here\n";

struct RegCase {
    const char *name;
    std::string headers;
    unsigned short pub_port; // the phone's public port
    Want want;
};

Want reg(int session, unsigned seconds, std::vector<Reg> regs = {}, int create = -1,
         int event = SIPALG_MEANS_NOTHING) {
    Want w;
    w.session = session;
    w.seconds = seconds;
    w.regs = std::move(regs);
    w.create = create;
    w.event = event;
    return w;
}

Want asks(int session, unsigned seconds, std::vector<Reg> regs = {}) {
    return reg(session, seconds, std::move(regs), seconds != 0, SIPALG_MEANS_REGISTER);
}

} // namespace

TEST_CASE("decide: only registrations and keep-alives leave the dialogs unread",
          "[decide][register]") {
    // What the shim skips the lock and the standby's mirror on, and what
    // sipalg_decide() does: a registration, asked or answered, never
    // reads or writes the call slots (the REGISTER table test checks the
    // slots byte for byte); every other message may.
    CHECK_FALSE(sipalg_decide_uses_dialogs(nullptr));
    CHECK_FALSE(sipalg_decide_uses_dialogs(parse_ok(request("REGISTER", "r@h")).msg.get()));
    CHECK_FALSE(sipalg_decide_uses_dialogs(parse_ok(response(200, "REGISTER", "r@h")).msg.get()));
    CHECK_FALSE(sipalg_decide_uses_dialogs(parse_ok("\r\n\r\n").msg.get()));
    for (const char *m : {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "PRACK", "MESSAGE",
                          "NOTIFY", "SUBSCRIBE", "INFO", "REFER", "PUBLISH"}) {
        INFO(m);
        CHECK(sipalg_decide_uses_dialogs(parse_ok(request(m, "c@h")).msg.get()));
        CHECK(sipalg_decide_uses_dialogs(parse_ok(response(200, m, "c@h")).msg.get()));
    }
}

TEST_CASE("decide: a registration's session_key hashes its AOR's bytes only",
          "[decide][register]") {
    // The REGISTER of request() with To naming aor, and extra headers.
    auto key_of = [](const std::string &aor, const std::string &headers) {
        std::string text = request("REGISTER", "reg-1@192.168.0.10", "", headers);
        const std::string to = "To: <sip:alice@example.com>";
        const size_t at = text.find(to);
        REQUIRE(at != std::string::npos);
        text.replace(at, to.size(), "To: <" + aor + ">");
        Conn c;
        sipalg_decision o = c.in(text);
        REQUIRE(o.session == SIPALG_SESS_REG_ASK);
        REQUIRE(span(text, o.session_id) == aor);
        return o.session_key;
    };
    // The same AOR in another message (other bytes before it): the same key.
    CHECK(key_of(kAor, "") == key_of(kAor, "Expires: 1200\nSubject: x\n"));
    // AORs of every length to 40, each against itself with one byte
    // changed at every position (the four-byte steps and the tail).
    std::string base = "sip:";
    for (unsigned n = 0; n <= 36; n++) {
        const std::string aor = base + "a@h";
        const unsigned want = key_of(aor, "");
        for (size_t k = 4; k < aor.size(); k++) {
            if (aor[k] == '@')
                continue; // keep the AOR's shape
            std::string other = aor;
            other[k] = aor[k] == 'x' ? 'y' : 'x';
            INFO(aor << " / " << other);
            CHECK(key_of(other, "") != want);
        }
        base += (char)('b' + n % 20);
    }
}

TEST_CASE("decide: a call's session_key is the FNV-1a of its Call-ID, at every length",
          "[decide]") {
    // Call-IDs of 1 to 40 bytes: the hash's four-byte steps and every
    // tail, against the byte-at-a-time reference; the key comes from it.
    std::string id;
    for (unsigned n = 1; n <= 40; n++) {
        id += (char)('0' + n % 10);
        Conn c;
        sipalg_decision o = c.in(request("INVITE", id, sdp(kIn, 4000), "", true, false));
        INFO(id);
        REQUIRE(o.session == SIPALG_SESS_CALL);
        CHECK(o.session_key == fnv1a(id));
        CHECK(c.d.key[o.slot] == key(id));
    }
}

TEST_CASE("decide: REGISTER requests ask, or remove at once", "[decide][register]") {
    const int kAsk = SIPALG_SESS_REG_ASK, kEnd = SIPALG_SESS_REG_END;
    const int kRemove = SIPALG_REG_REMOVE, kAll = SIPALG_REG_REMOVE_ALL;
    const RegCase cases[] = {
        {"Contact on the sender, no expiry: 3600", "", 5060, asks(kAsk, 3600)},
        {"Expires header", "Expires: 1200\n", 5060, asks(kAsk, 1200)},
        {"expires= before Expires",
         "Contact: <sip:alice@192.168.0.10:5060>;expires=600\nExpires: 1200\n", 5060,
         asks(kAsk, 600)},
        {"Expires 0 on the sender's port: its public port", "Expires: 0\n", 40001,
         asks(kEnd, 0, {{kRemove, 5060, 40001, 0}})},
        {"expires=0 on another port keeps it", "Contact: <sip:alice@192.168.0.10:5070>;expires=0\n",
         40001, asks(kEnd, 0, {{kRemove, 5070, 5070, 0}})},
        {"two bindings removed",
         "Contact: <sip:alice@192.168.0.10:5060>, <sip:alice@192.168.0.10:5070>\nExpires: 0\n",
         40001, asks(kEnd, 0, {{kRemove, 5060, 40001, 0}, {kRemove, 5070, 5070, 0}})},
        {"one binding kept, one removed",
         "Contact: <sip:alice@192.168.0.10:5060>;expires=300, "
         "<sip:alice@192.168.0.10:5070>;expires=0\n",
         40001, asks(kAsk, 300, {{kRemove, 5070, 5070, 0}})},
        {"Contact: *", "Contact: *\nExpires: 0\n", 40001, asks(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"Expires 0 of another address removes nothing",
         "Contact: <sip:alice@192.168.0.99:5060>;expires=0\n", 5060, asks(kEnd, 0)},
        {"Expires 0 of a hostname removes nothing",
         "Contact: <sip:alice@phone.example.com>\nExpires: 0\n", 5060, asks(kEnd, 0)},
        {"a query", kQuery, 5060, reg(SIPALG_SESS_NONE, 0, {}, 0, SIPALG_MEANS_REGISTER)},
    };
    for (const RegCase &k : cases) {
        INFO(k.name);
        Conn c;
        c.pub_port = k.pub_port;
        std::string text = request("REGISTER", "reg-1@192.168.0.10", "", k.headers);
        sipalg_decision o = c.in(text);
        check(o, k.want);
        if (o.session != SIPALG_SESS_NONE)
            CHECK(span(text, o.session_id) == kAor);
        sipalg_dialogs zero{};
        CHECK(std::memcmp(&zero, &c.d, sizeof zero) == 0);
    }
}

TEST_CASE("decide: the registrar's answer opens, refreshes or removes", "[decide][register]") {
    const int kGrant = SIPALG_SESS_REG_GRANT, kEnd = SIPALG_SESS_REG_END;
    const int kOpenReg = SIPALG_REG_OPEN, kRemove = SIPALG_REG_REMOVE;
    const int kAll = SIPALG_REG_REMOVE_ALL, kFail = SIPALG_SESS_REG_FAIL;
    const std::string ours = "Contact: <sip:alice@203.0.113.1:40001>";
    struct Case {
        const char *name;
        int status;
        std::string headers;
        Want want;
    };
    const Case cases[] = {
        {"granted with expires=", 200, ours + ";expires=1800\n",
         reg(kGrant, 1800, {{kOpenReg, 5060, 40001, 1800}}, 0)},
        {"granted by Expires", 200, ours + "\nExpires: 900\n",
         reg(kGrant, 900, {{kOpenReg, 5060, 40001, 900}})},
        {"granted the default", 200, ours + "\n",
         reg(kGrant, 3600, {{kOpenReg, 5060, 40001, 3600}})},
        {"another port on the public address is another phone's (UDP)", 202,
         "Contact: <sip:alice@203.0.113.1:5070>;expires=60\n", reg(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"granted 0: removed", 200, ours + ";expires=0\n",
         reg(kEnd, 0, {{kRemove, 5060, 40001, 0}})},
        {"ours, another's, ours removed", 200,
         ours + ";expires=1800, <sip:alice@198.51.100.99:5060>;expires=3600, "
                "<sip:alice@203.0.113.1:5070>;expires=0\n",
         reg(kGrant, 1800, {{kOpenReg, 5060, 40001, 1800}})},
        {"other phones' bindings on the public address open nothing (UDP)", 200,
         "Contact: <sip:a@203.0.113.1:6001>;expires=100, <sip:a@203.0.113.1:6002>;expires=200, "
         "<sip:a@203.0.113.1:6003>;expires=300\n",
         reg(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"only another's binding", 200, "Contact: <sip:alice@198.51.100.99:5060>;expires=1800\n",
         reg(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"the private address is not where the registrar sees us", 200,
         "Contact: <sip:alice@192.168.0.10:5060>;expires=1800\n", reg(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"no binding at all", 200, "", reg(kEnd, 0, {{kAll, 0, 0, 0}})},
        {"100 Trying", 100, ours + "\n", Want{}},
        {"180", 180, ours + "\n", Want{}},
        {"401 challenge", 401, ours + "\n", Want{}},
        {"407 challenge", 407, ours + "\n", Want{}},
        {"302", 302, ours + "\n", reg(kFail, 0)},
        {"403", 403, ours + "\n", reg(kFail, 0)},
        {"404", 404, ours + "\n", reg(kFail, 0)},
        {"423", 423, ours + "\nMin-Expires: 3600\n", reg(kFail, 0)},
        {"500", 500, ours + "\n", reg(kFail, 0)},
        {"603", 603, ours + "\n", reg(kFail, 0)},
    };
    for (const Case &k : cases) {
        INFO(k.name << " (" << k.status << ")");
        Conn c;
        c.pub_port = 40001; // the REGISTER went out from 203.0.113.1:40001
        std::string text = response(k.status, "REGISTER", "reg-1@192.168.0.10", "", k.headers);
        sipalg_decision o = c.out(text);
        check(o, k.want);
        if (o.session != SIPALG_SESS_NONE)
            CHECK(span(text, o.session_id) == kAor);
        sipalg_dialogs zero{};
        CHECK(std::memcmp(&zero, &c.d, sizeof zero) == 0);
    }
}

TEST_CASE("decide: a refused REGISTER opens nothing after asking", "[decide][register]") {
    Conn c;
    c.pub_port = 40001;
    check(c.in(request("REGISTER", "reg-2", "", "Expires: 600\n")), asks(SIPALG_SESS_REG_ASK, 600));
    check(c.out(response(401, "REGISTER", "reg-2")), Want{});
    check(c.in(request("REGISTER", "reg-2", "", "Expires: 600\nAuthorization: Digest x\n")),
          asks(SIPALG_SESS_REG_ASK, 600));
    check(c.out(response(403, "REGISTER", "reg-2", "",
                         "Contact: <sip:alice@203.0.113.1:40001>;expires=600\n")),
          reg(SIPALG_SESS_REG_FAIL, 0));
}

TEST_CASE("decide: sipalg_contact_expires: expires=, Expires, 3600", "[decide][register]") {
    struct Case {
        std::string headers;
        unsigned first, second;
    };
    const Case cases[] = {
        {"Contact: <sip:a@192.168.0.10>;expires=60, <sip:a@192.168.0.10:5070>\n", 60, 3600},
        {"Contact: <sip:a@192.168.0.10>;expires=60, <sip:a@192.168.0.10:5070>\nExpires: 90\n", 60,
         90},
        {"Contact: <sip:a@192.168.0.10>, <sip:a@192.168.0.10:5070>;expires=0\nExpires: 0\n", 0, 0},
        {"Contact: <sip:a@192.168.0.10>;expires=4294967296, <sip:a@192.168.0.10:5070>\n",
         4294967295u, 3600},
    };
    for (const Case &k : cases) {
        INFO(k.headers);
        Msg m = parse_ok(request("REGISTER", "reg-3", "", k.headers));
        REQUIRE(m.msg->n_contacts == 2);
        CHECK(sipalg_contact_expires(m.msg.get(), &m.msg->contacts[0]) == k.first);
        CHECK(sipalg_contact_expires(m.msg.get(), &m.msg->contacts[1]) == k.second);
    }
}

// ==== Arguments, keep-alives, keys ====

TEST_CASE("decide: bad arguments", "[decide]") {
    Msg m = parse_ok(request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    sipalg_view v = view(true, 1);
    sipalg_dialogs d{}, zero{};
    sipalg_decision out;
    sipalg_decision empty{};
    empty.slot = -1;
    CHECK(sipalg_decide(u(m.text), m.msg.get(), &v, &d, nullptr) == SIPALG_R_BAD_ARG);
    struct Case {
        const char *name;
        const unsigned char *buf;
        const sipalg_msg *msg;
        const sipalg_view *view;
        sipalg_dialogs *dialogs;
    };
    const Case cases[] = {
        {"buf", nullptr, m.msg.get(), &v, &d},
        {"msg", u(m.text), nullptr, &v, &d},
        {"view", u(m.text), m.msg.get(), nullptr, &d},
        {"dialogs", u(m.text), m.msg.get(), &v, nullptr},
    };
    for (const Case &k : cases) {
        INFO("NULL " << k.name);
        std::memset(&out, 0xa5, sizeof out);
        CHECK(sipalg_decide(k.buf, k.msg, k.view, k.dialogs, &out) == SIPALG_R_BAD_ARG);
        CHECK((int)out.slot == -1);
        CHECK(std::memcmp(&out, &empty, sizeof out) == 0);
        CHECK(std::memcmp(&d, &zero, sizeof d) == 0);
    }
    // And with all of them, the same INVITE begins a call.
    CHECK(sipalg_decide(u(m.text), m.msg.get(), &v, &d, &out) == SIPALG_OK);
    CHECK((int)out.slot == 0);
}

TEST_CASE("decide: a keep-alive means nothing", "[decide]") {
    for (const char *ka : {"\r\n\r\n", "\r\n"}) {
        Msg m;
        m.text = ka;
        REQUIRE(sipalg_parse(u(m.text), (unsigned)m.text.size(), SIPALG_UDP, m.msg.get()) ==
                SIPALG_OK);
        REQUIRE(m.msg->kind == SIPALG_KIND_KEEPALIVE);
        for (bool inside : {true, false}) {
            Conn c;
            establish(c);
            sipalg_dialogs before = c.d;
            sipalg_decision o = decide(m, view(inside, 5000), c.d);
            check(o, Want{});
            CHECK(o.session_id.len == 0u);
            CHECK(std::memcmp(&before, &c.d, sizeof before) == 0);
        }
    }
}

TEST_CASE("decide: sipalg_call_key is never 0 and depends on the Call-ID's bytes only",
          "[decide]") {
    // FNV-1a (32 bit) of these 4 bytes is 0: the one value a key never is.
    const unsigned char zero_hash[] = {0xcc, 0x24, 0x31, 0xc4};
    uint32_t h = 2166136261u;
    for (unsigned char b : zero_hash)
        h = (h ^ b) * 16777619u;
    REQUIRE(h == 0u);
    CHECK(sipalg_call_key(zero_hash, 4) != 0u);
    CHECK(sipalg_call_key(u(""), 0) != 0u);
    // FNV-1a of these is 0xd20000d2: folded to 24 bits, 0.
    const unsigned char zero_folded[] = {0x8e, 0xb7, 0x50, 0x00};
    CHECK(sipalg_call_key(zero_folded, 4) == 1u);
    for (int i = 0; i < 1000; i++)
        CHECK(key("call-" + std::to_string(i) + "@host") < (1u << SIPALG_CALL_KEY_BITS));

    // The key is FNV-1a folded to 24 bits (conntrack labels carry it to a
    // standby, so it may not change): at every length, including those
    // that leave 1-3 bytes after the hash's four-byte steps.
    std::string id;
    for (unsigned n = 0; n <= 70; n++) {
        uint32_t ref = fnv1a(id);
        ref = (ref >> SIPALG_CALL_KEY_BITS ^ ref) & ((1u << SIPALG_CALL_KEY_BITS) - 1);
        CHECK(sipalg_call_key(u(id), n) == (ref ? ref : 1u));
        id += (char)('!' + (n * 37) % 90);
    }

    CHECK(key("a@b") == key("a@b"));
    CHECK(key("a@b") != key("a@c"));
    CHECK(key("a@b") != key("b@a"));
    std::string padded = std::string("xx") + kCallId + "yy";
    CHECK(sipalg_call_key(u(padded) + 2, (unsigned)std::strlen(kCallId)) == key(kCallId));

    // The slot holds the key of the Call-ID, whatever else the message says.
    Conn c;
    c.in(request("INVITE", "k-1@host", "", "", true, false));
    CHECK(c.d.key[0] == key("k-1@host"));
    check(c.out(response(180, "INVITE", "k-1@host", "", "Subject: another header\n")),
          in_call(0, SIPALG_CALL_RINGING));
}

TEST_CASE("decide: a stream with a=rtcp on its RTP port (rtcp-mux) gets one pinhole",
          "[decide][sdp]") {
    Conn c;
    sipalg_decision o = c.in(
        request("INVITE", kCallId, sdp(kIn, 40000, "a=rtcp:40000\na=rtcp-mux\n"), "", true, false));
    CHECK((int)o.n_streams == 1);
    CHECK((int)o.streams[0].rtp_port == 40000);
    CHECK((int)o.streams[0].rtcp_port == 0);
    CHECK((int)o.n_bad_rtcp == 0);
    o = c.in(request("INVITE", kCallId, sdp(kIn, 40000, "a=rtcp:0\n"), "", true, false));
    CHECK((int)o.n_streams == 0);
    CHECK((int)o.n_bad_rtcp == 1);
}

TEST_CASE("decide: a first 2xx whose SDP holds every stream shows the call held", "[decide]") {
    Conn c;
    c.in(request("INVITE", kCallId, sdp(kIn, 40000, "a=sendonly\n"), "", true, false));
    check(c.out(response(200, "INVITE", kCallId, sdp(kOut, 50000, "a=recvonly\n"))),
          in_call(0, SIPALG_CALL_HELD, kAnswer, {{0, 50000, 50001}}));
}

// ---- who may send into a pinhole (sip-direct-media) ----

namespace {

sipalg_decision decide_direct(sipalg_dialogs &d, bool from_inside, const std::string &text,
                              bool direct = true) {
    static unsigned now = 5000;
    sipalg_view v = view(from_inside, now++);
    v.direct_media = direct;
    return decide(parse_ok(text), v, d);
}

std::vector<std::string> named(const sipalg_decision &o) {
    std::vector<std::string> out;
    for (unsigned i = 0; i < o.n_named; i++) {
        unsigned char text[64];
        unsigned n = sipalg_addr_format(&o.named[i], text, sizeof text);
        out.emplace_back((const char *)text, n);
    }
    return out;
}

// An SDP body with one audio stream per address.
std::string sdp_at(const std::vector<std::string> &addrs) {
    std::string body = "v=0\no=- 1 1 IN IP4 " + addrs[0] + "\ns=-\nt=0 0\n";
    int port = 50000;
    for (const std::string &a : addrs) {
        body += "m=audio " + std::to_string(port) + " RTP/AVP 0\nc=IN IP4 " + a + "\n";
        port += 2;
    }
    return body;
}

} // namespace

TEST_CASE("decide: direct media off admits the signalling peer only, and narrows nobody",
          "[decide][direct]") {
    sipalg_dialogs d{};
    sipalg_decision o =
        decide_direct(d, true, request("INVITE", kCallId, sdp(kIn, 40000), "", true, false), false);
    CHECK(o.actions == SIPALG_DO_OPEN_MEDIA);
    CHECK((int)o.admit == SIPALG_ADMIT_PEER);
    o = decide_direct(d, false, response(200, "INVITE", kCallId, sdp(kOut, 50000)), false);
    CHECK(o.actions == (SIPALG_DO_OPEN_MEDIA | SIPALG_DO_REPLACE_MEDIA | SIPALG_DO_EXTEND_MEDIA));
    CHECK((int)o.admit == SIPALG_ADMIT_PEER);
}

TEST_CASE("decide: direct media: each side's SDP names who may send to the other side",
          "[decide][direct]") {
    sipalg_dialogs d{};
    // The offer from inside: its pinholes admit the peer and whatever the
    // outside will name; it names the phone for the outside's pinholes.
    sipalg_decision o =
        decide_direct(d, true, request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    CHECK(o.actions == (SIPALG_DO_OPEN_MEDIA | SIPALG_DO_SET_OTHERS));
    CHECK((int)o.admit == SIPALG_ADMIT_PEER_NAMED);
    CHECK(named(o) == std::vector<std::string>{kIn});
    // The answer names a media server that is not the signalling peer: the
    // phone's pinholes now admit it (and the peer); no pinhole to it opens.
    o = decide_direct(d, false, response(200, "INVITE", kCallId, sdp_at({"192.0.2.50"})));
    CHECK(o.actions == (SIPALG_DO_OPEN_MEDIA | SIPALG_DO_REPLACE_MEDIA | SIPALG_DO_SET_OTHERS |
                        SIPALG_DO_EXTEND_MEDIA));
    CHECK((int)o.n_streams == 0);
    CHECK((int)o.n_not_sender == 1);
    CHECK(named(o) == std::vector<std::string>{"192.0.2.50"});
    // A re-INVITE moving the media to two hosts names both, each once.
    o = decide_direct(
        d, false,
        request("INVITE", kCallId, sdp_at({"192.0.2.50", "192.0.2.51", "192.0.2.50"}), "", false));
    CHECK((o.actions & SIPALG_DO_SET_OTHERS) != 0);
    CHECK(named(o) == std::vector<std::string>{"192.0.2.50", "192.0.2.51"});
}

TEST_CASE("decide: direct media: a hairpin or too many addresses leave the other side open",
          "[decide][direct]") {
    sipalg_dialogs d{};
    decide_direct(d, true, request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    // The answer names the router's own public address (another inside
    // phone through a hairpin): who will send is not known here.
    sipalg_decision o = decide_direct(d, false, response(200, "INVITE", kCallId, sdp_at({kPub})));
    CHECK((o.actions & SIPALG_DO_SET_OTHERS) != 0);
    CHECK((int)o.n_named == 0);
    o = decide_direct(
        d, false,
        request("INVITE", kCallId, sdp_at({"192.0.2.50", "192.0.2.51", "192.0.2.52"}), "", false));
    CHECK((o.actions & SIPALG_DO_SET_OTHERS) != 0);
    CHECK((int)o.n_named == 0);
}

TEST_CASE("decide: direct media: SDP naming nobody (hold, rejected) changes no admission",
          "[decide][direct]") {
    sipalg_dialogs d{};
    decide_direct(d, true, request("INVITE", kCallId, sdp(kIn, 40000), "", true, false));
    decide_direct(d, false, response(200, "INVITE", kCallId, sdp(kOut, 50000)));
    sipalg_decision o =
        decide_direct(d, false, request("INVITE", kCallId, sdp_at({"0.0.0.0"}), "", false));
    CHECK((o.actions & SIPALG_DO_OPEN_MEDIA) != 0);
    CHECK((o.actions & SIPALG_DO_SET_OTHERS) == 0);
    o = decide_direct(d, false, request("UPDATE", kCallId, sdp(kOut, 0), "", false));
    CHECK((o.actions & SIPALG_DO_SET_OTHERS) == 0);
}

TEST_CASE("decide: over TCP a binding on the public address is the phone's, whatever its port",
          "[decide][register]") {
    // The phone sends from an ephemeral port (here 40001, kept by NAT) and
    // names its listening port 5060; the registrar lists public:5060.
    std::string text =
        response(200, "REGISTER", "reg-1@192.168.0.10", "",
                 "Contact: <sip:alice@203.0.113.1:5060;transport=tcp>;expires=600\n");
    Msg m;
    m.text = text;
    REQUIRE(sipalg_parse(u(m.text), (unsigned)m.text.size(), SIPALG_TCP, m.msg.get()) == SIPALG_OK);
    sipalg_dialogs d{};
    sipalg_decision o = decide(m, view(false, 1, 40001), d);
    REQUIRE((int)o.n_regs == 1);
    CHECK((int)o.regs[0].op == SIPALG_REG_OPEN);
    CHECK((int)o.regs[0].public_port == 5060);
    CHECK((int)o.regs[0].port == 5060);
    CHECK(o.regs[0].seconds == 600u);
    CHECK((int)o.session == SIPALG_SESS_REG_GRANT);
}

// ==== A standby router: the dialog state as conntrackd carries it ====

namespace {

void same_decision(const sipalg_decision &a, const sipalg_decision &b) {
    CHECK(a.actions == b.actions);
    CHECK(a.slot == b.slot);
    CHECK(a.event == b.event);
    CHECK(a.session == b.session);
    CHECK(a.call_state == b.call_state);
    CHECK(a.n_streams == b.n_streams);
}

std::array<unsigned, SIPALG_CALL_SLOTS> packed(const sipalg_dialogs &d) {
    std::array<unsigned, SIPALG_CALL_SLOTS> w{};
    sipalg_dialogs_pack(&d, w.data());
    return w;
}

} // namespace

TEST_CASE("decide: a standby router given the packed dialogs decides as the active one",
          "[decide][sync]") {
    Conn active;
    establish(active, "talking@a");
    REQUIRE(
        active.in(request("INVITE", "ringing@a", sdp(kIn, 40010), "", true, false)).call_state ==
        SIPALG_CALL_CALLING);
    REQUIRE(active.out(response(180, "INVITE", "ringing@a")).call_state == SIPALG_CALL_RINGING);
    // An offer waits for its answer: the core's own bits travel too.
    active.in(request("INVITE", "talking@a", sdp(kIn, 40020), "", true, true));

    Conn standby;
    standby.d.shim = 0x5a;
    auto words = packed(active.d);
    CHECK(sipalg_dialogs_unpack(words.data(), 777, &standby.d) == 1);
    CHECK(standby.d.shim == 0x5a); // the shim's byte is its own
    for (int i = 0; i < SIPALG_CALL_SLOTS; i++) {
        CHECK(standby.d.key[i] == active.d.key[i]);
        CHECK(standby.d.state[i] == active.d.state[i]);
        CHECK(standby.d.used[i] == (active.d.key[i] ? 777u : 0u));
    }
    // Taking the same state again changes nothing.
    CHECK(sipalg_dialogs_unpack(words.data(), 999, &standby.d) == 0);
    CHECK(standby.d.used[0] == 777u);

    // What follows the failover means the same on both.
    standby.now = active.now;
    for (const std::string &m : {response(200, "INVITE", "talking@a", sdp(kOut, 50020)),
                                 response(200, "INVITE", "ringing@a", sdp(kOut, 50010))})
        same_decision(active.out(m), standby.out(m));
    sipalg_decision a = active.in(request("BYE", "talking@a"));
    sipalg_decision b = standby.in(request("BYE", "talking@a"));
    same_decision(a, b);
    check(b, ends(0));
    CHECK(packed(standby.d) == packed(active.d));
}

TEST_CASE("decide: packed dialogs from anywhere are taken only as decide leaves them",
          "[decide][sync]") {
    const unsigned k = 0x123456;
    auto word = [](unsigned key, unsigned state) { return key | state << SIPALG_CALL_KEY_BITS; };
    sipalg_dialogs d{};
    // Call states sipalg_decide() never leaves, a state without a call,
    // a key twice: those slots are free.
    for (unsigned bad : {1u, 2u, 7u, 8u, 15u, 0x1fu, 0xffu}) {
        unsigned w[SIPALG_CALL_SLOTS] = {word(k, bad), word(0, SIPALG_CALL_ESTABLISHED),
                                         word(k + 1, SIPALG_CALL_HELD | 0x40)};
        d = sipalg_dialogs{};
        sipalg_dialogs_unpack(w, 5, &d);
        CHECK(d.key[0] == 0u);
        CHECK(d.state[0] == 0u);
        CHECK(d.key[1] == 0u);
        CHECK(d.state[1] == 0u);
        CHECK(d.key[2] == k + 1);
        CHECK(d.state[2] == (SIPALG_CALL_HELD | 0x40));
    }
    unsigned dup[SIPALG_CALL_SLOTS] = {word(k, SIPALG_CALL_CALLING), word(k, SIPALG_CALL_RINGING),
                                       0};
    d = sipalg_dialogs{};
    sipalg_dialogs_unpack(dup, 5, &d);
    CHECK(d.key[0] == k);
    CHECK(d.key[1] == 0u);
    // Every state a slot can hold survives the trip, offer bits and all.
    for (unsigned st = 0; st < 256; st++) {
        if ((st & 0x0f) != 0 && ((st & 0x0f) < 3 || (st & 0x0f) > 6))
            continue;
        d = sipalg_dialogs{};
        d.key[1] = k;
        d.state[1] = (unsigned char)st;
        sipalg_dialogs e{};
        auto w = packed(d);
        sipalg_dialogs_unpack(w.data(), 1, &e);
        CHECK(e.key[1] == k);
        CHECK(e.state[1] == st);
    }
    // A slot that goes away is free, its time too.
    d = sipalg_dialogs{};
    d.key[2] = k;
    d.used[2] = 9;
    unsigned none[SIPALG_CALL_SLOTS] = {};
    CHECK(sipalg_dialogs_unpack(none, 5, &d) == 1);
    CHECK(d.key[2] == 0u);
    CHECK(d.used[2] == 0u);
}
