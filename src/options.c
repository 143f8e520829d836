#include "config.h"

#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

enum {
	OPT_COLLECT = 256,
	OPT_OFFLINE,
	OPT_REPORT,
	OPT_DAYS,
	OPT_NO_COLOR,
	OPT_NO_HISTORY,
	OPT_TOP,
	OPT_KEEP_RAW,
	OPT_KEEP_HOURLY,
	OPT_HISTORY_INTERVAL,
	OPT_SIMULATE,
	OPT_SEED,
	OPT_TRUTH,
	OPT_UNTIL,
	OPT_PEAK_Z,
	OPT_SERVER_MEMORY,
	OPT_EXPLAIN,
	OPT_ANALYZE,
	OPT_YES,
	OPT_MARK,
	OPT_READ_ONLY,
	OPT_ONLY,
	OPT_AT,
	OPT_REASON,
	OPT_CSV_TABLE,
	OPT_FORCE,
	OPT_HELP,
};

static const struct option long_options[] = {
	{"host", required_argument, NULL, 'h'},
	{"port", required_argument, NULL, 'p'},
	{"username", required_argument, NULL, 'U'},
	{"dbname", required_argument, NULL, 'd'},
	{"no-password", no_argument, NULL, 'w'},
	{"password", no_argument, NULL, 'W'},
	{"interval", required_argument, NULL, 's'},
	{"history", required_argument, NULL, 'H'},
	{"batch", no_argument, NULL, 'b'},
	{"iterations", required_argument, NULL, 'n'},
	{"collect", no_argument, NULL, OPT_COLLECT},
	{"offline", no_argument, NULL, OPT_OFFLINE},
	{"report", required_argument, NULL, OPT_REPORT},
	{"output", required_argument, NULL, 'o'},
	{"csv-table", required_argument, NULL, OPT_CSV_TABLE},
	{"force", no_argument, NULL, OPT_FORCE},
	{"days", required_argument, NULL, OPT_DAYS},
	{"until", required_argument, NULL, OPT_UNTIL},
	{"peak-z", required_argument, NULL, OPT_PEAK_Z},
	{"server-memory", required_argument, NULL, OPT_SERVER_MEMORY},
	{"top", required_argument, NULL, OPT_TOP},
	{"no-history", no_argument, NULL, OPT_NO_HISTORY},
	{"keep-raw", required_argument, NULL, OPT_KEEP_RAW},
	{"keep-hourly", required_argument, NULL, OPT_KEEP_HOURLY},
	{"history-interval", required_argument, NULL, OPT_HISTORY_INTERVAL},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"simulate", required_argument, NULL, OPT_SIMULATE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"truth", required_argument, NULL, OPT_TRUTH},
	{"explain", required_argument, NULL, OPT_EXPLAIN},
	{"analyze", no_argument, NULL, OPT_ANALYZE},
	{"yes", no_argument, NULL, OPT_YES},
	{"mark", required_argument, NULL, OPT_MARK},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"only", required_argument, NULL, OPT_ONLY},
	{"at", required_argument, NULL, OPT_AT},
	{"reason", required_argument, NULL, OPT_REASON},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

void
options_help(FILE *out)
{
	fputs("pgmltop shows what is slow in a PostgreSQL server, now and in its history.\n"
	      "Without --batch, --collect or --report it opens the screen (press ? for its keys).\n"
	      "\n"
	      "Usage:\n"
	      "  pgmltop [OPTION]... [DBNAME [USERNAME]]\n"
	      "\n"
	      "Connection options (as psql; PG* variables, ~/.pgpass and service files work):\n"
	      "  -h, --host=HOST          database server host or socket directory\n"
	      "  -p, --port=PORT          database server port\n"
	      "  -U, --username=USER      database user name\n"
	      "  -d, --dbname=DBNAME      database name, a conninfo string or a URI\n"
	      "  -w, --no-password        never prompt for a password\n"
	      "  -W, --password           prompt for a password before connecting\n"
	      "\n"
	      "Operation:\n"
	      "  -s, --interval=SECONDS   sampling and refresh interval (default 2;\n"
	      "                           60 with --collect)\n"
	      "  -n, --iterations=N       stop after N samples\n"
	      "  -b, --batch              no screen: print a table each interval, as top -b\n"
	      "      --top=N              statements per table in --batch and --offline\n"
	      "                           (default 20; 0 for all)\n"
	      "      --collect            only sample into the history (for a service)\n"
	      "      --offline            no server: browse the history (the screen on a\n"
	      "                           terminal, else a table of the --days window)\n"
	      "      --report=FORMAT      write a report from the history, then exit\n"
	      "                           (FORMAT: html, md, csv or json)\n"
	      "  -o, --output=FILE        where --report writes (default: standard output);\n"
	      "                           written whole or not at all, never through a\n"
	      "                           symbolic link; an existing FILE is kept\n"
	      "      --force              with -o: replace an existing FILE\n"
	      "      --csv-table=NAME     the table that --report=csv writes: statements\n"
	      "                           (default), findings, patterns, parameters,\n"
	      "                           settings_changes or hours\n"
	      "      --only=QUERYID[,...] the report of these statements alone (their\n"
	      "                           figures, findings, recommendations, forecasts)\n"
	      "      --days=N             the analysis and report window, 1 to 365 days\n"
	      "                           (default 7; patterns need 7, weekly ones 21)\n"
	      "      --until=TIME         end that window at TIME, an hour in UTC\n"
	      "                           (YYYY-MM-DD[THH], or epoch seconds; default now)\n"
	      "      --peak-z=Z           robust z-score at which an hour or a day stands\n"
	      "                           out in the patterns (1.5 to 10, default 2.5)\n"
	      "      --server-memory=SIZE the memory of the server's machine (e.g. 16GB),\n"
	      "                           which bounds the parameter advice (default:\n"
	      "                           unknown, and those bounds are skipped)\n"
	      "\n"
	      "History:\n"
	      "  -H, --history=FILE       history file (default:\n"
	      "                           $XDG_DATA_HOME/pgmltop/history.db)\n"
	      "      --no-history         do not store samples\n"
	      "      --history-interval=SECONDS\n"
	      "                           how often the screen (default 10, or -s when\n"
	      "                           longer) and --batch (default every sample)\n"
	      "                           store a sample; one with new query texts,\n"
	      "                           settings or a reset at once; --collect stores\n"
	      "                           every sample\n"
	      "      --keep-raw=DAYS      keep per-interval rows this long (default 2)\n"
	      "      --keep-hourly=DAYS   keep hourly rows this long (default 90)\n"
	      "\n"
	      "Plans (see doc/plan-rules.md):\n"
	      "      --explain=QUERYID    take one sample, then the plan of that statement\n"
	      "                           (EXPLAIN, which does not run it; generic plan of\n"
	      "                           its normalized text, or its text with values seen\n"
	      "                           in pg_stat_activity); print it with its problems,\n"
	      "                           keep it in the history, then exit\n"
	      "      --analyze            with --explain: EXPLAIN ANALYZE, which RUNS the\n"
	      "                           statement (a SELECT with sampled values only, in a\n"
	      "                           read-only transaction, at most 30 s)\n"
	      "      --yes                with --explain: do not ask before the plan of a\n"
	      "                           statement that writes, or before --analyze\n"
	      "\n"
	      "Recommendations (see doc/recommendations.md):\n"
	      "      --mark=ID=STATE      keep what was done with a recommendation (its id in\n"
	      "                           the report or on the screen): new, acknowledged,\n"
	      "                           applied or dismissed; an applied change is measured\n"
	      "                           against the week before once a day has passed\n"
	      "      --at=TIME            with --mark: when it was applied, an hour in UTC\n"
	      "                           (default now)\n"
	      "      --reason=TEXT        with --mark: why (kept with the state)\n"
	      "\n"
	      "Simulation (no server; see doc/simulate.md):\n"
	      "      --simulate=SPEC      write the simulated history that SPEC describes\n"
	      "                           into the file named with -H, then exit\n"
	      "      --seed=N             the seed (default: the spec's)\n"
	      "      --truth=FILE         write what was planted where, as JSON\n"
	      "\n"
	      "Other:\n"
	      "      --read-only          nothing that acts on the server: no cancel or\n"
	      "                           terminate of sessions, no EXPLAIN ANALYZE\n"
	      "      --no-color           no colours (NO_COLOR is honoured too)\n"
	      "  -V, --version            print the version, then exit\n"
	      "  -?, --help               print this help, then exit\n"
	      "\n"
	      "Exit status: 0 success, 1 runtime failure (cannot connect, history unusable),\n"
	      "2 usage error.\n",
	      out);
}

/* "16GB", "512MB", "16G", "17179869184" (bytes): 64 MB to 1 PB. */
static int
parse_size(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = {
		{"", 1},
		{"B", 1},
		{"kB", 1024.0},
		{"K", 1024.0},
		{"MB", 1048576.0},
		{"M", 1048576.0},
		{"GB", 1073741824.0},
		{"G", 1073741824.0},
		{"TB", 1099511627776.0},
		{"T", 1099511627776.0},
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v > 0) || s[0] == '-' || s[0] == ' ')
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0)
			break;
	if (i == sizeof units / sizeof units[0])
		return -1;
	v *= units[i].mul;
	if (v < 64 * 1048576.0 || v > 1125899906842624.0)
		return -1;
	*out = v;
	return 0;
}

static int
set_mode(struct options *o, enum run_mode m, const char *name, struct pgt_err *err)
{
	static const char *const names[] = {"",		"--batch",    "--collect", "--offline",
					    "--report", "--simulate", "--explain", "--mark"};

	if (o->mode != MODE_SCREEN && o->mode != m) {
		pgt_err_set(err, "%s and %s cannot be used together", names[o->mode], name);
		return -1;
	}
	o->mode = m;
	return 0;
}

int
options_parse(int argc, char **argv, struct options *o, struct pgt_err *err)
{
	int c, interval_set = 0;
	double d;

	memset(o, 0, sizeof *o);
	o->mode = MODE_SCREEN;
	o->days = DEFAULT_DAYS;
	o->peak_z = DEFAULT_PEAK_Z;
	o->top = DEFAULT_TOP;
	o->keep_raw_days = DEFAULT_KEEP_RAW_DAYS;
	o->keep_hourly_days = DEFAULT_KEEP_HOURLY_DAYS;
	opterr = 0;
	optind = 0; /* glibc: 0 also forgets the position inside a group like -ab */
	while ((c = getopt_long(argc, argv, ":h:p:U:d:wWs:H:bn:o:V?", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->conn.host = optarg;
			break;
		case 'p':
			o->conn.port = optarg;
			break;
		case 'U':
			o->conn.user = optarg;
			break;
		case 'd':
			o->conn.dbname = optarg;
			break;
		case 'w':
			o->prompt = PROMPT_NEVER;
			break;
		case 'W':
			o->prompt = PROMPT_ALWAYS;
			break;
		case 's':
			if (parse_double(optarg, 0.1, 86400, &d) < 0) {
				pgt_err_set(err,
					    "invalid interval '%s': give seconds from 0.1 to 86400",
					    optarg);
				return -1;
			}
			o->interval = d;
			interval_set = 1;
			break;
		case 'H':
			if (optarg[0] == '\0') {
				pgt_err_set(err, "the history file name is empty");
				return -1;
			}
			o->history = optarg;
			break;
		case 'b':
			if (set_mode(o, MODE_BATCH, "--batch", err) < 0)
				return -1;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1000000000L, &o->iterations) < 0) {
				pgt_err_set(err, "invalid number of iterations '%s': give a whole "
						 "number of 1 or more",
					    optarg);
				return -1;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'V':
			printf("pgmltop %s\n", PACKAGE_VERSION);
			return 1;
		case OPT_COLLECT:
			if (set_mode(o, MODE_COLLECT, "--collect", err) < 0)
				return -1;
			break;
		case OPT_OFFLINE:
			if (set_mode(o, MODE_OFFLINE, "--offline", err) < 0)
				return -1;
			break;
		case OPT_REPORT:
			if (set_mode(o, MODE_REPORT, "--report", err) < 0)
				return -1;
			if (strcmp(optarg, "html") != 0 && strcmp(optarg, "md") != 0 &&
			    strcmp(optarg, "csv") != 0 && strcmp(optarg, "json") != 0) {
				pgt_err_set(err, "unknown report format '%s': give html, md, csv or json",
					    optarg);
				return -1;
			}
			o->report_format = optarg;
			break;
		case OPT_CSV_TABLE: {
			int i;

			for (i = 0; report_csv_tables[i] != NULL; i++)
				if (strcmp(optarg, report_csv_tables[i]) == 0)
					break;
			if (report_csv_tables[i] == NULL) {
				struct strbuf sb = {0};

				for (i = 0; report_csv_tables[i] != NULL; i++)
					sb_addf(&sb, "%s%s", i ? ", " : "", report_csv_tables[i]);
				pgt_err_set(err, "unknown CSV table '%s': give %s", optarg, sb_str(&sb));
				sb_release(&sb);
				return -1;
			}
			o->csv_table = report_csv_tables[i];
			break;
		}
		case OPT_DAYS:
			if (parse_long(optarg, 1, 365, &o->days) < 0) {
				pgt_err_set(err, "invalid number of days '%s': give 1 to 365",
					    optarg);
				return -1;
			}
			break;
		case OPT_PEAK_Z:
			if (parse_double(optarg, 1.5, 10, &o->peak_z) < 0) {
				pgt_err_set(err, "invalid --peak-z '%s': give 1.5 to 10", optarg);
				return -1;
			}
			break;
		case OPT_SERVER_MEMORY:
			if (parse_size(optarg, &o->server_memory) < 0) {
				pgt_err_set(err, "invalid --server-memory '%s': give a size from 64MB "
						 "to 1PB, such as 16GB or 512MB (kB, MB, GB, TB; "
						 "bytes without a unit)",
					    optarg);
				return -1;
			}
			break;
		case OPT_UNTIL:
			if (parse_utc_hour(optarg, &o->until) < 0) {
				pgt_err_set(err, "invalid --until '%s': give an hour in UTC as "
						 "YYYY-MM-DD, YYYY-MM-DDTHH or YYYY-MM-DDTHH:00, or "
						 "epoch seconds on an hour",
					    optarg);
				return -1;
			}
			break;
		case OPT_TOP:
			if (parse_long(optarg, 0, 1000000, &o->top) < 0) {
				pgt_err_set(err, "invalid --top '%s': give 0 (all) or more", optarg);
				return -1;
			}
			break;
		case OPT_NO_HISTORY:
			o->no_history = 1;
			break;
		case OPT_KEEP_RAW:
		case OPT_KEEP_HOURLY:
			if (parse_double(optarg, 0.01, 36500, &d) < 0) {
				pgt_err_set(err, "invalid number of days '%s' for %s: give 0.01 to "
						 "36500",
					    optarg,
					    c == OPT_KEEP_RAW ? "--keep-raw" : "--keep-hourly");
				return -1;
			}
			if (c == OPT_KEEP_RAW)
				o->keep_raw_days = d;
			else
				o->keep_hourly_days = d;
			break;
		case OPT_HISTORY_INTERVAL:
			if (parse_double(optarg, 0.1, 86400, &o->history_interval) < 0) {
				pgt_err_set(err,
					    "invalid --history-interval '%s': give seconds from 0.1 "
					    "to 86400",
					    optarg);
				return -1;
			}
			break;
		case OPT_NO_COLOR:
			o->no_color = 1;
			break;
		case OPT_SIMULATE:
			if (set_mode(o, MODE_SIMULATE, "--simulate", err) < 0)
				return -1;
			o->simulate = optarg;
			break;
		case OPT_SEED: {
			char *end;

			errno = 0;
			o->seed = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '\0' || optarg[0] == '-') {
				pgt_err_set(err, "invalid seed '%s': give a whole number of 0 or more",
					    optarg);
				return -1;
			}
			o->seed_set = 1;
			break;
		}
		case OPT_TRUTH:
			if (optarg[0] == '\0') {
				pgt_err_set(err, "the truth file name is empty");
				return -1;
			}
			o->truth = optarg;
			break;
		case OPT_EXPLAIN: {
			char *end;
			long long v;

			if (set_mode(o, MODE_EXPLAIN, "--explain", err) < 0)
				return -1;
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '\0' || v == 0) {
				pgt_err_set(err, "invalid query id '%s': give the queryid of"
						 " pg_stat_statements, a whole number",
					    optarg);
				return -1;
			}
			o->explain_queryid = (int64_t)v;
			break;
		}
		case OPT_MARK: {
			const char *eq = strchr(optarg, '=');
			static const char *const states[] = {"new", "acknowledged", "applied",
							     "dismissed"};
			size_t n = eq != NULL ? (size_t)(eq - optarg) : 0;

			if (set_mode(o, MODE_MARK, "--mark", err) < 0)
				return -1;
			o->mark_state = NULL;
			for (size_t k = 0; eq != NULL && k < sizeof states / sizeof states[0]; k++)
				if (strcmp(eq + 1, states[k]) == 0)
					o->mark_state = states[k];
			if (eq == NULL || n == 0 || n >= sizeof o->mark_buf || o->mark_state == NULL) {
				pgt_err_set(err, "invalid --mark '%s': give ID=STATE, STATE one of new,"
						 " acknowledged, applied, dismissed",
					    optarg);
				return -1;
			}
			memcpy(o->mark_buf, optarg, n);
			o->mark_buf[n] = '\0';
			o->mark_id = o->mark_buf;
			break;
		}
		case OPT_ONLY: {
			char *copy = xstrdup(optarg), *tok, *save = NULL;

			for (tok = strtok_r(copy, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				char *end;
				long long v;

				errno = 0;
				v = strtoll(tok, &end, 10);
				if (errno != 0 || *end != '\0' || *tok == '\0' || v == 0 ||
				    o->n_only >= (int)(sizeof o->only / sizeof o->only[0])) {
					pgt_err_set(err, "invalid --only '%s': give up to 64 query ids,"
							 " separated by commas",
						    optarg);
					free(copy);
					return -1;
				}
				o->only[o->n_only++] = (int64_t)v;
			}
			free(copy);
			if (o->n_only == 0) {
				pgt_err_set(err, "invalid --only '%s': give up to 64 query ids,"
						 " separated by commas",
					    optarg);
				return -1;
			}
			break;
		}
		case OPT_READ_ONLY:
			o->read_only = 1;
			break;
		case OPT_AT:
			if (parse_utc_hour(optarg, &o->mark_at) < 0) {
				pgt_err_set(err, "invalid --at '%s': give an hour in UTC as YYYY-MM-DD,"
						 " YYYY-MM-DDTHH or YYYY-MM-DDTHH:00, or epoch seconds on"
						 " an hour",
					    optarg);
				return -1;
			}
			break;
		case OPT_REASON:
			o->mark_reason = optarg;
			break;
		case OPT_ANALYZE:
			o->explain_analyze = 1;
			break;
		case OPT_YES:
			o->yes = 1;
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case ':':
			pgt_err_set(err, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		case OPT_HELP:
			options_help(stdout);
			return 1;
		case '?':
			if (strcmp(argv[optind - 1], "-?") == 0) {
				options_help(stdout);
				return 1;
			}
			if (strncmp(argv[optind - 1], "--", 2) == 0) {
				const char *arg = argv[optind - 1];
				const char *eq = strchr(arg, '=');

				if (eq != NULL && optopt != 0)
					pgt_err_set(err, "option '%.*s' takes no value", (int)(eq - arg),
						    arg);
				else
					pgt_err_set(err, "unrecognized option '%s'", arg);
			} else if (optopt > ' ' && optopt < 127) {
				pgt_err_set(err, "invalid option -- '%c'", optopt);
			} else {
				pgt_err_set(err, "invalid option '%s'", argv[optind - 1]);
			}
			return -1;
		default:
			pgt_err_set(err, "invalid option");
			return -1;
		}
	}
	if (optind < argc && o->conn.dbname == NULL)
		o->conn.dbname = argv[optind++];
	else if (optind < argc && o->conn.dbname != NULL && o->conn.user == NULL) {
		/* -d given: a lone argument is the user, as psql takes it */
		o->conn.user = argv[optind++];
	}
	if (optind < argc && o->conn.user == NULL)
		o->conn.user = argv[optind++];
	if (optind < argc) {
		pgt_err_set(err, "too many arguments, starting with '%s'", argv[optind]);
		return -1;
	}
	o->interval_set = interval_set;
	if (!interval_set)
		o->interval = o->mode == MODE_COLLECT ? DEFAULT_COLLECT_INTERVAL : DEFAULT_INTERVAL;
	if (o->output != NULL && o->mode != MODE_REPORT) {
		pgt_err_set(err, "--output is for --report");
		return -1;
	}
	if (o->force && o->output == NULL) {
		pgt_err_set(err, "--force is for --report with -o FILE");
		return -1;
	}
	if (o->n_only > 0 && o->mode != MODE_REPORT) {
		pgt_err_set(err, "--only is for --report");
		return -1;
	}
	if (o->csv_table != NULL &&
	    (o->report_format == NULL || strcmp(o->report_format, "csv") != 0)) {
		pgt_err_set(err, "--csv-table is for --report=csv");
		return -1;
	}
	if (o->no_history && (o->mode == MODE_COLLECT || o->mode == MODE_OFFLINE ||
			      o->mode == MODE_REPORT)) {
		pgt_err_set(err, "--no-history cannot be used with --collect, --offline or --report");
		return -1;
	}
	if ((o->mark_at > 0 || o->mark_reason != NULL) && o->mode != MODE_MARK) {
		pgt_err_set(err, "--at and --reason are for --mark");
		return -1;
	}
	if (o->mode == MODE_MARK && o->no_history) {
		pgt_err_set(err, "--mark keeps the state in the history: --no-history cannot be used");
		return -1;
	}
	if (o->read_only && o->explain_analyze) {
		pgt_err_set(err, "--analyze runs the statement: it cannot be used with --read-only");
		return -1;
	}
	if ((o->explain_analyze || o->yes) && o->mode != MODE_EXPLAIN) {
		pgt_err_set(err, "--analyze and --yes are for --explain");
		return -1;
	}
	if ((o->seed_set || o->truth != NULL) && o->mode != MODE_SIMULATE) {
		pgt_err_set(err, "--seed and --truth are for --simulate");
		return -1;
	}
	if (o->mode == MODE_SIMULATE) {
		if (o->history == NULL) {
			pgt_err_set(err, "--simulate writes a new history: name its file with -H "
					 "(never the default history)");
			return -1;
		}
		if (o->no_history) {
			pgt_err_set(err, "--no-history cannot be used with --simulate");
			return -1;
		}
		if (o->conn.host || o->conn.port || o->conn.user || o->conn.dbname) {
			pgt_err_set(err, "--simulate connects to no server: leave out the "
					 "connection options");
			return -1;
		}
	}
	if (getenv("NO_COLOR") != NULL && getenv("NO_COLOR")[0] != '\0')
		o->no_color = 1;
	return 0;
}
