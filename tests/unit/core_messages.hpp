// Messages shared by the core's unit tests, modelled on the Fanvil X3
// captures in the seed document (192.168.0.31:5010 behind a NAT whose
// public address is 212.19.6.166).
#pragma once

#include "core_test_util.hpp"

namespace coretest {

inline const std::string kFanvilRegister =
    crlf("REGISTER sip:avantelecom.avantele.com SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK1076223587290572529;rport\n"
         "From: \" \" <sip:011@avantelecom.avantele.com:5060>;tag=2717716575\n"
         "To: \" \" <sip:011@avantelecom.avantele.com:5060>\n"
         "Call-ID: 20063242339186-62012442819438@192.168.0.31\n"
         "CSeq: 1 REGISTER\n"
         "Contact: <sip:011@192.168.0.31:5010>\n"
         "Max-Forwards: 70\n"
         "Expires: 3600\n"
         "Supported: path\n"
         "User-Agent: Fanvil X3 1.3.384.1694\n"
         "Allow: INVITE, ACK, OPTIONS, BYE, CANCEL, REFER, NOTIFY, INFO, PRACK, UPDATE, MESSAGE\n"
         "Content-Length: 0\n"
         "\n");

inline const std::string kFanvilRegisterNat =
    crlf("REGISTER sip:avantelecom.avantele.com SIP/2.0\n"
         "Via: SIP/2.0/UDP 212.19.6.166:5010;branch=z9hG4bK1076223587290572529;rport\n"
         "From: \" \" <sip:011@avantelecom.avantele.com:5060>;tag=2717716575\n"
         "To: \" \" <sip:011@avantelecom.avantele.com:5060>\n"
         "Call-ID: 20063242339186-62012442819438@192.168.0.31\n"
         "CSeq: 1 REGISTER\n"
         "Contact: <sip:011@212.19.6.166:5010>\n"
         "Max-Forwards: 70\n"
         "Expires: 3600\n"
         "Supported: path\n"
         "User-Agent: Fanvil X3 1.3.384.1694\n"
         "Allow: INVITE, ACK, OPTIONS, BYE, CANCEL, REFER, NOTIFY, INFO, PRACK, UPDATE, MESSAGE\n"
         "Content-Length: 0\n"
         "\n");

inline const std::string kFanvilInviteSdp = crlf("v=0\n"
                                                 "o=011 164445748 546426177 IN IP4 192.168.0.31\n"
                                                 "s=A conversation\n"
                                                 "c=IN IP4 192.168.0.31\n"
                                                 "t=0 0\n"
                                                 "m=audio 10006 RTP/AVP 8 0 101\n"
                                                 "a=rtpmap:8 PCMA/8000\n"
                                                 "a=rtpmap:0 PCMU/8000\n"
                                                 "a=rtpmap:101 telephone-event/8000\n"
                                                 "a=fmtp:101 0-15\n"
                                                 "a=ptime:20\n"
                                                 "a=sendrecv\n");

inline std::string fanvil_invite(const std::string &sdp, const char *host = "192.168.0.31") {
    std::string h = host;
    std::string s = crlf(
        "INVITE sip:*43@avantelecom.avantele.com;user=phone SIP/2.0\n"
        "Via: SIP/2.0/UDP " +
        h +
        ":5010;branch=z9hG4bK1841331866303606934;rport\n"
        "From: \" \" <sip:011@avantelecom.avantele.com:5060>;tag=908623127\n"
        "To: \"**43\" <sip:*43@avantelecom.avantele.com;user=phone>\n"
        "Call-ID: 1021667421783-273216449350@192.168.0.31\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:011@" +
        h +
        ":5010>\n"
        "Max-Forwards: 70\n"
        "Supported: replaces, join, path, 100rel\n"
        "User-Agent: Fanvil X3 1.3.384.1694\n"
        "P-Early-Media: supported\n"
        "Allow-Events: talk\n"
        "Allow: INVITE, ACK, OPTIONS, BYE, CANCEL, REFER, NOTIFY, INFO, PRACK, UPDATE, MESSAGE\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {CL}\n"
        "\n");
    return with_cl(s + sdp);
}

// Outbound SNAT of the phone, as the kernel describes it.
inline sipalg_xlat fanvil_snat() {
    return xlat(map("192.168.0.31", 5010, "212.19.6.166", 5010));
}

} // namespace coretest
