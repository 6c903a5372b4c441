/* scp record parser, name check and command splitter (shared/child/scp_parse.c). */
#include <stdio.h>
#include <string.h>

#include "scp.h"
#include "t.h"

static int parse(const char *line, struct scp_record *r)
{
	struct buf b;
	char err[64];
	buf_view(&b, line, strlen(line));
	return scp_parse_record(&b, r, err, sizeof(err));
}

TEST(file_record)
{
	struct scp_record r;
	CHECK_EQ_INT(parse("C0644 5 hello.txt", &r), 0);
	CHECK_EQ_INT(r.type, SCP_REC_FILE);
	CHECK_EQ_INT(r.mode, 0644);
	CHECK(r.size == 5);
	CHECK_STR(r.name, "hello.txt");
	CHECK_EQ_INT(parse("C0600 6442450944 big file with spaces", &r), 0); /* > 4 GiB */
	CHECK(r.size == 6442450944ull);
	CHECK_STR(r.name, "big file with spaces");
	CHECK_EQ_INT(parse("C0644 9223372036854775807 max", &r), 0);
	CHECK_EQ_INT(parse("C0644 9223372036854775808 over", &r), -1);
	CHECK_EQ_INT(parse("C0644 99999999999999999999 over", &r), -1);
}

TEST(dir_end_time_records)
{
	struct scp_record r;
	CHECK_EQ_INT(parse("D0755 0 sub", &r), 0);
	CHECK_EQ_INT(r.type, SCP_REC_DIR);
	CHECK_EQ_INT(r.mode, 0755);
	CHECK_EQ_INT(parse("E", &r), 0);
	CHECK_EQ_INT(r.type, SCP_REC_END);
	CHECK_EQ_INT(parse("E junk", &r), -1);
	CHECK_EQ_INT(parse("T1234567890 0 1234567891 999999", &r), 0);
	CHECK(r.mtime == 1234567890 && r.atime == 1234567891);
	CHECK_EQ_INT(parse("T1 1000000 2 0", &r), -1); /* usec out of range */
	CHECK_EQ_INT(parse("T1 0 2", &r), -1);
	CHECK_EQ_INT(parse("T1 0 2 0 ", &r), -1);
}

TEST(messages)
{
	struct scp_record r;
	CHECK_EQ_INT(parse("\001scp: x: No such file", &r), 0);
	CHECK_EQ_INT(r.type, SCP_REC_WARN);
	CHECK_STR(r.msg, "scp: x: No such file");
	CHECK_EQ_INT(parse("\002fatal", &r), 0);
	CHECK_EQ_INT(r.type, SCP_REC_FATAL);
}

TEST(hostile_names_refused)
{
	struct scp_record r;
	CHECK_EQ_INT(parse("C0644 5 ../x", &r), -1);
	CHECK_EQ_INT(parse("D0755 0 ..", &r), -1);
	CHECK_EQ_INT(parse("D0755 0 .", &r), -1);
	CHECK_EQ_INT(parse("C0644 5 /etc/passwd", &r), -1);
	CHECK_EQ_INT(parse("C0644 5 a/b", &r), -1);
	CHECK_EQ_INT(parse("C0644 5 ", &r), -1);
	struct buf b;
	char err[64];
	static const char nul[] = "C0644 5 a\0b";
	buf_view(&b, nul, sizeof(nul) - 1);
	CHECK_EQ_INT(scp_parse_record(&b, &r, err, sizeof(err)), -1);
	CHECK_EQ_INT(scp_name_ok("a\nb"), 0);
	CHECK_EQ_INT(scp_name_ok("..."), 1);
	CHECK_EQ_INT(scp_name_ok(".hidden"), 1);
}

TEST(malformed_records)
{
	struct scp_record r;
	CHECK_EQ_INT(parse("", &r), -1);
	CHECK_EQ_INT(parse("X", &r), -1);
	CHECK_EQ_INT(parse("C644 5 x", &r), -1);   /* 3 mode digits */
	CHECK_EQ_INT(parse("C0648 5 x", &r), -1);  /* not octal */
	CHECK_EQ_INT(parse("C0644 -5 x", &r), -1); /* negative */
	CHECK_EQ_INT(parse("C0644 5", &r), -1);	   /* no name */
	CHECK_EQ_INT(parse("C0644  5 x", &r), -1);
	char longname[SCP_NAME_MAX + 20];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	char line[SCP_NAME_MAX + 40];
	snprintf(line, sizeof(line), "C0644 1 %s", longname);
	CHECK_EQ_INT(parse(line, &r), -1);
}

TEST(command_lines)
{
	struct scp_cmd c;
	CHECK_EQ_INT(scp_parse_command("scp -t .", &c), 0);
	CHECK(c.sink && !c.source && c.npaths == 1);
	CHECK_STR(c.paths[0], ".");
	scp_cmd_free(&c);
	CHECK_EQ_INT(scp_parse_command("scp -v -r -p -d -t -- /tmp/x y", &c), -1); /* two targets */
	CHECK_EQ_INT(scp_parse_command("/usr/bin/scp -v -r -p -d -t -- '/tmp/dir with space'", &c), 0);
	CHECK(c.verbose && c.recursive && c.preserve && c.target_dir);
	CHECK_STR(c.paths[0], "/tmp/dir with space");
	scp_cmd_free(&c);
	CHECK_EQ_INT(scp_parse_command("scp -f a \"b c\" d\\ e 'it'\\''s' -x", &c), 0);
	CHECK_EQ_INT((int)c.npaths, 5);
	CHECK_STR(c.paths[1], "b c");
	CHECK_STR(c.paths[2], "d e");
	CHECK_STR(c.paths[3], "it's");
	CHECK_STR(c.paths[4], "-x"); /* after the first path: a path */
	scp_cmd_free(&c);
	CHECK_EQ_INT(scp_parse_command("scp -rf *.txt", &c), 0);
	CHECK_STR(c.paths[0], "*.txt");
	scp_cmd_free(&c);
	/* not ours: other programs, both or neither mode, unknown flags, shell syntax */
	CHECK_EQ_INT(scp_parse_command("rsync --server .", &c), -1);
	CHECK_EQ_INT(scp_parse_command("notscp -t .", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t -f .", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp x", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -3 -t .", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t $HOME", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t \"$HOME\"", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t x; rm -rf y", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t `id`", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t 'unterminated", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t x | y", &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t x\\", &c), -1);
	CHECK_EQ_INT(scp_parse_command(NULL, &c), -1);
	CHECK_EQ_INT(scp_parse_command("scp -t '$HOME'", &c), 0); /* literal in single quotes */
	CHECK_STR(c.paths[0], "$HOME");
	scp_cmd_free(&c);
}

int main(void)
{
	RUN(file_record);
	RUN(dir_end_time_records);
	RUN(messages);
	RUN(hostile_names_refused);
	RUN(malformed_records);
	RUN(command_lines);
	return t_done();
}
