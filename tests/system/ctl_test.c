/*
 * ctl_test - ctnicd's control protocol (host/ctl.c) line by line, without
 * a socket: every request line gets one JSON answer, malformed ones an
 * error that says what to send, handlers' results and errors pass through,
 * and a request's id comes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"

static int calls;

static cJSON *cmd_echo(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	const cJSON *what = cJSON_GetObjectItemCaseSensitive(req, "what");
	cJSON *r;

	(void)err;
	(void)errlen;
	calls++;
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "ctx", ctx);
	cJSON_AddStringToObject(r, "what", cJSON_IsString(what) ? what->valuestring : "");
	return r;
}

static cJSON *cmd_fail(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	(void)ctx;
	(void)req;
	calls++;
	snprintf(err, errlen, "CSR read 0x0000 on sim:/x: the simulator exited");
	return NULL;
}

static const struct ctnicd_ctl_cmd cmds[] = {
	{ "echo", cmd_echo, "says back" },
	{ "fail", cmd_fail, "always fails" },
	{ NULL, NULL, NULL },
};

/* The answer to line, parsed; checks it is one line of one object with a boolean ok. */
static cJSON *answer(const char *line)
{
	char *a = ctnicd_ctl_answer(cmds, "the-ctx", line);
	cJSON *j;

	assert_non_null(a);
	assert_null(strchr(a, '\n'));
	j = cJSON_Parse(a);
	free(a);
	assert_non_null(j);
	assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "ok")));
	return j;
}

static void expect_error(const char *line, const char *needle)
{
	cJSON *j = answer(line);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "ok")));
	assert_true(cJSON_IsString(e));
	print_message("# %s -> %s\n", line, e->valuestring);
	assert_non_null(strstr(e->valuestring, needle));
	cJSON_Delete(j);
}

static void test_text_that_is_not_json_gets_an_error_saying_what_to_send(void **state)
{
	(void)state;
	expect_error("device please", "{\"cmd\":\"device\"}");
	expect_error("", "not JSON");
	expect_error("{\"cmd\":", "not JSON");
}

static void test_json_without_a_cmd_string_is_refused(void **state)
{
	(void)state;
	expect_error("[\"echo\"]", "no \"cmd\" string");
	expect_error("{\"cmd\":42}", "no \"cmd\" string");
	expect_error("{\"command\":\"echo\"}", "no \"cmd\" string");
	expect_error("\"echo\"", "no \"cmd\" string");
}

static void test_unknown_command_is_refused_naming_the_known_ones(void **state)
{
	(void)state;
	calls = 0;
	expect_error("{\"cmd\":\"reboot\"}", "unknown command \"reboot\": this daemon knows echo, fail");
	assert_int_equal(calls, 0);
}

static void test_handler_result_comes_back_with_the_request_id(void **state)
{
	cJSON *j;

	(void)state;
	j = answer("{\"cmd\":\"echo\",\"what\":\"hi\",\"id\":\"req-9\"}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "id")->valuestring, "req-9");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "result");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "what")->valuestring, "hi");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "ctx")->valuestring, "the-ctx");
	cJSON_Delete(j);
}

static void test_handler_error_comes_back_as_its_message(void **state)
{
	cJSON *j;

	(void)state;
	j = answer("{\"cmd\":\"fail\",\"id\":3}");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "ok")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "id")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring,
			    "CSR read 0x0000 on sim:/x: the simulator exited");
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "result"));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_that_is_not_json_gets_an_error_saying_what_to_send),
		cmocka_unit_test(test_json_without_a_cmd_string_is_refused),
		cmocka_unit_test(test_unknown_command_is_refused_naming_the_known_ones),
		cmocka_unit_test(test_handler_result_comes_back_with_the_request_id),
		cmocka_unit_test(test_handler_error_comes_back_as_its_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
