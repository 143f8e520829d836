#include "config.h"

#include "screen-heatmap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>

static const char *const wday_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* Characters of increasing density, one per level; then the one of an hour not in history. */
static const char *const ramp_utf8[HEATMAP_LEVELS + 1] = {
	" ", "\xe2\x96\x91", "\xe2\x96\x92", "\xe2\x96\x93", "\xe2\x96\x88", "\xc2\xb7"};
static const char *const ramp_ascii[HEATMAP_LEVELS + 1] = {" ", ".", ":", "+", "#", "-"};

void
heatmap_colors(void)
{
	/* cool to hot; the text colour matches so that the cell is one block of colour */
	static const short bg[HEATMAP_LEVELS] = {-1, COLOR_BLUE, COLOR_CYAN, COLOR_YELLOW,
						 COLOR_RED};
	int i;

	for (i = 0; i < HEATMAP_LEVELS; i++)
		init_pair((short)(HEATMAP_PAIR0 + i), i == 0 ? -1 : COLOR_BLACK, bg[i]);
}

/* The label of a row: "Mon" (week) or "Mon 11-23" (days). */
static void
row_label(const struct heatmap *hm, int row, char *buf, size_t size)
{
	if (hm->layout == HEATMAP_WEEK) {
		snprintf(buf, size, "%s", wday_names[hm->row_wday[row] % 7]);
	} else {
		time_t t = (time_t)hm->row_t[row];
		struct tm tm;

		if (localtime_r(&t, &tm) == NULL)
			snprintf(buf, size, "?");
		else
			snprintf(buf, size, "%s %02d-%02d", wday_names[tm.tm_wday % 7],
				 tm.tm_mon + 1, tm.tm_mday);
	}
}

/* A line of text at (y, x), cut at the right edge (the text is plain ASCII or made safe). */
static void
text_at(int y, int x, attr_t attr, const char *text)
{
	int width = COLS - x - (y == LINES - 1 ? 1 : 0);

	if (y < 0 || y >= LINES || width <= 0)
		return;
	attron(attr);
	mvaddnstr(y, x, text, width);
	attroff(attr);
}

static void
clamp_cursor(struct heatmap_view *v, int grid_rows)
{
	const struct heatmap *hm = v->hm;

	if (v->col < 0)
		v->col = 0;
	if (v->col >= HEATMAP_COLS)
		v->col = HEATMAP_COLS - 1;
	if (v->row >= hm->rows)
		v->row = hm->rows - 1;
	if (v->row < 0)
		v->row = 0;
	if (v->row < v->top)
		v->top = v->row;
	if (grid_rows > 0 && v->row >= v->top + grid_rows)
		v->top = v->row - grid_rows + 1;
	if (v->top > hm->rows - grid_rows)
		v->top = hm->rows - grid_rows;
	if (v->top < 0)
		v->top = 0;
}

void
heatmap_cursor_text(const struct heatmap_view *v, char *buf, size_t size)
{
	const struct heatmap *hm = v->hm;
	char label[32], value[32], when[48];
	double x;
	int hours;

	if (hm == NULL || hm->rows == 0) {
		snprintf(buf, size, "-");
		return;
	}
	row_label(hm, v->row, label, sizeof label);
	if (hm->layout == HEATMAP_DAYS) {
		time_t t = (time_t)hm->row_t[v->row];
		struct tm tm;

		if (localtime_r(&t, &tm) != NULL)
			snprintf(label, sizeof label, "%s %04d-%02d-%02d", wday_names[tm.tm_wday % 7],
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	snprintf(when, sizeof when, "%s %02d:00", label, v->col);
	x = heatmap_at(hm, v->row, v->col);
	hours = hm->hours[(size_t)v->row * HEATMAP_COLS + (size_t)v->col];
	if (hours == 0) {
		snprintf(buf, size, "%s  no history", when);
		return;
	}
	if (isnan(x)) {
		snprintf(buf, size, "%s  no calls (%d hour%s)", when, hours, hours == 1 ? "" : "s");
		return;
	}
	heatmap_format(value, sizeof value, hm->metric, x);
	snprintf(buf, size, "%s  %s %s (%s%d hour%s)", when, value,
		 hm->metric == HEATMAP_CALLS	  ? "calls per hour"
		 : hm->metric == HEATMAP_TOTAL_MS ? "of execution per hour"
						  : "per call",
		 hm->layout == HEATMAP_WEEK && hours > 1 ? "average of " : "", hours,
		 hours == 1 ? "" : "s");
}

void
heatmap_draw(struct heatmap_view *v, int y0, int height)
{
	const struct heatmap *hm = v->hm;
	const char *const *ramp = v->utf8 ? ramp_utf8 : ramp_ascii;
	int label_w = hm != NULL && hm->layout == HEATMAP_DAYS ? 10 : 4;
	int cw = COLS >= label_w + 3 * HEATMAP_COLS ? 3 : 2;
	int grid_rows, y = y0, r, c, k;
	char buf[256];

	text_at(y++, 0, A_BOLD, v->title);
	if (hm == NULL || hm->rows == 0 || hm->cells == 0) {
		text_at(y, 0, 0, v->status ? v->status : "(no hours in the history for this window)");
		return;
	}
	/* title, hours, the grid, a blank line, legend, cursor */
	grid_rows = height - 5;
	if (grid_rows < 1)
		grid_rows = 1;
	if (grid_rows > hm->rows)
		grid_rows = hm->rows;
	clamp_cursor(v, grid_rows);

	move(y, 0);
	for (c = 0; c < HEATMAP_COLS; c++) {
		int x = label_w + c * cw;

		if (x + 2 > COLS)
			break;
		snprintf(buf, sizeof buf, "%02d", c);
		text_at(y, x, c == v->col ? A_BOLD : 0, buf);
	}
	y++;
	for (r = v->top; r < v->top + grid_rows && r < hm->rows && y < y0 + height; r++, y++) {
		row_label(hm, r, buf, sizeof buf);
		text_at(y, 0, r == v->row ? A_BOLD : 0, buf);
		for (c = 0; c < HEATMAP_COLS; c++) {
			int x = label_w + c * cw, level, w;
			double val = heatmap_at(hm, r, c);
			attr_t attr = 0;
			const char *ch;

			if (x + cw - 1 > COLS - (y == LINES - 1 ? 1 : 0))
				break;
			/* an hour with no calls has no mean time: shown as the lowest */
			level = hm->hours[(size_t)r * HEATMAP_COLS + (size_t)c] == 0 ? -1
				: isnan(val)					      ? 0
					: heatmap_level(hm, val, HEATMAP_LEVELS);
			ch = level < 0 ? ramp[HEATMAP_LEVELS] : ramp[level];
			if (v->color && level >= 0)
				attr |= COLOR_PAIR(HEATMAP_PAIR0 + level);
			if (r == v->row && c == v->col)
				attr |= A_REVERSE | A_BOLD;
			attron(attr);
			/* a cell is cw - 1 marks wide; the last column is the gap */
			for (w = 0; w < cw - 1; w++)
				mvaddstr(y, x + w, ch);
			attroff(attr);
		}
	}
	y++;
	if (y < y0 + height) {
		/* the legend: each level's mark and the largest value it stands for */
		int x = 0;

		text_at(y, x, 0, "Legend:");
		x += 8;
		for (k = 0; k < HEATMAP_LEVELS && x < COLS - 1; k++) {
			char value[32];
			attr_t attr = v->color ? COLOR_PAIR(HEATMAP_PAIR0 + k) : 0;

			attron(attr);
			mvaddstr(y, x, ramp[k]);
			mvaddstr(y, x + 1, ramp[k]);
			attroff(attr);
			heatmap_format(value, sizeof value, hm->metric,
				       heatmap_level_top(hm, k, HEATMAP_LEVELS));
			snprintf(buf, sizeof buf, " <=%s", value);
			text_at(y, x + 2, 0, buf);
			x += 2 + (int)strlen(buf) + 2;
		}
		if (x < COLS - 1) {
			mvaddstr(y, x, ramp[HEATMAP_LEVELS]);
			text_at(y, x + 1, 0, " no history");
		}
		y++;
	}
	if (y < y0 + height) {
		heatmap_cursor_text(v, buf, sizeof buf);
		text_at(y, 0, 0, "Cursor: ");
		text_at(y, 8, A_BOLD, buf);
	}
}
