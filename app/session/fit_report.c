#include "engine/op.h"
#include "app/session/fit_report.h"

#include <stdio.h>
#include <unistd.h>

#include "app/session/signals.h"
#include "nas/cost.h"

void nf_fit_report_init(nf_fit_report *r, int quiet) { *r = (nf_fit_report){.quiet = quiet}; }

static void clock_text(double s, char *buf, size_t cap)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
}

static void end_progress(nf_fit_report *r)
{
    if (r->progress_started) nf_progress_end(&r->progress);
    r->progress_started = 0;
}

void nf_fit_report_progress(void *user, const nf_search *s, int64_t done, int64_t total)
{
    nf_fit_report *r = user;
    if (r->quiet || !isatty(fileno(stderr))) return; /* a log gets the generation lines only */
    if (!r->progress_started) {
        static char label[48];
        snprintf(label, sizeof label, "generation %d", s->generation);
        nf_progress_start(&r->progress, label, (long)total);
        r->progress_started = 1;
    }
    r->progress.total = (long)total;
    nf_progress_update(&r->progress, (long)(done < total ? done : total), "");
}

nf_status nf_fit_report_generation(void *user, const nf_search *s, const nf_gen_stats *st)
{
    nf_fit_report *r = user;
    end_progress(r);
    if (r->quiet) return NF_OK;
    char arch[160] = "", elapsed[32], eta[48] = "";
    const nf_candidate *best = s->best;
    if (best) nf_graph_brief(best->g, arch, sizeof arch);
    double used = nf_search_elapsed(s);
    clock_text(used, elapsed, sizeof elapsed);
    if (s->cfg.time_budget > 0) {
        char left[32];
        clock_text(s->cfg.time_budget > used ? s->cfg.time_budget - used : 0, left, sizeof left);
        snprintf(eta, sizeof eta, "  eta %s", left);
    }
    printf("gen %3d  best %.4f  median %.4f  pop %d%s  %5.1f s  elapsed %s%s  best so far: %s (%.4f)\n",
           st->generation, st->best_accuracy, st->median_fitness, st->population,
           st->failed ? "  failed " : "", st->seconds, elapsed, eta, arch, best ? best->val_accuracy : 0.0);
    fflush(stdout);
    return NF_OK;
}

nf_status nf_fit_report_final_started(void *user, const nf_search *s, int64_t images)
{
    nf_fit_report *r = user;
    end_progress(r);
    const nf_search_config *c = &s->cfg;
    if (!r->quiet) {
        printf("search ended (%s) after generation %d; final training of candidate %lld on %lld images, "
               "learning rate decaying to 0",
               nf_stop_name(s->stop_reason), s->generation, (long long)s->best->id, (long long)images);
        if (c->final_label_smoothing > 0) printf(", label smoothing %g", c->final_label_smoothing);
        if (c->final_average > 0) printf(", weights averaged over its last %g %%", 100 * c->final_average);
        printf("\n");
    }
    fflush(stdout);
    return NF_OK;
}

nf_status nf_fit_report_finished(void *user, const nf_search *s, const nf_result *res)
{
    nf_fit_report *r = user;
    end_progress(r);
    const nf_candidate *w = res->winner;
    char arch[256], elapsed[32];
    nf_graph_brief(w->g, arch, sizeof arch);
    clock_text(nf_search_elapsed(s), elapsed, sizeof elapsed);
    nf_cost cost = nf_cost_of(w->g);
    printf("winner: candidate %lld (born in generation %d), %lld parameters, %.1f MFLOPs per image, %s lr %.3g batch %d\n",
           (long long)w->id, w->born, (long long)cost.params, cost.flops / 1e6, nf_optim_name(w->set.optim.kind),
           w->set.optim.lr, w->set.batch);
    printf("architecture: %s\n", arch);
    printf("validation accuracy %.4f (before the final training %.4f)\n", res->val_accuracy, res->val_before_final);
    if (res->test_accuracy >= 0) printf("test accuracy %.4f\n", res->test_accuracy);
    printf("time %s\n", elapsed);
    fflush(stdout);
    return NF_OK;
}

int nf_fit_report_stop(void *user)
{
    (void)user;
    return nf_signals_stop_requested();
}

nf_search_hooks nf_fit_report_hooks(nf_fit_report *r)
{
    return (nf_search_hooks){.user = r, .generation_done = nf_fit_report_generation,
                             .final_started = nf_fit_report_final_started, .finished = nf_fit_report_finished,
                             .stop = nf_fit_report_stop, .progress = nf_fit_report_progress};
}

int nf_fit_report_end(nf_fit_report *r, const nf_search *s, nf_status st, nf_doing doing)
{
    end_progress(r);
    if (st == NF_ERR_INTERRUPTED)
        fprintf(stderr, "nasfit: interrupted at generation %d; the run can be resumed\n", s ? s->generation : 0);
    else if (st)
        fprintf(stderr, "nasfit: %s\n", nf_last_error());
    return nf_exit_code(st, doing);
}
