/*
 * The forecast section of a statement's drill-down: its calls per hour of the last week
 * and the forecast of the next one with its 80% band, as a few lines of plain text
 * characters, or why there is none yet. Knows nothing of the history or of curses.
 */
#ifndef PGMLTOP_SCREEN_FORECAST_H
#define PGMLTOP_SCREEN_FORECAST_H

#include <stddef.h>

#include "forecast.h"
#include "xutil.h"

/* Rows of the chart. */
#define FORECAST_CHART_ROWS 6

/*
 * Add the section, its title line "Forecast" first, to body, for a width of columns:
 * f's chart, or "learning (N of M hours)", or instead when f is NULL (the forecast is
 * being read). Returns the lines added.
 */
int forecast_section(struct strbuf *body, const struct forecast *f, const char *instead,
		     size_t width);

#endif
