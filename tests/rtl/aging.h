/* aging.h - the aging scanner's RTL tests (aging.cpp), run by test_rtl. */
#ifndef CTNIC_TEST_AGING_H
#define CTNIC_TEST_AGING_H

#include <cstdint>
#include <string>
#include <vector>

typedef void (*AgingTap)(bool ok, const std::string &name, const std::vector<std::string> &why);

void rtl_aging_tests(uint64_t seed, AgingTap tap, const char *vcd_path);

#endif /* CTNIC_TEST_AGING_H */
