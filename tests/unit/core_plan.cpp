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

// The translation of one side only: the packet's sender (map[0]) or its
// receiver (map[1]); or the same mapping on both sides, for tests about the
// form of a rewrite rather than about who owns a field.
static sipalg_xlat sender(const sipalg_map &m) {
    return xlat(m);
}
static sipalg_xlat receiver(const sipalg_map &m) {
    return xlat(sipalg_map{}, m);
}
static sipalg_xlat both(const sipalg_map &m) {
    return xlat(m, m);
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
    // The Request-URI is the receiver's: map[1].
    auto x = receiver(map("203.0.113.1", 5060, "192.168.0.31", 5010));
    // No port means 5060: matches, and the new port must be written.
    CHECK(rw(req("sip:011@203.0.113.1", ""), x) == req("sip:011@192.168.0.31:5010", ""));
    CHECK(rw(req("sip:011@203.0.113.1:5060;transport=udp", ""), x) ==
          req("sip:011@192.168.0.31:5010;transport=udp", ""));
    // Another port: the address only, the port is kept.
    CHECK(rw(req("sip:011@203.0.113.1:5070", ""), x) == req("sip:011@192.168.0.31:5070", ""));
    // sips: defaults to 5061, another port than 5060: address only.
    CHECK(rw(req("sips:011@203.0.113.1", ""), x) == req("sips:011@192.168.0.31", ""));
    // New port equal to the default: no port is added.
    auto same = receiver(map("203.0.113.1", 5060, "192.168.0.31", 5060));
    CHECK(rw(req("sip:011@203.0.113.1;user=phone", ""), same) ==
          req("sip:011@192.168.0.31;user=phone", ""));
    // Address-only mapping keeps the port text.
    auto any = receiver(map("203.0.113.1", -1, "192.168.0.31", -1));
    CHECK(rw(req("sip:011@203.0.113.1:7000", ""), any) == req("sip:011@192.168.0.31:7000", ""));
    // Hostnames and other schemes are left alone.
    CHECK(rw(req("tel:+15551234567", ""), x) == req("tel:+15551234567", ""));
}

TEST_CASE("Via: sent-by, received=, rport=, maddr=, branch untouched", "[plan]") {
    auto x = sender(map("192.168.0.31", 5010, "203.0.113.1", 6000));
    std::string in = req("sip:b@example.com",
                         "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK-192.168.0.31;rport\n"
                         "Via: SIP/2.0/UDP proxy.example.com;received=192.168.0.31;rport=5010;"
                         "maddr=192.168.0.31\n");
    // Only the topmost Via: the second is another hop's, whatever it names.
    CHECK(rw(in, x) == req("sip:b@example.com",
                           "Via: SIP/2.0/UDP 203.0.113.1:6000;branch=z9hG4bK-192.168.0.31;rport\n"
                           "Via: SIP/2.0/UDP proxy.example.com;received=192.168.0.31;rport=5010;"
                           "maddr=192.168.0.31\n"));
    // received=, rport= and maddr= of the topmost Via.
    std::string params = req("sip:b@example.com",
                             "Via: SIP/2.0/UDP proxy.example.com;received=192.168.0.31;rport=5010;"
                             "maddr=192.168.0.31\n");
    CHECK(rw(params, x) == req("sip:b@example.com",
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
    auto m = map("10.0.0.1", -1, "198.51.100.1", -1);
    std::string in = req("sip:b@example.com", "From: <sip:a@10.0.0.1>;tag=10.0.0.1\n"
                                              "To: sip:b@10.0.0.1\n");
    // In a request From is the sender's, To the receiver's.
    CHECK(rw(in, sender(m)) == req("sip:b@example.com", "From: <sip:a@198.51.100.1>;tag=10.0.0.1\n"
                                                        "To: sip:b@10.0.0.1\n"));
    CHECK(rw(in, receiver(m)) == req("sip:b@example.com", "From: <sip:a@10.0.0.1>;tag=10.0.0.1\n"
                                                          "To: sip:b@198.51.100.1\n"));
    CHECK(rw(in, both(m)) == req("sip:b@example.com", "From: <sip:a@198.51.100.1>;tag=10.0.0.1\n"
                                                      "To: sip:b@198.51.100.1\n"));
}

TEST_CASE("Route and Record-Route are left alone", "[plan]") {
    auto x = xlat(map("10.0.0.1", -1, "198.51.100.1", -1));
    std::string in = req("sip:b@example.com", "Route: <sip:10.0.0.1;lr>\n"
                                              "Record-Route: <sip:10.0.0.1;lr>\n");
    CHECK(rw(in, x) == in);
}

TEST_CASE("IPv6: bracketed URI hosts, SDP IP6, family change both ways", "[plan][v6]") {
    auto x = both(map("2001:db8::1", 5060, "2001:db8:ffff::2", 5060));
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
    auto x46 = both(map("192.0.2.1", 5060, "2001:db8::9", 5060));
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
    auto x = both(map("192.168.0.31", -1, "203.0.113.1", -1));
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
    std::string hdrs = "Via: SIP/2.0/UDP 10.0.0.1;received=10.0.0.1;maddr=10.0.0.1\n";
    for (int i = 0; i < 16; i++)
        hdrs += "Contact: <sip:a@10.0.0.1>\n";
    std::string body = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n";
    for (int k = 0; k < 8; k++)
        body += "m=audio 4000 RTP/AVP 0\nc=IN IP4 10.0.0.1\n";
    std::string in = req("sip:b@example.com", hdrs, body);
    auto r = rewrite(in, x);
    REQUIRE(r.parse_rc == SIPALG_OK);
    CHECK(r.plan_rc == SIPALG_R_TEXT_FULL);
    CHECK(r.plan->n_edits == 0);
    CHECK(r.out == in);
    sipalg_plan p{};
    CHECK(sipalg_make_plan(nullptr, r.msg.get(), &x, nullptr, 0, &p) == SIPALG_R_BAD_ARG);
    sipalg_xlat bad{};
    bad.map[0].flags = SIPALG_MAP_ACTIVE;
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
    auto r = rewrite(in, both(map("10.0.0.1", 5060, "203.0.113.1", 5060)), {}, SIPALG_TCP);
    REQUIRE(r.plan_rc == SIPALG_OK);
    CHECK(r.out == crlf("OPTIONS sip:203.0.113.1 SIP/2.0\nVia: SIP/2.0/TCP 203.0.113.1\n"
                        "From: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: t1\n"
                        "CSeq: 1 OPTIONS\n\n"));
    CHECK(!(r.plan->flags & SIPALG_PLANF_CL_FIXED));
}

TEST_CASE("folded lines and comma-separated Via values are rewritten in place", "[plan]") {
    auto x = xlat(map("10.0.0.1", 5060, "203.0.113.250", 5060));
    // The topmost Via is the first value of the list; the second is not.
    std::string in =
        req("sip:b@example.com", "Via:\n SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=10.0.0.1,\n"
                                 "  SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2;received=10.0.0.1\n"
                                 "Contact:\n"
                                 "\t\"A \\\"q\\\" <b>\" <sip:a@10.0.0.1:5060>,\n"
                                 " <sip:a@10.0.0.1;transport=tcp>\n");
    CHECK(rw(in, x) ==
          req("sip:b@example.com",
              "Via:\n SIP/2.0/UDP 203.0.113.250;branch=z9hG4bK1;received=203.0.113.250,\n"
              "  SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2;received=10.0.0.1\n"
              "Contact:\n"
              "\t\"A \\\"q\\\" <b>\" <sip:a@203.0.113.250:5060>,\n"
              " <sip:a@203.0.113.250;transport=tcp>\n"));
}

TEST_CASE("Via IPv6: bracket style of received= kept, maddr= is a URI host", "[plan][v6]") {
    auto x = xlat(map("2001:db8::1", -1, "2001:db8::2", -1));
    std::string params = req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;"
                                                  "received=[2001:db8::1];maddr=[2001:db8::1]\n");
    std::string sent_by = req("sip:b@example.com", "Via: SIP/2.0/UDP [2001:db8::1]:5062;"
                                                   "received=2001:db8::1;rport=5062\n");
    CHECK(rw(params, x) == req("sip:b@example.com",
                               "Via: SIP/2.0/UDP proxy.example.com;"
                               "received=[2001:db8::2];maddr=[2001:db8::2]\n"));
    CHECK(rw(sent_by, x) == req("sip:b@example.com", "Via: SIP/2.0/UDP [2001:db8::2]:5062;"
                                                     "received=2001:db8::2;rport=5062\n"));
    // To IPv4: brackets go away in every form.
    auto x4 = xlat(map("2001:db8::1", -1, "192.0.2.7", -1));
    CHECK(rw(params, x4) == req("sip:b@example.com", "Via: SIP/2.0/UDP proxy.example.com;"
                                                     "received=192.0.2.7;maddr=192.0.2.7\n"));
    CHECK(rw(sent_by, x4) == req("sip:b@example.com", "Via: SIP/2.0/UDP 192.0.2.7:5062;"
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

// ---- Who wrote it: each field is rewritten only by its owner's mapping ----

namespace {

// The fields of the ownership table, each written with 10.0.0.1:5060.
enum Field { kRuri, kTopVia, kVia2, kVia3, kContact, kFrom, kTo, kSdp, kFields };
const char *const kFieldName[kFields] = {"Request-URI", "top Via", "second Via", "third Via",
                                         "Contact",     "From",    "To",         "SDP"};

enum Kind { kRequest, kResponse, kRegister2xx, kRegister401 };
const char *const kKindName[] = {"INVITE", "200 to INVITE", "200 to REGISTER", "401 to REGISTER"};

// One field's text as written (moved false) or rewritten to
// 198.51.100.1:6060 (moved true); each is unique in the message.
std::string field_text(Field f, bool moved) {
    const std::string at = moved ? "198.51.100.1:6060" : "10.0.0.1:5060";
    const std::string a = moved ? "198.51.100.1" : "10.0.0.1";
    const std::string port = moved ? "6060" : "5060";
    const std::string via = at + ";received=" + a + ";rport=" + port + ";maddr=" + a;
    switch (f) {
    case kRuri:
        return "INVITE sip:ruri@" + at + " SIP/2.0\n";
    case kTopVia:
        return "Via: SIP/2.0/UDP " + via + ";branch=z9hG4bK1,";
    case kVia2:
        return " SIP/2.0/UDP " + via + ";branch=z9hG4bK2\n";
    case kVia3:
        return "v: SIP/2.0/UDP " + at + ";rport=" + port + ";branch=z9hG4bK3\n";
    case kContact:
        return "Contact: <sip:c@" + at + ">\n";
    case kFrom:
        return "From: <sip:f@" + at + ">;tag=1\n";
    case kTo:
        return "To: <sip:t@" + at + ">\n";
    default:
        return "v=0\no=- 1 1 IN IP4 " + a + "\ns=-\nc=IN IP4 " + a + "\nt=0 0\nm=audio " +
               (moved ? "30000" : "4000") + " RTP/AVP 0\na=rtcp:" + (moved ? "30001" : "4001") +
               " IN IP4 " + a + "\n";
    }
}

// The message of a kind with each field as written or rewritten (rw[f]).
// The second Via is the second value of the first Via header, the third a
// compact v: header of its own: neither is the topmost Via.
std::string owned_message(Kind kind, const bool *rw) {
    const char *method = kind == kRequest || kind == kResponse ? "INVITE" : "REGISTER";
    std::string s;
    if (kind == kRequest)
        s = field_text(kRuri, rw[kRuri]);
    else
        s = kind == kRegister401 ? "SIP/2.0 401 Unauthorized\n" : "SIP/2.0 200 OK\n";
    for (Field f : {kTopVia, kVia2, kVia3, kContact, kFrom, kTo})
        s += field_text(f, rw[f]);
    s += "Call-ID: own@10.0.0.1\nCSeq: 7 " + std::string(method) + "\n";
    s += "Content-Type: application/sdp\nContent-Length: {CL}\n\n";
    s += field_text(kSdp, rw[kSdp]);
    return with_cl(crlf(s));
}

} // namespace

TEST_CASE("who wrote it: request/response x sender/receiver mapping x each field", "[plan][own]") {
    // The sender's fields go by map[0], the receiver's by map[1]; Vias
    // below the topmost belong to other hops and go by neither.
    struct Row {
        Kind kind;
        int slot; // which mapping holds 10.0.0.1:5060 -> 198.51.100.1:6060
        std::vector<Field> rewritten;
    };
    const Row rows[] = {
        {kRequest, 0, {kTopVia, kContact, kFrom, kSdp}},
        {kRequest, 1, {kRuri, kTo}},
        {kResponse, 0, {kContact, kTo, kSdp}},
        {kResponse, 1, {kTopVia, kFrom}},
        // A 2xx to REGISTER lists the requester's bindings.
        {kRegister2xx, 0, {kTo, kSdp}},
        {kRegister2xx, 1, {kTopVia, kFrom, kContact}},
        // Any other answer to REGISTER: an ordinary response.
        {kRegister401, 0, {kContact, kTo, kSdp}},
        {kRegister401, 1, {kTopVia, kFrom}},
    };
    const sipalg_map m = map("10.0.0.1", 5060, "198.51.100.1", 6060);
    const bool none[kFields] = {};
    for (const Row &row : rows) {
        bool want[kFields] = {};
        for (Field f : row.rewritten)
            want[f] = true;
        std::string in = owned_message(row.kind, none);
        std::string expected = owned_message(row.kind, want);
        sipalg_xlat x = row.slot == 0 ? sender(m) : receiver(m);
        std::string out = rw(in, x, {{30000, 30001}});
        for (int f = 0; f < kFields; f++) {
            if (f == kRuri && row.kind != kRequest)
                continue;
            INFO(kKindName[row.kind] << ", map[" << row.slot << "]: " << kFieldName[f]
                                     << (want[f] ? " rewritten" : " left alone"));
            CHECK(out.find(crlf(field_text((Field)f, want[f]))) != std::string::npos);
        }
        INFO(kKindName[row.kind] << ", map[" << row.slot << "]");
        CHECK(out == expected);
        // And back: the same owner's reverse mapping restores every byte.
        CHECK(rw(out, reverse(x), {{4000, 4001}}) == in);
    }
}

TEST_CASE("the parser marks the refs of the topmost Via only", "[plan][parse][own]") {
    std::string in = req("sip:b@example.com",
                         "v: SIP/2.0/UDP 10.0.0.1:5060;received=10.0.0.2;rport=5060;maddr=10.0.0.3,"
                         " SIP/2.0/UDP 10.0.0.1;received=10.0.0.2;rport=5060;maddr=10.0.0.3\n"
                         "Via: SIP/2.0/UDP 10.0.0.1;received=10.0.0.2;rport=5060;maddr=10.0.0.3\n");
    auto p = parse(in);
    REQUIRE(p.rc == SIPALG_OK);
    int top = 0, other = 0;
    for (unsigned i = 0; i < p.msg->n_refs; i++) {
        const sipalg_ref &r = p.msg->refs[i];
        bool via = r.kind == SIPALG_REF_VIA_SENTBY || r.kind == SIPALG_REF_VIA_RECEIVED ||
                   r.kind == SIPALG_REF_VIA_RPORT || r.kind == SIPALG_REF_VIA_MADDR;
        if (!via) {
            CHECK(!(r.flags & SIPALG_REFF_TOP_VIA));
            continue;
        }
        // Refs come in message order: the first four are the topmost Via's.
        bool want_top = top + other < 4;
        CHECK(bool(r.flags & SIPALG_REFF_TOP_VIA) == want_top);
        (want_top ? top : other)++;
    }
    CHECK(top == 4);
    CHECK(other == 8);
}

TEST_CASE("port matching: exact from_port gets to_port, another port keeps it", "[plan][own]") {
    // NAT changed the port: only the exact address:port takes the new one.
    auto x = sender(map("192.168.0.10", 5060, "203.0.113.1", 1024));
    std::string in = req("sip:b@example.com", "Via: SIP/2.0/UDP 192.168.0.10;rport=5060\n"
                                              "Contact: <sip:a@192.168.0.10>, "
                                              "<sip:a@192.168.0.10:5070>, <sip:a@192.168.0.11>\n");
    CHECK(rw(in, x) == req("sip:b@example.com",
                           "Via: SIP/2.0/UDP 203.0.113.1:1024;rport=1024\n"
                           "Contact: <sip:a@203.0.113.1:1024>, "
                           "<sip:a@203.0.113.1:5070>, <sip:a@192.168.0.11>\n"));
    // rport= of another port is left as it is.
    std::string other = req("sip:b@example.com", "Via: SIP/2.0/UDP 192.168.0.10:5070;rport=5070\n");
    CHECK(rw(other, x) ==
          req("sip:b@example.com", "Via: SIP/2.0/UDP 203.0.113.1:5070;rport=5070\n"));
}

TEST_CASE("a response from the inside: every Via byte-exact, even one naming the phone",
          "[plan][own]") {
    // An INVITE reached the phone 192.168.0.10:5060 through two proxies
    // from a far caller behind its own NAT whose private address:port is
    // the very same. The phone's 200 OK leaves through the router: its
    // Contact, To and SDP are the phone's and go public; the Vias are the
    // requester's and must come back exactly as they were (RFC 3261 8.2.6.2).
    std::string vias = "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKp1\n"
                       "Via: SIP/2.0/UDP 192.168.0.10:5060;received=192.0.2.50;rport=5060;"
                       "branch=z9hG4bKfar\n"
                       "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKp2\n";
    auto ok = [&](const std::string &v, const char *host) {
        std::string h = host;
        std::string s = "SIP/2.0 200 OK\n" + v +
                        "From: <sip:far@198.51.100.7>;tag=a\n"
                        "To: <sip:011@" +
                        h + ":5060>;tag=b\nCall-ID: far-1@192.168.0.10\nCSeq: 1 INVITE\n" +
                        "Contact: <sip:011@" + h + ":5060>\n" +
                        "Content-Type: application/sdp\nContent-Length: {CL}\n\n" +
                        "v=0\no=- 1 1 IN IP4 " + h + "\ns=-\nc=IN IP4 " + h +
                        "\nt=0 0\nm=audio 40000 RTP/AVP 0\n";
        return with_cl(crlf(s));
    };
    // NAT keeps the port (kmod: no SIPALG_MAP_PORT) and NAT changes it.
    for (auto m : {map("192.168.0.10", -1, "203.0.113.1", -1),
                   map("192.168.0.10", 5060, "203.0.113.1", 5060),
                   map("192.168.0.10", 5060, "203.0.113.1", 1024)}) {
        auto x = xlat(m, map("203.0.113.10", 5060, "203.0.113.10", 5060));
        bool port = (m.flags & SIPALG_MAP_PORT) && m.to_port != 5060;
        std::string want = ok(vias, "203.0.113.1");
        if (port)
            for (std::string::size_type at; (at = want.find("203.0.113.1:5060>")) != want.npos;)
                want.replace(at, 16, "203.0.113.1:1024");
        CHECK(rw(ok(vias, "192.168.0.10"), x) == want);
        // The same Vias as one comma list, and compact.
        std::string list = "v: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKp1, "
                           "SIP/2.0/UDP 192.168.0.10:5060;received=192.0.2.50;rport=5060;"
                           "branch=z9hG4bKfar,SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKp2\n";
        std::string out = rw(ok(list, "192.168.0.10"), x);
        CHECK(out.find(crlf(list)) != std::string::npos);
        CHECK(out.find("c=IN IP4 203.0.113.1\r\n") != std::string::npos);
    }
}

TEST_CASE("a response to the inside: top Via restored, a lower one on the public address not",
          "[plan][own]") {
    // The phone sent its request with a Via naming another host behind the
    // same public address (a hairpin hop); the answer comes back.
    auto x = receiver(map("203.0.113.1", 5060, "192.168.0.10", 5060));
    auto ok = [](const char *top, const char *from) {
        std::string s = std::string("SIP/2.0 200 OK\n") + "Via: SIP/2.0/UDP " + top +
                        ";branch=z9hG4bKa\n"
                        "Via: SIP/2.0/UDP 203.0.113.1:5062;received=203.0.113.1;rport=5062;"
                        "branch=z9hG4bKb\n"
                        "From: <sip:011@" +
                        from +
                        ">;tag=a\nTo: <sip:b@203.0.113.1:5062>;tag=b\n"
                        "Call-ID: h1\nCSeq: 1 INVITE\n"
                        "Contact: <sip:b@203.0.113.1:5062>\n"
                        "Content-Type: application/sdp\nContent-Length: {CL}\n\n"
                        "v=0\no=- 1 1 IN IP4 203.0.113.1\ns=-\nc=IN IP4 203.0.113.1\nt=0 0\n"
                        "m=audio 40002 RTP/AVP 0\n";
        return with_cl(crlf(s));
    };
    // The responder's own Contact, To and SDP name the public address too
    // (it is the other host behind it): not ours to touch.
    CHECK(rw(ok("203.0.113.1:5060;received=203.0.113.1;rport=5060", "203.0.113.1"), x, {{1, 2}}) ==
          ok("192.168.0.10:5060;received=192.168.0.10;rport=5060", "192.168.0.10"));
}

TEST_CASE("2xx to REGISTER: only the phone's exact binding is restored", "[plan][own]") {
    auto ok = [](const char *via, const char *mine, const char *other) {
        return crlf(std::string("SIP/2.0 200 OK\nVia: SIP/2.0/UDP ") + via +
                    ";branch=z9hG4bKr\n"
                    "From: <sip:011@example.com>;tag=1\nTo: <sip:011@example.com>;tag=2\n"
                    "Call-ID: r1\nCSeq: 3 REGISTER\n"
                    "Contact: <sip:011@" +
                    mine + ">;expires=3600, <sip:011@" + other +
                    ">;expires=1800\nContent-Length: 0\n\n");
    };
    // NAT kept the port: the phone is 203.0.113.1:5060 outside; another
    // phone behind the same NAT registered 203.0.113.1:5062 for the AOR.
    auto keep = receiver(map("203.0.113.1", 5060, "192.168.0.10", 5060));
    keep.map[1].flags &= ~SIPALG_MAP_PORT; // as kmod/xlat.c says it
    CHECK(rw(ok("203.0.113.1:5060", "203.0.113.1:5060", "203.0.113.1:5062"), keep) ==
          ok("192.168.0.10:5060", "192.168.0.10:5060", "203.0.113.1:5062"));
    // NAT changed the port: 5060 outside is some other phone's.
    auto moved = receiver(map("203.0.113.1", 1024, "192.168.0.10", 5060));
    CHECK(rw(ok("203.0.113.1:1024", "203.0.113.1:1024", "203.0.113.1:5060"), moved) ==
          ok("192.168.0.10:5060", "192.168.0.10:5060", "203.0.113.1:5060"));
    // An address-only match is never enough for a binding.
    auto any = receiver(map("203.0.113.1", -1, "192.168.0.10", -1));
    CHECK(rw(ok("203.0.113.1:5060", "203.0.113.1:5060", "203.0.113.1:5062"), any) ==
          ok("192.168.0.10:5060", "203.0.113.1:5060", "203.0.113.1:5062"));
}

TEST_CASE("TCP: ephemeral source port kept by NAT, Via and Contact name 5060", "[plan][own]") {
    // Phone 192.168.0.10:40000 -> NAT keeps 40000 (kmod: ports set, no
    // SIPALG_MAP_PORT); its Via and Contact name its listening port 5060.
    sipalg_map out = map("192.168.0.10", 40000, "203.0.113.1", 40000);
    out.flags &= ~SIPALG_MAP_PORT;
    sipalg_map back = map("203.0.113.1", 40000, "192.168.0.10", 40000);
    back.flags &= ~SIPALG_MAP_PORT;
    std::string reg = crlf("REGISTER sip:example.com SIP/2.0\n"
                           "Via: SIP/2.0/TCP 192.168.0.10:5060;rport;branch=z9hG4bKt\n"
                           "From: <sip:011@example.com>;tag=1\nTo: <sip:011@example.com>\n"
                           "Call-ID: t1@192.168.0.10\nCSeq: 1 REGISTER\n"
                           "Contact: <sip:011@192.168.0.10:5060;transport=tcp>\n"
                           "Content-Length: 0\n\n");
    auto r = rewrite(reg, sender(out), {}, SIPALG_TCP);
    REQUIRE(r.plan_rc == SIPALG_OK);
    CHECK(r.out == crlf("REGISTER sip:example.com SIP/2.0\n"
                        "Via: SIP/2.0/TCP 203.0.113.1:5060;rport;branch=z9hG4bKt\n"
                        "From: <sip:011@example.com>;tag=1\nTo: <sip:011@example.com>\n"
                        "Call-ID: t1@192.168.0.10\nCSeq: 1 REGISTER\n"
                        "Contact: <sip:011@203.0.113.1:5060;transport=tcp>\n"
                        "Content-Length: 0\n\n"));
    // The registrar's answer: the top Via (with the port the registrar saw
    // in rport=) comes back to 192.168.0.10:5060. The binding it lists,
    // 203.0.113.1:5060, is not the connection's own address:port, and
    // might be another phone's (a UDP phone whose NAT kept 5060): left.
    std::string ok = crlf("SIP/2.0 200 OK\n"
                          "Via: SIP/2.0/TCP 203.0.113.1:5060;rport=40000;received=203.0.113.1;"
                          "branch=z9hG4bKt\n"
                          "From: <sip:011@example.com>;tag=1\nTo: <sip:011@example.com>;tag=2\n"
                          "Call-ID: t1@192.168.0.10\nCSeq: 1 REGISTER\n"
                          "Contact: <sip:011@203.0.113.1:5060;transport=tcp>;expires=600\n"
                          "Content-Length: 0\n\n");
    auto a = rewrite(ok, receiver(back), {}, SIPALG_TCP);
    REQUIRE(a.plan_rc == SIPALG_OK);
    CHECK(a.out == crlf("SIP/2.0 200 OK\n"
                        "Via: SIP/2.0/TCP 192.168.0.10:5060;rport=40000;received=192.168.0.10;"
                        "branch=z9hG4bKt\n"
                        "From: <sip:011@example.com>;tag=1\nTo: <sip:011@example.com>;tag=2\n"
                        "Call-ID: t1@192.168.0.10\nCSeq: 1 REGISTER\n"
                        "Contact: <sip:011@203.0.113.1:5060;transport=tcp>;expires=600\n"
                        "Content-Length: 0\n\n"));
}
