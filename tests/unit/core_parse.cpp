// Parser: what sipalg_parse reports for well-formed and odd input.
#include "core_messages.hpp"

using namespace coretest;

TEST_CASE("Fanvil REGISTER: start line, CSeq, Call-ID, Expires, Contact", "[parse]") {
    auto p = parse(kFanvilRegister);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    CHECK(m.kind == SIPALG_KIND_REQUEST);
    CHECK(m.method == SIPALG_M_REGISTER);
    CHECK(span(kFanvilRegister, m.ruri) == "sip:avantelecom.avantele.com");
    CHECK(m.cseq == 1);
    CHECK(m.cseq_method == SIPALG_M_REGISTER);
    CHECK(span(kFanvilRegister, m.call_id) == "20063242339186-62012442819438@192.168.0.31");
    CHECK(span(kFanvilRegister, m.to_uri) == "sip:011@avantelecom.avantele.com:5060");
    CHECK((m.flags & SIPALG_MSGF_EXPIRES));
    CHECK(m.expires == 3600);
    CHECK((m.flags & SIPALG_MSGF_CL));
    CHECK(m.cl_value == 0);
    CHECK(m.body_len == 0);
    CHECK(m.n_headers == 12);
    REQUIRE(m.n_contacts == 1);
    CHECK(span(kFanvilRegister, m.contacts[0].uri) == "sip:011@192.168.0.31:5010");
    CHECK(!(m.contacts[0].flags & SIPALG_CONTACT_EXPIRES));
    // Via sent-by, Contact: the two IP literals (Call-ID is not a ref).
    REQUIRE(m.n_refs == 2);
    CHECK(m.refs[0].kind == SIPALG_REF_VIA_SENTBY);
    CHECK(m.refs[0].port == 5010);
    CHECK(m.refs[1].kind == SIPALG_REF_CONTACT);
    CHECK(fmt(m.refs[1].addr) == "192.168.0.31");
    CHECK(m.contacts[0].ref == 1);
}

TEST_CASE("Fanvil INVITE: SDP session and media", "[parse][sdp]") {
    std::string in = fanvil_invite(kFanvilInviteSdp);
    auto p = parse(in);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    CHECK(m.method == SIPALG_M_INVITE);
    CHECK((m.flags & SIPALG_MSGF_SDP));
    CHECK(m.body_len == kFanvilInviteSdp.size());
    REQUIRE(m.n_media == 1);
    const sipalg_media &md = m.media[0];
    CHECK(md.type == SIPALG_MEDIA_AUDIO);
    CHECK(md.proto == SIPALG_PROTO_RTP_AVP);
    CHECK(md.port == 10006);
    CHECK(md.port_count == 1);
    CHECK(md.dir == SIPALG_DIR_SENDRECV);
    CHECK(fmt(md.addr) == "192.168.0.31");
    CHECK(md.c_ref == -1);
    REQUIRE(m.sdp_o_ref >= 0);
    REQUIRE(m.sdp_c_ref >= 0);
    CHECK(m.refs[m.sdp_o_ref].kind == SIPALG_REF_SDP_O);
    CHECK(fmt(m.sdp_c_addr) == "192.168.0.31");
}

TEST_CASE("SDP: media c=, port count, a=rtcp with address, directions", "[parse][sdp]") {
    std::string sdp = crlf("v=0\n"
                           "o=- 1 1 IN IP6 2001:db8::10\n"
                           "s=-\n"
                           "c=IN IP6 2001:db8::10\n"
                           "t=0 0\n"
                           "a=sendonly\n"
                           "m=audio 49170/2 RTP/SAVPF 0\n"
                           "c=IN IP4 10.1.1.2\n"
                           "a=rtcp:53020 IN IP4 10.1.1.3\n"
                           "m=video 0 RTP/AVP 31\n"
                           "m=image 6000 udptl t38\n"
                           "a=inactive\n");
    std::string in = fanvil_invite(sdp);
    auto p = parse(in);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    REQUIRE(m.n_media == 3);
    CHECK(m.media[0].port == 49170);
    CHECK(m.media[0].port_count == 2);
    CHECK(m.media[0].proto == SIPALG_PROTO_RTP_SAVPF);
    CHECK(m.media[0].dir == SIPALG_DIR_SENDONLY);
    CHECK(fmt(m.media[0].addr) == "10.1.1.2");
    CHECK((m.media[0].flags & SIPALG_MEDIAF_RTCP));
    CHECK(m.media[0].rtcp_port == 53020);
    REQUIRE(m.media[0].rtcp_ref >= 0);
    CHECK(fmt(m.refs[m.media[0].rtcp_ref].addr) == "10.1.1.3");
    CHECK(m.media[1].type == SIPALG_MEDIA_VIDEO);
    CHECK(m.media[1].port == 0);
    CHECK(fmt(m.media[1].addr) == "2001:db8::10");
    CHECK(m.media[2].type == SIPALG_MEDIA_IMAGE);
    CHECK(m.media[2].proto == SIPALG_PROTO_UDPTL);
    CHECK(m.media[2].dir == SIPALG_DIR_INACTIVE);
    CHECK(m.sdp_dir == SIPALG_DIR_SENDONLY);
}

TEST_CASE("compact forms, header-name case, space before colon, folding", "[parse]") {
    std::string in = crlf("INVITE sip:bob@10.0.0.2 SIP/2.0\n"
                          "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa\n"
                          "VIA  :  SIP/2.0/TCP\n"
                          " 10.0.0.9:5070;branch=z9hG4bKb,\n"
                          "\tSIP / 2.0 / UDP 10.0.0.8;branch=z9hG4bKc\n"
                          "f: <sip:alice@10.0.0.1>;tag=1\n"
                          "t: sip:bob@10.0.0.2\n"
                          "i: abc@10.0.0.1\n"
                          "cseq: 7 INVITE\n"
                          "m: <sip:alice@10.0.0.1:5062>;expires=60, sip:alice@10.0.0.1;expires=30\n"
                          "c: application/sdp\n"
                          "l: {CL}\n"
                          "\n") +
                     crlf("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n"
                          "m=audio 4000 RTP/AVP 0\n");
    in = with_cl(in);
    auto p = parse(in);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    CHECK(m.cseq == 7);
    CHECK(span(in, m.call_id) == "abc@10.0.0.1");
    CHECK(span(in, m.to_uri) == "sip:bob@10.0.0.2"); // compact form, no <>
    REQUIRE(m.n_contacts == 2);
    CHECK(m.contacts[0].expires == 60);
    CHECK(m.contacts[1].expires == 30);
    CHECK(m.refs[m.contacts[0].ref].port == 5062);
    CHECK(m.refs[m.contacts[1].ref].port == 5060);
    int vias = 0;
    for (unsigned i = 0; i < m.n_refs; i++)
        vias += m.refs[i].kind == SIPALG_REF_VIA_SENTBY;
    CHECK(vias == 3);
    CHECK(m.n_media == 1);
}

TEST_CASE("quoted display names with <>,@ and escaped quotes", "[parse]") {
    std::string in = crlf("OPTIONS sip:10.0.0.2 SIP/2.0\n"
                          "Via: SIP/2.0/UDP 10.0.0.1\n"
                          "From: \"A <b>, \\\"c\\\" @d\" <sip:a@10.0.0.1>;tag=x\n"
                          "To: Bob Smith <sips:bob@[2001:db8::2]>\n"
                          "Contact: \"x,y\" <sip:a@10.0.0.1;transport=tcp;lr>, *\n"
                          "Call-ID: 1\n"
                          "CSeq: 1 OPTIONS\n"
                          "\n");
    auto p = parse(in);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    REQUIRE(m.n_contacts == 2);
    CHECK(span(in, m.contacts[0].uri) == "sip:a@10.0.0.1;transport=tcp;lr");
    CHECK((m.contacts[1].flags & SIPALG_CONTACT_STAR));
    bool to_found = false;
    for (unsigned i = 0; i < m.n_refs; i++)
        if (m.refs[i].kind == SIPALG_REF_TO) {
            to_found = true;
            CHECK(m.refs[i].port == 5061); // sips default
            CHECK((m.refs[i].flags & SIPALG_REFF_BRACKETS));
            CHECK(fmt(m.refs[i].addr) == "2001:db8::2");
        }
    CHECK(to_found);
    CHECK(m.body_len == 0);
    CHECK(!(m.flags & SIPALG_MSGF_CL));
}

TEST_CASE("responses, keep-alives, bare LF", "[parse]") {
    auto r = parse(crlf("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;rport=5\n"
                        "From: <sip:a@b>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: x\nCSeq: 2 "
                        "REGISTER\nContact: <sip:a@10.0.0.1>;expires=120\nContent-Length: 0\n\n"));
    REQUIRE(r.rc == SIPALG_OK);
    CHECK(r.msg->kind == SIPALG_KIND_RESPONSE);
    CHECK(r.msg->status == 200);
    CHECK(r.msg->cseq_method == SIPALG_M_REGISTER);
    CHECK(r.msg->contacts[0].expires == 120);
    for (const char *ka : {"\r\n\r\n", "\r\n", "\n"}) {
        auto k = parse(ka);
        CHECK(k.rc == SIPALG_OK);
        CHECK(k.msg->kind == SIPALG_KIND_KEEPALIVE);
    }
    std::string lf = "MESSAGE sip:b@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060\n"
                     "From: <sip:a@10.0.0.1>;tag=1\nTo: <sip:b@10.0.0.2>\nCall-ID: 9\n"
                     "CSeq: 1 MESSAGE\nContent-Type: text/plain\nContent-Length: 5\n\nhello";
    auto l = parse(lf);
    REQUIRE(l.rc == SIPALG_OK);
    CHECK((l.msg->flags & SIPALG_MSGF_BODY_SKIP));
    CHECK(l.msg->body_len == 5);
}

TEST_CASE("pass-unmodified reasons", "[parse]") {
    std::string ok = kFanvilRegister;
    CHECK(parse("").rc == SIPALG_R_TRUNCATED);
    CHECK(parse(std::string("\x00\x01\x00\x08", 4)).rc == SIPALG_R_NOT_SIP);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").rc == SIPALG_R_NOT_SIP);
    CHECK(parse(ok.substr(0, 100)).rc == SIPALG_R_TRUNCATED);
    CHECK(parse(ok.substr(0, ok.size() - 2)).rc == SIPALG_R_TRUNCATED);
    std::string v7 = ok;
    v7.replace(v7.find("SIP/2.0\r\n"), 7, "SIP/7.0");
    CHECK(parse(v7).rc == SIPALG_R_BAD_VERSION);
    std::string cl = ok;
    cl.replace(cl.find("Length: 0"), 9, "Length: 5");
    CHECK(parse(cl).rc == SIPALG_R_BAD_CONTENT_LENGTH);
    std::string ncl = ok;
    ncl.replace(ncl.find("Length: 0"), 9, "Length: -1");
    CHECK(parse(ncl).rc == SIPALG_R_BAD_CONTENT_LENGTH);
    std::string dup = ok;
    dup.insert(dup.find("CSeq:"), "Call-ID: again\r\n");
    CHECK(parse(dup).rc == SIPALG_R_DUP_HEADER);
    std::string miss = ok;
    miss.erase(miss.find("CSeq:"), std::string("CSeq: 1 REGISTER\r\n").size());
    CHECK(parse(miss).rc == SIPALG_R_MISSING_HEADER);
    std::string mism = ok;
    mism.replace(mism.find("1 REGISTER"), 10, "1 INVITE");
    CHECK(parse(mism).rc == SIPALG_R_BAD_CSEQ);
    std::string big = ok;
    big.replace(big.find("1 REGISTER"), 10, "2147483648 REGISTER");
    CHECK(parse(big).rc == SIPALG_R_BAD_CSEQ);
    std::string quote = ok;
    quote.replace(quote.find("To: \" \""), 7, "To: \" ");
    CHECK(parse(quote).rc == SIPALG_R_BAD_HEADER);
    std::string many = ok;
    for (int i = 0; i < 130; i++)
        many.insert(many.find("Max-Forwards"), "X-Pad: 1\r\n");
    CHECK(parse(many).rc == SIPALG_R_TOO_MANY_HEADERS);
    std::string contacts = ok;
    for (int i = 0; i < 16; i++)
        contacts.insert(contacts.find("Max-Forwards"), "Contact: <sip:x@example.com>\r\n");
    CHECK(parse(contacts).rc == SIPALG_R_TOO_MANY_CONTACTS);
    std::string addrs = ok;
    for (int i = 0; i < 48; i++)
        addrs.insert(addrs.find("Max-Forwards"), "Contact: <sip:x@10.0.0.1>\r\n");
    CHECK(parse(addrs).rc == SIPALG_R_TOO_MANY_CONTACTS);
    std::string vias = ok;
    for (int i = 0; i < 48; i++)
        vias.insert(vias.find("Max-Forwards"), "Via: SIP/2.0/UDP 10.0.0.1\r\n");
    CHECK(parse(vias).rc == SIPALG_R_TOO_MANY_ADDRS);
    std::string sdp = crlf("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n");
    for (int i = 0; i < 9; i++)
        sdp += crlf("m=audio 4000 RTP/AVP 0\n");
    CHECK(parse(fanvil_invite(sdp)).rc == SIPALG_R_TOO_MANY_MEDIA);
    CHECK(parse(fanvil_invite(crlf("v=0\nthis is not sdp\n"))).rc == SIPALG_R_BAD_SDP);
    CHECK(parse(fanvil_invite(crlf("v=0\nm=audio 70000 RTP/AVP 0\n"))).rc == SIPALG_R_BAD_SDP);
    std::string toolong(SIPALG_MAX_MSG_LEN + 1, 'a');
    CHECK(parse(toolong).rc == SIPALG_R_TOO_LONG);
    sipalg_msg m{};
    CHECK(sipalg_parse(nullptr, 3, SIPALG_UDP, &m) == SIPALG_R_BAD_ARG);
    CHECK(sipalg_parse(u(ok), (unsigned)ok.size(), 7, &m) == SIPALG_R_BAD_ARG);
}

// Where a message starts its n-th line (1-based), as err_off reports it.
static unsigned int line_start(const std::string &s, unsigned int n) {
    std::size_t off = 0;
    while (--n)
        off = s.find('\n', off) + 1;
    return static_cast<unsigned int>(off);
}

TEST_CASE("err_off: the line a parse failed on", "[parse]") {
    std::string ok = kFanvilRegister;
    CHECK(parse(ok).msg->err_off == SIPALG_ERR_OFF_NONE);
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    CHECK(parse(inv).msg->err_off == SIPALG_ERR_OFF_NONE);

    // A header without a colon on line 3.
    std::string bad = ok;
    bad.insert(line_start(ok, 3), "No colon here\r\n");
    auto p = parse(bad);
    CHECK(p.rc == SIPALG_R_BAD_HEADER);
    CHECK(p.msg->err_off == line_start(bad, 3));

    // A header parsed and found wrong (an unbalanced quote in To).
    std::string quote = ok;
    quote.replace(quote.find("To: \" \""), 7, "To: \" ");
    p = parse(quote);
    CHECK(p.rc == SIPALG_R_BAD_HEADER);
    CHECK(p.msg->err_off == quote.rfind("\r\nTo:") + 2);

    // Content-Length well formed but not the body's length: found after
    // the headers, blamed on the Content-Length line.
    std::string cl = ok;
    cl.replace(cl.find("Length: 0"), 9, "Length: 5");
    p = parse(cl);
    CHECK(p.rc == SIPALG_R_BAD_CONTENT_LENGTH);
    CHECK(p.msg->err_off == cl.find("Content-Length: 5"));

    // A CSeq method that is not the request's.
    std::string mism = ok;
    mism.replace(mism.find("1 REGISTER"), 10, "1 INVITE");
    p = parse(mism);
    CHECK(p.rc == SIPALG_R_BAD_CSEQ);
    CHECK(p.msg->err_off == mism.find("CSeq:"));

    // The start line; a message that ends inside its headers.
    std::string v7 = ok;
    v7.replace(v7.find("SIP/2.0\r\n"), 7, "SIP/7.0");
    p = parse(v7);
    CHECK(p.rc == SIPALG_R_BAD_VERSION);
    CHECK(p.msg->err_off == 0);
    std::string cut = ok.substr(0, ok.size() - 2);
    p = parse(cut);
    CHECK(p.rc == SIPALG_R_TRUNCATED);
    CHECK(p.msg->err_off == cut.rfind("\r\n", cut.size() - 3) + 2);

    // An SDP line: the offset is in the message, not in the body.
    std::string sdp = fanvil_invite(crlf("v=0\no=- 1 1 IN IP4 10.0.0.1\nthis is not sdp\n"));
    p = parse(sdp);
    CHECK(p.rc == SIPALG_R_BAD_SDP);
    CHECK(p.msg->err_off == sdp.find("this is not sdp"));
    std::string port = fanvil_invite(crlf("v=0\nm=audio 70000 RTP/AVP 0\n"));
    p = parse(port);
    CHECK(p.rc == SIPALG_R_BAD_SDP);
    CHECK(p.msg->err_off == port.find("m=audio"));

    // No one line to blame.
    std::string miss = ok;
    miss.erase(miss.find("CSeq:"), std::string("CSeq: 1 REGISTER\r\n").size());
    p = parse(miss);
    CHECK(p.rc == SIPALG_R_MISSING_HEADER);
    CHECK(p.msg->err_off == SIPALG_ERR_OFF_NONE);
}

// The shim allocates these in per-CPU scratch; core.h documents the sizes.
static_assert(sizeof(sipalg_msg) == 2864, "update core.h and tell the shim");
static_assert(sizeof(sipalg_plan) == 1816, "update core.h and tell the shim");
static_assert(sizeof(sipalg_xlat) == 96);
static_assert(sizeof(sipalg_media_override) == 4);

TEST_CASE("Via needs LWS between transport and sent-by (fuzzer finding)", "[parse]") {
    std::string in = crlf("OPTIONS sip:a@example.com SIP/2.0\n"
                          "Via: SIP/2.0/UD[2001:db8::1]:50600;rport\n"
                          "From: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\n\n");
    CHECK(parse(in).rc == SIPALG_R_BAD_HEADER);
}

TEST_CASE("URI schemes: sip and sips in any case, others kept, malformed refused", "[parse]") {
    // The Contact's URI replaced by each case: lowercase "sip:" takes the
    // inline test, every other spelling the general scheme scan.
    const std::string ok = kFanvilRegister;
    const std::string uri = "sip:011@192.168.0.31:5010";
    struct Case {
        const char *contact_uri;
        int rc;
        bool ref;  // the host became a Contact ref
        bool sips; // ... with the sips flag (default port 5061)
    };
    const Case cases[] = {
        {"sip:011@192.168.0.31:5010", SIPALG_OK, true, false},
        {"SIP:011@192.168.0.31:5010", SIPALG_OK, true, false},
        {"sIp:192.168.0.31", SIPALG_OK, true, false},
        {"sips:011@192.168.0.31", SIPALG_OK, true, true},
        {"SIPS:192.168.0.31", SIPALG_OK, true, true},
        {"tel:+15551234", SIPALG_OK, false, false},
        {"sipx:192.168.0.31", SIPALG_OK, false, false},
        {"urn:a.b-c+d:x", SIPALG_OK, false, false},
        {"sip:", SIPALG_R_BAD_HEADER, false, false},
        {"sip:a", SIPALG_OK, false, false},
        {"1sip:192.168.0.31", SIPALG_R_BAD_HEADER, false, false},
        {"sip 192.168.0.31", SIPALG_R_BAD_HEADER, false, false},
        {"si_p:192.168.0.31", SIPALG_R_BAD_HEADER, false, false},
    };
    for (const Case &c : cases) {
        std::string in = ok;
        in.replace(in.find(uri), uri.size(), c.contact_uri);
        INFO(c.contact_uri);
        auto p = parse(in);
        REQUIRE(p.rc == c.rc);
        if (c.rc != SIPALG_OK)
            continue;
        REQUIRE(p.msg->n_contacts == 1);
        const int r = p.msg->contacts[0].ref;
        CHECK((r >= 0) == c.ref);
        if (r >= 0) {
            CHECK(p.msg->refs[r].kind == SIPALG_REF_CONTACT);
            CHECK(!!(p.msg->refs[r].flags & SIPALG_REFF_SIPS) == c.sips);
            if (!(p.msg->refs[r].flags & SIPALG_REFF_PORT))
                CHECK(p.msg->refs[r].port == (c.sips ? 5061 : 5060));
        }
    }
}

TEST_CASE("start lines: the usual version found at once, every other by the scan", "[parse]") {
    // The REGISTER's start line replaced by each case. A request ending
    // " SIP/2.0" (any case of the letters) and a response beginning
    // "SIP/2.0 " take the fast test; the rest the scan and version check.
    const std::string ok = kFanvilRegister;
    const size_t eol = ok.find("\r\n");
    struct Case {
        const char *line;
        int rc;
    };
    const Case cases[] = {
        {"REGISTER sip:example.com SIP/2.0", SIPALG_OK},
        {"REGISTER sip:example.com sip/2.0", SIPALG_OK},
        {"REGISTER sip:example.com sIP/2.0", SIPALG_OK},
        {"REGISTER sip:example.com SIP/2.0 ", SIPALG_R_BAD_START_LINE},
        {"REGISTER sip:example.com SIP/2.1", SIPALG_R_BAD_VERSION},
        {"REGISTER sip:example.com SIP/2.00", SIPALG_R_BAD_VERSION},
        {"REGISTER sip:example.com SIP-2.0", SIPALG_R_NOT_SIP},
        {"REGISTER sip:example.com\tSIP/2.0", SIPALG_R_NOT_SIP},
        {"REGISTER sip:example.com  SIP/2.0", SIPALG_R_BAD_START_LINE},
        {"REGISTER SIP/2.0", SIPALG_R_NOT_SIP},
        {"REGISTER  SIP/2.0", SIPALG_R_BAD_START_LINE},
        {"REGISTER sip:a SIP/2.0", SIPALG_OK},
        {"REGISTER x SIP/2.0", SIPALG_R_BAD_START_LINE},
        {"REGISTER sip:<a> SIP/2.0", SIPALG_R_BAD_START_LINE},
        {"SIP/2.0 200 OK", SIPALG_OK},
        {"sip/2.0 200 OK", SIPALG_OK},
        {"SIP/2.0 200", SIPALG_OK},
        {"SIP/2.0 20 OK", SIPALG_R_BAD_START_LINE},
        {"SIP/2.0  200 OK", SIPALG_R_BAD_START_LINE},
        {"SIP/2.0", SIPALG_R_BAD_START_LINE},
        {"SIP/2.1 200 OK", SIPALG_R_BAD_VERSION},
        {"SIP/2.00 200 OK", SIPALG_R_BAD_VERSION},
        {"SIP/2.0\t200 OK", SIPALG_R_BAD_VERSION},
    };
    for (const Case &c : cases) {
        std::string in = std::string(c.line) + ok.substr(eol);
        INFO(c.line);
        auto p = parse(in);
        CHECK(p.rc == c.rc);
        if (c.rc == SIPALG_OK && in[0] == 'R')
            CHECK(p.msg->kind == SIPALG_KIND_REQUEST);
        if (c.rc == SIPALG_OK && in[0] != 'R') {
            CHECK(p.msg->kind == SIPALG_KIND_RESPONSE);
            CHECK(p.msg->status == 200);
        }
    }
}
