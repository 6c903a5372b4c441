/* Unit tests for shared/log.c: level names, parsing, the shared level page
 * (a forked child sees a level set by its parent after the fork). */
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

TEST(level_values_are_ours_not_syslogs)
{
	/* syslog.h is included above on purpose: our names must survive it. */
	CHECK_EQ_INT(LOG_TRACE, 0);
	CHECK_EQ_INT(LOG_DEBUG, 1);
	CHECK_EQ_INT(LOG_INFO, 2);
	CHECK_EQ_INT(LOG_WARN, 3);
	CHECK_EQ_INT(LOG_ERROR, 4);
}

TEST(parse_names)
{
	CHECK_EQ_INT(log_level_parse("debug"), LOG_DEBUG);
	CHECK_EQ_INT(log_level_parse("INFO"), LOG_INFO);
	CHECK_EQ_INT(log_level_parse("Verbose"), LOG_INFO);
	CHECK_EQ_INT(log_level_parse("DEBUG3"), LOG_TRACE);
	CHECK_EQ_INT(log_level_parse("warning"), LOG_WARN);
	CHECK_EQ_INT(log_level_parse("nonsense"), -1);
	CHECK_EQ_INT(log_level_parse(NULL), -1);
	CHECK_STR(log_level_name(LOG_ERROR), "ERROR");
}

TEST(shared_level_reaches_forked_child)
{
	log_init("test", LOG_INFO, LOG_TO_STDERR);
	CHECK_EQ_INT(log_share_level(), 0);
	int go[2], done[2];
	CHECK_EQ_INT(pipe(go), 0);
	CHECK_EQ_INT(pipe(done), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		/* Wait until the parent changed the level after the fork. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(log_get_level() == LOG_DEBUG ? 0 : 1);
	}
	log_set_level(LOG_DEBUG);
	CHECK_EQ_INT(write(go[1], "x", 1), 1);
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(log_enabled(LOG_DEBUG));
	CHECK(!log_enabled(LOG_TRACE));
	log_set_level(LOG_INFO);
}

int main(void)
{
	RUN(level_values_are_ours_not_syslogs);
	RUN(parse_names);
	RUN(shared_level_reaches_forked_child);
	return t_done();
}
