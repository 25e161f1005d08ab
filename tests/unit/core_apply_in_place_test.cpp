// sipalg_apply_in_place (the only applier: the kernel's, and the tests',
// fuzzer's and benchmark's) must give the same bytes as the reference
// applier of the tests (a string built edit by edit) for every plan: any
// mix of growing, shrinking and same-size edits, at the ends or adjacent.
#include "core_test_util.hpp"

#include <random>

namespace {

// A random valid plan over a message of len bytes.
sipalg_plan random_plan(std::mt19937 &rng, unsigned len) {
    sipalg_plan plan{};
    plan.old_len = len;
    unsigned pos = 0;
    long new_len = len;
    while (plan.n_edits < SIPALG_MAX_EDITS && pos <= len) {
        unsigned gap = std::uniform_int_distribution<unsigned>(0, 12)(rng);
        if (pos + gap > len)
            break;
        unsigned elen = std::uniform_int_distribution<unsigned>(0, 9)(rng);
        if (pos + gap + elen > len)
            elen = len - pos - gap;
        unsigned tlen = std::uniform_int_distribution<unsigned>(0, 14)(rng);
        if (plan.text_used + tlen > SIPALG_MAX_TEXT)
            break;
        sipalg_edit &e = plan.edits[plan.n_edits++];
        e.off = pos + gap;
        e.len = elen;
        e.text_off = static_cast<unsigned short>(plan.text_used);
        e.text_len = static_cast<unsigned short>(tlen);
        for (unsigned i = 0; i < tlen; i++)
            plan.text[plan.text_used++] = static_cast<unsigned char>('A' + (rng() % 26));
        new_len += static_cast<long>(tlen) - static_cast<long>(elen);
        pos = e.off + e.len;
        if (rng() % 8 == 0)
            break;
    }
    plan.new_len = static_cast<unsigned>(new_len);
    return plan;
}

} // namespace

TEST_CASE("apply_in_place matches the reference for random plans", "[apply]") {
    std::mt19937 rng(20261123);
    for (int round = 0; round < 20000; round++) {
        unsigned len = std::uniform_int_distribution<unsigned>(0, 200)(rng);
        std::string msg(len, '\0');
        for (auto &c : msg)
            c = static_cast<char>('a' + (rng() % 26));
        const sipalg_plan plan = random_plan(rng, len);
        const std::string want = coretest::apply_reference(msg, plan);
        REQUIRE(want.size() == plan.new_len);

        // Just enough room, sometimes a little more; guard bytes after it.
        unsigned cap = std::max<unsigned>(len, static_cast<unsigned>(want.size())) +
                       std::uniform_int_distribution<unsigned>(0, 2)(rng);
        std::vector<unsigned char> buf(cap + 8, 0xEE); // never empty: data() != nullptr
        std::memcpy(buf.data(), msg.data(), len);
        long got = sipalg_apply_in_place(buf.data(), cap, len, &plan);
        REQUIRE(got == static_cast<long>(want.size()));
        REQUIRE(std::memcmp(buf.data(), want.data(), want.size()) == 0);
        for (unsigned i = cap; i < buf.size(); i++)
            REQUIRE(buf[i] == 0xEE);
    }
}

TEST_CASE("apply_in_place refuses what does not fit or is inconsistent", "[apply]") {
    unsigned char buf[16] = "0123456789";
    sipalg_plan plan{};
    plan.n_edits = 1;
    plan.edits[0] = {2, 1, 0, 8};
    plan.text_used = 8;
    std::memcpy(plan.text, "ABCDEFGH", 8);
    CHECK(sipalg_apply_in_place(buf, 10, 10, &plan) == -1); // 17 bytes do not fit in 10
    CHECK(std::memcmp(buf, "0123456789", 10) == 0);         // and nothing was written
    CHECK(sipalg_apply_in_place(buf, 16, 10, &plan) == -1); // nor in 16
    plan.edits[0] = {9, 3, 0, 1};                           // runs past the end
    CHECK(sipalg_apply_in_place(buf, 16, 10, &plan) == -1);
    plan.n_edits = 2;
    plan.edits[0] = {4, 2, 0, 1};
    plan.edits[1] = {5, 1, 1, 1}; // overlaps the first
    CHECK(sipalg_apply_in_place(buf, 16, 10, &plan) == -1);
    plan.edits[1] = {6, 1, 1, 1};
    CHECK(sipalg_apply_in_place(buf, 16, 10, &plan) == 9);
    CHECK(std::memcmp(buf, "0123AB789", 9) == 0);
}
