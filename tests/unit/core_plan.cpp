// Planner: exact bytes after the edits, one test per rewrite rule.
#include "core_messages.hpp"

using namespace coretest;

// Rewrite and require success.
static std::string rw(const std::string &in, const sipalg_xlat &x,
                      const std::vector<sipalg_media_override> &ov = {}) {
    auto r = rewrite(in, x, ov);
    REQUIRE(r.parse_rc == SIPALG_OK);
    REQUIRE(r.plan_rc == SIPALG_OK);
    return r.out;
}

// A minimal request around a few header lines.
static std::string req(const std::string &ruri, const std::string &headers,
                       const std::string &body = "") {
    std::string s = "INVITE " + ruri + " SIP/2.0\n" + headers;
    if (headers.find("Via:") == std::string::npos)
        s += "Via: SIP/2.0/UDP pbx.example.com;branch=z9hG4bK9\n";
    if (headers.find("From:") == std::string::npos)
        s += "From: <sip:a@example.com>;tag=1\n";
    if (headers.find("To:") == std::string::npos)
        s += "To: <sip:b@example.com>\n";
    s += "Call-ID: c1@192.168.0.31\nCSeq: 5 INVITE\n";
    if (!body.empty())
        s += "Content-Type: application/sdp\nContent-Length: {CL}\n";
    s += "\n";
    return with_cl(crlf(s) + crlf(body));
}

TEST_CASE("Fanvil REGISTER through SNAT: Via and Contact, nothing else", "[plan]") {
    CHECK(rw(kFanvilRegister, fanvil_snat()) == kFanvilRegisterNat);
    // And back: the reverse translation restores every byte.
    CHECK(rw(kFanvilRegisterNat, reverse(fanvil_snat())) == kFanvilRegister);
}

TEST_CASE("Fanvil INVITE: SIP, o=, c=, m= port override, Content-Length grows", "[plan][sdp]") {
    std::string in = fanvil_invite(kFanvilInviteSdp);
    auto x = xlat(map("192.168.0.31", 5010, "203.0.113.250", 5010));
    std::string sdp_out = kFanvilInviteSdp;
    sdp_out.replace(sdp_out.find("IN IP4 192.168.0.31"), 19, "IN IP4 203.0.113.250");
    sdp_out.replace(sdp_out.find("IN IP4 192.168.0.31"), 19, "IN IP4 203.0.113.250");
    sdp_out.replace(sdp_out.find("10006"), 5, "40000");
    std::string want = fanvil_invite(sdp_out, "203.0.113.250");
    auto r = rewrite(in, x, {{40000, 0}});
    REQUIRE(r.plan_rc == SIPALG_OK);
    CHECK(r.out == want);
    CHECK((r.plan->flags & SIPALG_PLANF_CL_FIXED));
    CHECK(r.plan->new_cl == sdp_out.size());
    CHECK(want.find("Content-Length: 253\r\n") != std::string::npos);
    CHECK(want.find("Call-ID: 1021667421783-273216449350@192.168.0.31") != std::string::npos);
    // Without an override the media port stays.
    std::string no_ov = rw(in, x);
    CHECK(no_ov.find("m=audio 10006 ") != std::string::npos);
    // Reverse with the original port restores the original.
    CHECK(rw(r.out, reverse(x), {{10006, 0}}) == in);
}

TEST_CASE("Content-Length shrinks, compact l: form kept", "[plan][sdp]") {
    std::string body = crlf("v=0\no=- 1 1 IN IP4 203.0.113.250\ns=-\nc=IN IP4 203.0.113.250\n"
                            "t=0 0\nm=audio 4000 RTP/AVP 0\n");
    std::string in = with_cl(crlf("SIP/2.0 200 OK\n"
                                  "v: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\n"
                                  "f: <sip:a@example.com>;tag=1\n"
                                  "t: <sip:b@example.com>;tag=2\n"
                                  "i: 77\n"
                                  "CSeq: 1 INVITE\n"
                                  "c: application/sdp\n"
                                  "l: {CL}\n\n") +
                             body);
    std::string out = rw(in, xlat(map("203.0.113.250", -1, "10.1.1.2", -1)));
    std::string want_body = crlf("v=0\no=- 1 1 IN IP4 10.1.1.2\ns=-\nc=IN IP4 10.1.1.2\n"
                                 "t=0 0\nm=audio 4000 RTP/AVP 0\n");
    CHECK(out == with_cl(crlf("SIP/2.0 200 OK\n"
                              "v: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\n"
                              "f: <sip:a@example.com>;tag=1\n"
                              "t: <sip:b@example.com>;tag=2\n"
                              "i: 77\n"
                              "CSeq: 1 INVITE\n"
                              "c: application/sdp\n"
                              "l: {CL}\n\n") +
                         want_body));
    CHECK(out.find("l: 85\r\n") != std::string::npos);
}

TEST_CASE("Request-URI with and without port, default ports", "[plan]") {
    auto x = xlat(map("203.0.113.1", 5060, "192.168.0.31", 5010));
    // No port means 5060: matches, and the new port must be written.
    CHECK(rw(req("sip:011@203.0.113.1", ""), x) == req("sip:011@192.168.0.31:5010", ""));
    CHECK(rw(req("sip:011@203.0.113.1:5060;transport=udp", ""), x) ==
          req("sip:011@192.168.0.31:5010;transport=udp", ""));
    // A different port does not match.
    CHECK(rw(req("sip:011@203.0.113.1:5070", ""), x) == req("sip:011@203.0.113.1:5070", ""));
    // sips: defaults to 5061, so 5060 does not match it.
    CHECK(rw(req("sips:011@203.0.113.1", ""), x) == req("sips:011@203.0.113.1", ""));
    // New port equal to the default: no port is added.
    auto same = xlat(map("203.0.113.1", 5060, "192.168.0.31", 5060));
    CHECK(rw(req("sip:011@203.0.113.1;user=phone", ""), same) ==
          req("sip:011@192.168.0.31;user=phone", ""));
    // Address-only mapping keeps the port text.
    auto any = xlat(map("203.0.113.1", -1, "192.168.0.31", -1));
    CHECK(rw(req("sip:011@203.0.113.1:7000", ""), any) == req("sip:011@192.168.0.31:7000", ""));
    // Hostnames and other schemes are left alone.
    CHECK(rw(req("tel:+15551234567", ""), x) == req("tel:+15551234567", ""));
}

TEST_CASE("Via: sent-by, received=, rport=, maddr=, branch untouched", "[plan]") {
    auto x = xlat(map("192.168.0.31", 5010, "203.0.113.1", 6000));
    std::string in = req("sip:b@example.com",
                         "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK-192.168.0.31;rport\n"
                         "Via: SIP/2.0/UDP proxy.example.com;received=192.168.0.31;rport=5010;"
                         "maddr=192.168.0.31\n");
    CHECK(rw(in, x) == req("sip:b@example.com",
                           "Via: SIP/2.0/UDP 203.0.113.1:6000;branch=z9hG4bK-192.168.0.31;rport\n"
                           "Via: SIP/2.0/UDP proxy.example.com;received=203.0.113.1;rport=6000;"
                           "maddr=203.0.113.1\n"));
    // rport pairs with received=, not the sent-by.
    std::string other =
        req("sip:b@example.com",
            "Via: SIP/2.0/UDP 192.168.0.31:5010;received=198.51.100.7;rport=5010\n");
    CHECK(rw(other, x) ==
          req("sip:b@example.com",
              "Via: SIP/2.0/UDP 203.0.113.1:6000;received=198.51.100.7;rport=5010\n"));
    // TLS Via defaults to 5061.
    std::string tls = req("sip:b@example.com", "Via: SIP/2.0/TLS 192.168.0.31;branch=z9hG4bK1\n");
    auto x5061 = xlat(map("192.168.0.31", 5061, "203.0.113.1", 5061));
    CHECK(rw(tls, x5061) ==
          req("sip:b@example.com", "Via: SIP/2.0/TLS 203.0.113.1;branch=z9hG4bK1\n"));
}

TEST_CASE("Contact: every value, name-addr and addr-spec, star, params kept", "[plan]") {
    auto x = xlat(map("10.0.0.1", 5060, "198.51.100.1", 5080));
    std::string in = req("sip:b@example.com",
                         "Contact: \"Al <x>, @y\" <sip:al@10.0.0.1;transport=tcp>;expires=60,"
                         " sip:al@10.0.0.1:5060;q=0.5\n"
                         "m: <sip:al@10.0.0.2>, <sip:al@10.0.0.1;lr>\n");
    CHECK(rw(in, x) == req("sip:b@example.com",
                           "Contact: \"Al <x>, @y\" <sip:al@198.51.100.1:5080;transport=tcp>;"
                           "expires=60, sip:al@198.51.100.1:5080;q=0.5\n"
                           "m: <sip:al@10.0.0.2>, <sip:al@198.51.100.1:5080;lr>\n"));
    std::string star = req("sip:b@example.com", "Contact: *\nExpires: 0\n");
    CHECK(rw(star, x) == star);
}

TEST_CASE("From and To when they carry a translated address; tags untouched", "[plan]") {
    auto x = xlat(map("10.0.0.1", -1, "198.51.100.1", -1));
    std::string in = req("sip:b@example.com", "From: <sip:a@10.0.0.1>;tag=10.0.0.1\n"
                                              "To: sip:b@10.0.0.1\n");
    CHECK(rw(in, x) == req("sip:b@example.com", "From: <sip:a@198.51.100.1>;tag=10.0.0.1\n"
                                                "To: sip:b@198.51.100.1\n"));
}

TEST_CASE("Route and Record-Route are left alone", "[plan]") {
    auto x = xlat(map("10.0.0.1", -1, "198.51.100.1", -1));
    std::string in = req("sip:b@example.com", "Route: <sip:10.0.0.1;lr>\n"
                                              "Record-Route: <sip:10.0.0.1;lr>\n");
    CHECK(rw(in, x) == in);
}

TEST_CASE("IPv6: bracketed URI hosts, SDP IP6, family change both ways", "[plan][v6]") {
    auto x = xlat(map("2001:db8::1", 5060, "2001:db8:ffff::2", 5060));
    std::string in = req("sip:b@[2001:db8::1]",
                         "Via: SIP/2.0/UDP [2001:db8::1]:5060;"
                         "received=2001:db8::1\n",
                         "v=0\no=- 1 1 IN IP6 2001:DB8:0::1\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\n"
                         "m=audio 4000 RTP/AVP 0\n");
    CHECK(rw(in, x) ==
          req("sip:b@[2001:db8:ffff::2]",
              "Via: SIP/2.0/UDP [2001:db8:ffff::2]:5060;received=2001:db8:ffff::2\n",
              "v=0\no=- 1 1 IN IP6 2001:db8:ffff::2\ns=-\nc=IN IP6 2001:db8:ffff::2\nt=0 0\n"
              "m=audio 4000 RTP/AVP 0\n"));
    // IPv4 -> IPv6: brackets in URIs, IP6 in SDP; and back again.
    auto x46 = xlat(map("192.0.2.1", 5060, "2001:db8::9", 5060));
    std::string v4 = req("sip:b@192.0.2.1", "Contact: <sip:a@192.0.2.1>\n",
                         "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                         "m=audio 4000 RTP/AVP 0\n");
    std::string v6 = req("sip:b@[2001:db8::9]", "Contact: <sip:a@[2001:db8::9]>\n",
                         "v=0\no=- 1 1 IN IP6 2001:db8::9\ns=-\nc=IN IP6 2001:db8::9\nt=0 0\n"
                         "m=audio 4000 RTP/AVP 0\n");
    CHECK(rw(v4, x46) == v6);
    CHECK(rw(v6, reverse(x46)) == v4);
}

TEST_CASE("SDP: media c=, a=rtcp port and address, port count form", "[plan][sdp]") {
    auto x = xlat(map("10.1.1.2", 5060, "203.0.113.250", 5060));
    std::string body = "v=0\no=- 1 1 IN IP4 10.1.1.2\ns=-\nt=0 0\n"
                       "m=audio 49170/2 RTP/AVP 0\nc=IN IP4 10.1.1.2\n"
                       "a=rtcp:49200 IN IP4 10.1.1.2\n"
                       "m=video 51372 RTP/AVP 31\nc=IN IP4 10.1.1.2\na=rtcp:51373\n";
    std::string want = "v=0\no=- 1 1 IN IP4 203.0.113.250\ns=-\nt=0 0\n"
                       "m=audio 30000/2 RTP/AVP 0\nc=IN IP4 203.0.113.250\n"
                       "a=rtcp:30100 IN IP4 203.0.113.250\n"
                       "m=video 51372 RTP/AVP 31\nc=IN IP4 203.0.113.250\na=rtcp:30003\n";
    CHECK(rw(req("sip:b@example.com", "", body), x, {{30000, 30100}, {0, 30003}}) ==
          req("sip:b@example.com", "", want));
}

TEST_CASE("left alone: hold, port 0, a=candidate, untranslated streams", "[plan][sdp]") {
    auto x = xlat(map("10.1.1.2", -1, "203.0.113.250", -1));
    std::string body = "v=0\no=- 1 1 IN IP4 10.1.1.2\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\n"
                       "m=audio 4000 RTP/AVP 0\n"
                       "m=video 0 RTP/AVP 31\nc=IN IP4 10.1.1.2\n"
                       "m=audio 5000 RTP/AVP 0\nc=IN IP4 10.9.9.9\n"
                       "a=candidate:1 1 UDP 2130706431 10.1.1.2 4000 typ host\n"
                       "m=audio 6000 RTP/AVP 0\nc=IN IP6 ::\n";
    std::string want = "v=0\no=- 1 1 IN IP4 203.0.113.250\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\n"
                       "m=audio 4000 RTP/AVP 0\n"
                       "m=video 0 RTP/AVP 31\nc=IN IP4 203.0.113.250\n"
                       "m=audio 5000 RTP/AVP 0\nc=IN IP4 10.9.9.9\n"
                       "a=candidate:1 1 UDP 2130706431 10.1.1.2 4000 typ host\n"
                       "m=audio 6000 RTP/AVP 0\nc=IN IP6 ::\n";
    CHECK(rw(req("sip:b@example.com", "", body), x, {{1, 2}, {3, 4}, {5, 6}, {7, 8}}) ==
          req("sip:b@example.com", "", want));
}

TEST_CASE("Call-ID is never touched, even when it is the address", "[plan]") {
    auto x = xlat(map("192.168.0.31", -1, "203.0.113.1", -1));
    std::string in = crlf("BYE sip:192.168.0.31 SIP/2.0\nVia: SIP/2.0/UDP 192.168.0.31\n"
                          "From: <sip:a@x>;tag=1\nTo: <sip:b@x>;tag=2\ni: 192.168.0.31\n"
                          "CSeq: 2 BYE\n\n");
    auto r = rewrite(in, x);
    CHECK(r.out == crlf("BYE sip:203.0.113.1 SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.1\n"
                        "From: <sip:a@x>;tag=1\nTo: <sip:b@x>;tag=2\ni: 192.168.0.31\n"
                        "CSeq: 2 BYE\n\n"));
}

TEST_CASE("bare LF line endings are preserved", "[plan]") {
    std::string in = "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060\n"
                     "From: <sip:a@example.com>;tag=1\nTo: <sip:a@example.com>\nCall-ID: 1\n"
                     "CSeq: 1 REGISTER\nContact: <sip:a@10.0.0.1>\nContent-Length: 0\n\n";
    std::string want = "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.9:5060\n"
                       "From: <sip:a@example.com>;tag=1\nTo: <sip:a@example.com>\nCall-ID: 1\n"
                       "CSeq: 1 REGISTER\nContact: <sip:a@203.0.113.9>\nContent-Length: 0\n\n";
    CHECK(rw(in, xlat(map("10.0.0.1", 5060, "203.0.113.9", 5060))) == want);
}

TEST_CASE("two mappings: source and destination side in one packet", "[plan]") {
    // A DNAT'd inbound INVITE: the destination (public) becomes the phone.
    auto x = xlat(map("198.51.100.5", -1, "198.51.100.5", -1),
                  map("203.0.113.1", 5010, "192.168.0.31", 5010));
    std::string in =
        req("sip:011@203.0.113.1:5010", "Via: SIP/2.0/UDP 198.51.100.5;branch=z9hG4bKx\n"
                                        "To: <sip:011@203.0.113.1:5010>\n");
    CHECK(rw(in, x) == req("sip:011@192.168.0.31:5010",
                           "Via: SIP/2.0/UDP 198.51.100.5;branch=z9hG4bKx\n"
                           "To: <sip:011@192.168.0.31:5010>\n"));
}

TEST_CASE("caps fail safe with an empty plan", "[plan]") {
    auto x = xlat(map("10.0.0.1", -1, "2001:db8:1234:5678:9abc:def0:1234:5678", -1));
    std::string hdrs;
    for (int i = 0; i < 15; i++)
        hdrs += "Contact: <sip:a@10.0.0.1>\n";
    for (int i = 0; i < 10; i++)
        hdrs += "Via: SIP/2.0/UDP 10.0.0.1;received=10.0.0.1;maddr=10.0.0.1\n";
    auto r = rewrite(req("sip:b@example.com", hdrs), x);
    REQUIRE(r.parse_rc == SIPALG_OK);
    CHECK(r.plan_rc == SIPALG_R_TEXT_FULL);
    CHECK(r.plan->n_edits == 0);
    CHECK(r.out == req("sip:b@example.com", hdrs));
    sipalg_plan p{};
    CHECK(sipalg_make_plan(nullptr, r.msg.get(), &x, nullptr, 0, &p) == SIPALG_R_BAD_ARG);
    sipalg_xlat bad{};
    bad.map[0].flags = SIPALG_MAP_ACTIVE;
    std::string in = req("sip:b@example.com", "");
    CHECK(sipalg_make_plan(u(in), r.msg.get(), &bad, nullptr, 0, &p) == SIPALG_R_BAD_ARG);
}

TEST_CASE("keep-alive: recognised, no edits", "[plan]") {
    auto r = rewrite("\r\n\r\n", fanvil_snat());
    CHECK(r.parse_rc == SIPALG_OK);
    CHECK(r.plan_rc == SIPALG_OK);
    CHECK(r.plan->n_edits == 0);
}

TEST_CASE("more edits than SIPALG_MAX_EDITS: empty plan", "[plan]") {
    std::string hdrs;
    for (int i = 0; i < 15; i++)
        hdrs += "Contact: <sip:a@10.0.0.1>\n";
    std::string body = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\n";
    for (int k = 0; k < 8; k++)
        body += "m=audio " + std::to_string(4000 + 2 * k) +
                " RTP/AVP 0\nc=IN IP4 10.0.0.1\na=rtcp:" + std::to_string(4001 + 2 * k) +
                " IN IP4 10.0.0.1\n";
    std::string in = req("sip:b@example.com", hdrs, body);
    std::vector<sipalg_media_override> ov(8, {30000, 30001});
    auto r = rewrite(in, xlat(map("10.0.0.1", -1, "2001:db8::9", -1)), ov);
    REQUIRE(r.parse_rc == SIPALG_OK);
    CHECK(r.plan_rc == SIPALG_R_TOO_MANY_EDITS);
    CHECK(r.plan->n_edits == 0);
    CHECK(r.out == in);
    // Same-family translation needs fewer edits and fits.
    auto ok = rewrite(in, xlat(map("10.0.0.1", -1, "10.0.0.2", -1)), ov);
    CHECK(ok.plan_rc == SIPALG_OK);
    CHECK(ok.plan->n_edits == 15 + 1 + 16 + 16 + 1); // + Content-Length (4000 -> 30000)
}

TEST_CASE("TCP: a framed message without Content-Length has no body", "[plan][frame]") {
    std::string in = crlf("OPTIONS sip:10.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 10.0.0.1\n"
                          "From: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: t1\n"
                          "CSeq: 1 OPTIONS\n\n");
    auto r = rewrite(in, xlat(map("10.0.0.1", 5060, "203.0.113.1", 5060)), {}, SIPALG_TCP);
    REQUIRE(r.plan_rc == SIPALG_OK);
    CHECK(r.out == crlf("OPTIONS sip:203.0.113.1 SIP/2.0\nVia: SIP/2.0/TCP 203.0.113.1\n"
                        "From: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: t1\n"
                        "CSeq: 1 OPTIONS\n\n"));
    CHECK(!(r.plan->flags & SIPALG_PLANF_CL_FIXED));
}

TEST_CASE("folded lines and comma-separated Via values are rewritten in place", "[plan]") {
    auto x = xlat(map("10.0.0.1", 5060, "203.0.113.250", 5060));
    std::string in =
        req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1,\n"
                                 "  SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2;received=10.0.0.1\n"
                                 "Contact:\n"
                                 "\t\"A \\\"q\\\" <b>\" <sip:a@10.0.0.1:5060>,\n"
                                 " <sip:a@10.0.0.1;transport=tcp>\n");
    CHECK(rw(in, x) == req("sip:b@example.com",
                           "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1,\n"
                           "  SIP/2.0/UDP 203.0.113.250;branch=z9hG4bK2;received=203.0.113.250\n"
                           "Contact:\n"
                           "\t\"A \\\"q\\\" <b>\" <sip:a@203.0.113.250:5060>,\n"
                           " <sip:a@203.0.113.250;transport=tcp>\n"));
}

TEST_CASE("Via IPv6: bracket style of received= kept, maddr= is a URI host", "[plan][v6]") {
    auto x = xlat(map("2001:db8::1", -1, "2001:db8::2", -1));
    std::string in = req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;"
                                              "received=[2001:db8::1];maddr=[2001:db8::1]\n"
                                              "Via: SIP/2.0/UDP [2001:db8::1]:5062;"
                                              "received=2001:db8::1;rport=5062\n");
    CHECK(rw(in, x) == req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;"
                                                "received=[2001:db8::2];maddr=[2001:db8::2]\n"
                                                "Via: SIP/2.0/UDP [2001:db8::2]:5062;"
                                                "received=2001:db8::2;rport=5062\n"));
    // To IPv4: brackets go away in every form.
    auto x4 = xlat(map("2001:db8::1", -1, "192.0.2.7", -1));
    CHECK(rw(in, x4) == req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;"
                                                 "received=192.0.2.7;maddr=192.0.2.7\n"
                                                 "Via: SIP/2.0/UDP 192.0.2.7:5062;"
                                                 "received=192.0.2.7;rport=5062\n"));
}

TEST_CASE("apply_in_place refuses a short buffer or an inconsistent plan", "[apply]") {
    auto r = rewrite(kFanvilRegister, fanvil_snat());
    REQUIRE(r.plan->n_edits == 2);
    const sipalg_plan &p = *r.plan;
    const unsigned len = (unsigned)kFanvilRegister.size();
    const unsigned need = std::max(len, p.new_len);
    std::vector<unsigned char> buf(need + 64);
    auto fresh = [&]() { std::memcpy(buf.data(), kFanvilRegister.data(), len); };
    auto untouched = [&]() { return std::memcmp(buf.data(), kFanvilRegister.data(), len) == 0; };
    fresh();
    CHECK(sipalg_apply_in_place(buf.data(), need - 1, len, &p) == -1);
    CHECK(untouched());
    CHECK(sipalg_apply_in_place(buf.data(), need, len, &p) == (long)p.new_len);
    CHECK(std::string(reinterpret_cast<char *>(buf.data()), p.new_len) == r.out);
    sipalg_plan bad = p;
    std::swap(bad.edits[0], bad.edits[1]); // unsorted
    fresh();
    CHECK(sipalg_apply_in_place(buf.data(), (unsigned)buf.size(), len, &bad) == -1);
    CHECK(untouched());
    bad = p;
    bad.edits[1].off = len; // past the end
    CHECK(sipalg_apply_in_place(buf.data(), (unsigned)buf.size(), len, &bad) == -1);
    CHECK(untouched());
    bad = p;
    bad.edits[1].text_len = (unsigned short)(p.text_used + 1); // text outside the plan's
    CHECK(sipalg_apply_in_place(buf.data(), (unsigned)buf.size(), len, &bad) == -1);
    CHECK(untouched());
}
