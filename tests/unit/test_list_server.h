/*
 * test_list_server.h: the unit tests of server-stub's sans-I/O parts, as
 * X(suite, behaviour); included by test_list.h.
 */
#ifndef VC_TEST_LIST_SERVER_H
#define VC_TEST_LIST_SERVER_H

#define VC_UNIT_TESTS_SERVER(X)

#endif /* VC_TEST_LIST_SERVER_H */
