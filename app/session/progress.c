#include "app/session/progress.h"

#include "engine/clock.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

void nf_progress_start(nf_progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total;
    p->started = p->last_drawn = nf_clock();
    p->tty = isatty(fileno(stderr));
    if (p->quiet_seconds <= 0) p->quiet_seconds = 30;
}

static void format_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

void nf_progress_update(nf_progress *p, long done, const char *detail)
{
    double now = nf_clock();
    double gap = p->tty ? 0.25 : p->quiet_seconds;
    if (now - p->last_drawn < gap && done < p->total) return;
    p->last_drawn = now;
    double elapsed = now - p->started, rate = elapsed > 0 ? done / elapsed : 0;
    char eta[32] = "?";
    if (rate > 0) format_duration((p->total - done) / rate, eta, sizeof eta);
    fprintf(stderr, "%s%s  %3.0f%%  %ld/%ld  %.0f/s  eta %s  %s%s", p->tty ? "\r\033[K" : "", p->label,
            p->total ? 100.0 * done / p->total : 100.0, done, p->total, rate, eta, detail ? detail : "",
            p->tty ? "" : "\n");
    fflush(stderr);
}

void nf_progress_end(nf_progress *p)
{
    if (p->tty) fputc('\n', stderr);
}
