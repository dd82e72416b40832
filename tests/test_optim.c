/* The optimisers' state across mutations: a parameter that a mutation
 * creates is stepped as a fresh network's parameter would be, however old
 * the network around it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/optim.h"
#include "nas/mutate.h"
#include "nas_fixtures.h"

/* Steps g n times with gradients drawn from rng. */
static void step_with_random_gradients(nf_graph *g, const nf_optim *o, int n, nf_rng *rng)
{
    for (int s = 0; s < n; s++) {
        for (size_t i = 0; i < g->n_param; i++) g->grad[i] = (float)nf_rng_normal(rng);
        nf_optim_step(g, o);
    }
}

/* Grows conv 1 of an Adam-trained chain by 3 neurons, then takes one step
 * with the same gradient on it and on a copy whose optimiser state is reset
 * (a fresh network): every new parameter must move exactly as in the copy. */
static void grown_neurons_step_as_in_a_fresh_network(nf_optim_kind kind)
{
    nf_graph *g = fx_chain();
    nf_rng rng = fx_rng(7);
    nf_optim o = nf_optim_defaults(kind);
    step_with_random_gradients(g, &o, 50, &rng);
    nf_mutate_params p = nf_mutate_defaults(&rng);
    assert_int_equal(nf_mutate_nout(g, 1, 3, &p), NF_OK);

    nf_graph *fresh;
    assert_int_equal(nf_graph_clone(g, &fresh), NF_OK);
    nf_optim_reset(fresh);
    float *before = malloc(g->n_param * sizeof *before);
    memcpy(before, g->param, g->n_param * sizeof *before);
    for (size_t i = 0; i < g->n_param; i++) g->grad[i] = fresh->grad[i] = (float)nf_rng_normal(&rng);
    int young = 0, old_differ = 0;
    for (size_t i = 0; i < g->n_param; i++) young += g->age[i] == 0.0f;
    nf_optim_step(g, &o);
    nf_optim_step(fresh, &o);
    for (size_t i = 0; i < g->n_param; i++) {
        if (g->age[i] == 1.0f) assert_true(g->param[i] == fresh->param[i]);
        else old_differ += g->param[i] - before[i] != fresh->param[i] - before[i];
    }
    assert_true(young >= 3 * 3 * 3 * 3); /* at least the new rows of conv 1 */
    assert_true(old_differ > 0);       /* the old parameters kept their moments */
    free(before);
    nf_graph_destroy(fresh);
    nf_graph_destroy(g);
}

static void test_adam_step_on_grown_neurons(void **state)
{
    (void)state;
    grown_neurons_step_as_in_a_fresh_network(NF_OPTIM_ADAM);
    grown_neurons_step_as_in_a_fresh_network(NF_OPTIM_ADAMW);
}

/* The first Adam step of a fresh parameter moves it by the learning rate
 * (for a gradient far above eps), not three times as much. */
static void test_first_adam_step_moves_by_lr(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_rng rng = fx_rng(3);
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    step_with_random_gradients(g, &o, 20, &rng);
    nf_mutate_params p = nf_mutate_defaults(&rng);
    assert_int_equal(nf_mutate_nout(g, 3, 2, &p), NF_OK);
    float *before = malloc(g->n_param * sizeof *before);
    memcpy(before, g->param, g->n_param * sizeof *before);
    for (size_t i = 0; i < g->n_param; i++) g->grad[i] = 0.5f;
    nf_optim_step(g, &o);
    int checked = 0;
    for (size_t i = 0; i < g->n_param; i++)
        if (g->age[i] == 1.0f) {
            assert_float_equal(before[i] - g->param[i], o.lr, 1e-6);
            checked++;
        }
    assert_true(checked > 0);
    free(before);
    nf_graph_destroy(g);
}

static void test_ages_stop_at_the_cap(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    for (size_t i = 0; i < g->n_param; i++) g->age[i] = NF_AGE_MAX;
    memset(g->grad, 0, g->n_param * sizeof(float));
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    nf_optim_step(g, &o);
    for (size_t i = 0; i < g->n_param; i++) assert_true(g->age[i] == NF_AGE_MAX);
    nf_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_step_on_grown_neurons),
        cmocka_unit_test(test_first_adam_step_moves_by_lr),
        cmocka_unit_test(test_ages_stop_at_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
