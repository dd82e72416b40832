#include "app/session/mpi_pool.h"

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/session/exit_code.h"
#include "engine/clock.h"
#include "app/formats/fileio.h"
#include "engine/threads.h"
#include "nas/wire.h"

/* What a message is: the tag names it. */
enum {
    TAG_HELLO = 1, /* trainer -> 0: its build and OpenBLAS kernel (a hello) */
    TAG_WELCOME,   /* 0 -> trainer: accepted; the threads of one task (int) */
    TAG_DATA,      /* 0 -> trainer: the data's size (uint64); the bytes follow by broadcast */
    TAG_CHECK,     /* trainer -> 0: checksum of the data received (uint64; 0: unreadable) */
    TAG_TASK,      /* 0 -> trainer: a task (nas/wire.h) */
    TAG_PROGRESS,  /* trainer -> 0: {task number, images trained}: progress and heartbeat */
    TAG_RESULT,    /* trainer -> 0: the task's result (nas/wire.h) */
    TAG_STOP,      /* 0 -> trainer: stop task number n at the next step (int64) */
    TAG_QUIT       /* 0 -> trainer: no more work (int: 1 when a rank was lost) */
};

#define POLL_NAP_NS 1000000L       /* 1 ms between the polls of a side with nothing to do */
#define PIECE ((size_t)1 << 30)    /* broadcast pieces, under MPI's int counts */
#define HEARTBEAT_SECONDS 0.25     /* a busy trainer reports at least this often (between steps) */
#define SILENCE_SECONDS 60.0       /* default NF_MPI_SILENCE */

static struct {
    int started, finished;
    int rank, size;
    int *gone;                     /* [size] rank 0: 1 for a trainer taken for dead */
} world = {.size = 1};

typedef struct hello {
    uint64_t build;                /* checksum of the executable */
    char kernel[32];               /* nf_threads_blas_core() */
} hello;

static void nap(void)
{
    struct timespec ts = {0, POLL_NAP_NS};
    nanosleep(&ts, NULL);
}

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

/* The same executable everywhere: its bytes' checksum (0 if unreadable). */
static uint64_t build_id(void)
{
    unsigned char *b;
    size_t n;
    if (nf_file_read("/proc/self/exe", &b, &n)) return 0;
    uint64_t h = nf_wire_checksum(b, n);
    free(b);
    return h;
}

static hello my_hello(void)
{
    hello h = {.build = build_id()};
    snprintf(h.kernel, sizeof h.kernel, "%s", nf_threads_blas_core());
    return h;
}

/* A probed message's bytes (malloc'd, *len of them). */
static unsigned char *receive(const MPI_Status *probed, int *len)
{
    MPI_Get_count(probed, MPI_BYTE, len);
    unsigned char *b = malloc(*len > 0 ? (size_t)*len : 1);
    if (!b) MPI_Abort(MPI_COMM_WORLD, NF_EXIT_FAILED);
    MPI_Recv(b, *len, MPI_BYTE, probed->MPI_SOURCE, probed->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return b;
}

/* A message with no other use (a stale stop, a late report of a dead trainer). */
static void discard(const MPI_Status *probed)
{
    int len;
    free(receive(probed, &len));
}

/* Every byte of buf from rank 0 to all, in pieces MPI's int counts hold. */
static void broadcast(unsigned char *buf, size_t len)
{
    for (size_t at = 0; at < len; at += PIECE) {
        size_t n = len - at < PIECE ? len - at : PIECE;
        MPI_Bcast(buf + at, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
}

/* ==== a trainer rank ====================================================== */

typedef struct trainer_rank {
    int threads;             /* of one task */
    nf_wire_data data;
    int64_t task;            /* tasks received, the current one's number */
    int fault_task;          /* NF_MPI_FAULT="rank=R,task=K": _exit in task K (tests) */
    double fault_pause;      /* NF_MPI_FAULT="rank=R,task=K,pause=S": silent for S s instead */
    double reported;         /* clock of the last progress report */
    int lost;                /* rank 0's quit said a rank was lost */
} trainer_rank;

static int trainer_stop(void *user)
{
    trainer_rank *t = user;
    int flag;
    MPI_Status ps;
    MPI_Iprobe(0, TAG_QUIT, MPI_COMM_WORLD, &flag, &ps);
    if (flag) return 1; /* taken for dead and the run ended: send_result takes the quit */
    MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &flag, &ps);
    if (!flag) return 0;
    int64_t which;
    MPI_Recv(&which, 1, MPI_INT64_T, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return which == t->task;
}

static void trainer_progress(void *user, int64_t done, int64_t total)
{
    (void)total;
    trainer_rank *t = user;
    if (t->fault_task == t->task && done > 0) {
        if (t->fault_pause <= 0) _exit(9); /* dies mid-task, as a crashed node would */
        struct timespec ts = {(time_t)t->fault_pause, 0};
        t->fault_task = 0;
        nanosleep(&ts, NULL); /* or stalls, as an overloaded one would */
    }
    double now = nf_clock();
    if (now - t->reported < HEARTBEAT_SECONDS) return;
    t->reported = now;
    int64_t msg[2] = {t->task, done};
    MPI_Send(msg, 2, MPI_INT64_T, 0, TAG_PROGRESS, MPI_COMM_WORLD);
}

static void trainer_data(trainer_rank *t)
{
    uint64_t len, sum = 0;
    MPI_Recv(&len, 1, MPI_UINT64_T, 0, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) MPI_Abort(MPI_COMM_WORLD, NF_EXIT_FAILED);
    broadcast(buf, len);
    nf_wire_data_free(&t->data);
    if (!nf_wire_data_unpack(buf, len, &t->data)) sum = nf_wire_checksum(buf, len);
    free(buf);
    MPI_Send(&sum, 1, MPI_UINT64_T, 0, TAG_CHECK, MPI_COMM_WORLD);
}

/* Sends the result; a rank taken for dead may find rank 0 gone, so a quit
 * that comes first ends the wait. Returns 1 when told to quit. */
static int send_result(trainer_rank *t, unsigned char *res, size_t len)
{
    MPI_Request req;
    MPI_Isend(res, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, &req);
    for (;;) {
        int done = 0, quit = 0;
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done) return 0;
        MPI_Iprobe(0, TAG_QUIT, MPI_COMM_WORLD, &quit, MPI_STATUS_IGNORE);
        if (quit) {
            MPI_Recv(&t->lost, 1, MPI_INT, 0, TAG_QUIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            return 1;
        }
        nap();
    }
}

static int trainer_task(trainer_rank *t, const MPI_Status *probed)
{
    int len;
    unsigned char *buf = receive(probed, &len), *res = NULL;
    t->task++;
    t->reported = nf_clock();
    nf_candidate *c = NULL;
    nf_task_params p;
    nf_task_out out = {0};
    nf_status st = nf_wire_task_unpack(buf, (size_t)len, &c, &p);
    free(buf);
    if (!st) {
        p.threads = t->threads;
        p.stop = trainer_stop;
        p.stop_user = t;
        p.progress = trainer_progress;
        p.progress_user = t;
        st = nf_task_run(c, &t->data.d, &p, &out);
    }
    size_t rlen = 0;
    nf_candidate none = {.id = c ? c->id : -1};
    if (nf_wire_result_pack(st, nf_last_error(), c ? c : &none, &out, &res, &rlen)) MPI_Abort(MPI_COMM_WORLD, NF_EXIT_FAILED);
    int quit = send_result(t, res, rlen);
    if (!quit) free(res); /* else MPI may still hold it; the process ends */
    nf_candidate_destroy(c);
    return quit;
}

/* Until rank 0 says quit: poll, nap when there is nothing to do. */
static int trainer_main(void)
{
    signal(SIGINT, SIG_IGN); /* rank 0 decides when to stop, and tells */
    signal(SIGTERM, SIG_IGN);
    trainer_rank t = {.threads = 1};
    int fault_rank = -1;
    const char *fault = getenv("NF_MPI_FAULT");
    if (fault && sscanf(fault, "rank=%d,task=%d,pause=%lf", &fault_rank, &t.fault_task, &t.fault_pause) >= 2 &&
        fault_rank != world.rank)
        t.fault_task = 0;
    hello h = my_hello();
    MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_HELLO, MPI_COMM_WORLD);
    for (;;) {
        int flag;
        MPI_Status ps;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ps);
        if (!flag) { nap(); continue; }
        if (ps.MPI_TAG == TAG_QUIT) {
            MPI_Recv(&t.lost, 1, MPI_INT, 0, TAG_QUIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        if (ps.MPI_TAG == TAG_WELCOME)
            MPI_Recv(&t.threads, 1, MPI_INT, 0, TAG_WELCOME, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        else if (ps.MPI_TAG == TAG_DATA) trainer_data(&t);
        else if (ps.MPI_TAG == TAG_TASK) {
            if (trainer_task(&t, &ps)) break;
        }
        else discard(&ps); /* a stop that came after its task ended */
    }
    nf_wire_data_free(&t.data);
    world.finished = 1;
    /* MPI_Finalize is collective: with a rank lost it can wait forever for
     * the lost one, or for rank 0, which then leaves without it. */
    if (!t.lost) MPI_Finalize();
    return 0;
}

/* ==== starting and ending ================================================= */

int nf_mpi_enter(const char *command, int mpi, int *code)
{
    *code = 0;
    if (!mpi) {
        int ranks = env_int("OMPI_COMM_WORLD_SIZE", 1);
        if (ranks <= 1) return 0;
        if (env_int("OMPI_COMM_WORLD_RANK", 0) == 0)
            fprintf(stderr, "nasfit %s: started as %d MPI processes without --mpi: each would run a search of its own; "
                    "add --mpi (mpirun -np %d nasfit %s --mpi ...)\n", command, ranks, ranks, command);
        *code = NF_EXIT_USAGE;
        return 1;
    }
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "nasfit %s: MPI could not start\n", command);
        *code = NF_EXIT_FAILED;
        return 1;
    }
    world.started = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
    if (world.size < 2) {
        fprintf(stderr, "nasfit %s: --mpi needs trainer ranks besides rank 0 (e.g. mpirun -np 3 nasfit %s --mpi ...)\n",
                command, command);
        nf_mpi_leave();
        *code = NF_EXIT_USAGE;
        return 1;
    }
    if (world.rank > 0) {
        *code = trainer_main();
        return 1;
    }
    world.gone = calloc((size_t)world.size, sizeof *world.gone);
    if (!world.gone) MPI_Abort(MPI_COMM_WORLD, NF_EXIT_FAILED);
    return 0;
}

int nf_mpi_rank(void) { return world.rank; }

void nf_mpi_leave(void)
{
    if (!world.started || world.finished || world.rank != 0) return;
    world.finished = 1;
    int lost = 0;
    for (int r = 1; r < world.size; r++) lost |= world.gone[r];
    /* A rank taken for dead may only have been slow: it is told to quit
     * too, without waiting for a send it may never take. */
    for (int r = 1; r < world.size; r++) {
        if (!world.gone[r]) {
            MPI_Send(&lost, 1, MPI_INT, r, TAG_QUIT, MPI_COMM_WORLD);
            continue;
        }
        MPI_Request req;
        if (MPI_Isend(&lost, 1, MPI_INT, r, TAG_QUIT, MPI_COMM_WORLD, &req) == MPI_SUCCESS) MPI_Request_free(&req);
    }
    free(world.gone);
    world.gone = NULL;
    /* With a rank lost, no rank enters MPI_Finalize (see trainer_main). */
    if (!lost) MPI_Finalize();
}

/* ==== rank 0: the pool ===================================================== */

typedef struct slot {        /* one trainer rank, as rank 0 sees it */
    int job;                 /* index of the job it trains, -1 idle */
    int64_t task;            /* tasks sent to it: the current one's number */
    double heard;            /* clock of its last message */
    double silence;          /* the silence allowed in its current task */
    int64_t images;          /* images of the current task trained so far */
    unsigned char *sent;     /* the task's bytes, kept until the send completes */
    MPI_Request req;
} slot;

typedef struct mpi_pool {
    nf_trainer base;
    int threads;             /* of one task, on each trainer */
    int data_sent;           /* the trainers hold the data */
    double silence;          /* NF_MPI_SILENCE: silence allowed besides twice a task's cost */
    slot *slots;             /* [world.size]; slot 0 unused */
} mpi_pool;

static const char *differs(const hello *a, const hello *b)
{
    if (a->build != b->build) return "another nasfit build (every rank must run the same executable)";
    if (strcmp(a->kernel, b->kernel)) return "another OpenBLAS kernel (results would not be bit-identical)";
    return NULL;
}

/* Every trainer's hello, checked against rank 0's own. */
static nf_status greet(const mpi_pool *p)
{
    hello mine = my_hello();
    nf_status st = NF_OK;
    for (int heard = 0; heard < world.size - 1;) {
        int flag;
        MPI_Status ps;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_HELLO, MPI_COMM_WORLD, &flag, &ps);
        if (!flag) { nap(); continue; }
        hello h;
        MPI_Recv(&h, (int)sizeof h, MPI_BYTE, ps.MPI_SOURCE, TAG_HELLO, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        heard++;
        h.kernel[sizeof h.kernel - 1] = 0;
        const char *why = differs(&mine, &h);
        if (why && !st)
            st = nf_fail(NF_ERR_ARG, "trainer rank %d refused: it runs %s (OpenBLAS %s, build %016llx; rank 0: %s, %016llx)",
                         ps.MPI_SOURCE, why, h.kernel, (unsigned long long)h.build, mine.kernel,
                         (unsigned long long)mine.build);
    }
    for (int r = 1; r < world.size && !st; r++) MPI_Send(&p->threads, 1, MPI_INT, r, TAG_WELCOME, MPI_COMM_WORLD);
    return st;
}

/* The data to every trainer, once; each must have received the same bytes. */
static nf_status send_data(mpi_pool *p, const nf_data *d)
{
    unsigned char *buf;
    size_t len;
    nf_status st = nf_wire_data_pack(d, &buf, &len);
    if (st) return st;
    uint64_t n = len, want = nf_wire_checksum(buf, len);
    for (int r = 1; r < world.size; r++) MPI_Send(&n, 1, MPI_UINT64_T, r, TAG_DATA, MPI_COMM_WORLD);
    broadcast(buf, len);
    free(buf);
    for (int heard = 0; heard < world.size - 1;) {
        int flag;
        MPI_Status ps;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_CHECK, MPI_COMM_WORLD, &flag, &ps);
        if (!flag) { nap(); continue; }
        uint64_t sum;
        MPI_Recv(&sum, 1, MPI_UINT64_T, ps.MPI_SOURCE, TAG_CHECK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        heard++;
        if (sum != want && !st)
            st = nf_fail(NF_ERR_IO, "trainer rank %d refused: the data it received has checksum %016llx, not %016llx",
                         ps.MPI_SOURCE, (unsigned long long)sum, (unsigned long long)want);
    }
    p->data_sent = !st;
    return st;
}

/* One batch of jobs in flight. */
typedef struct batch {
    mpi_pool *pool;
    const nf_trainer_hooks *h;
    nf_job *jobs;
    int *todo, n_todo;       /* jobs to start, the next last (biggest first) */
    int running;             /* jobs on trainers */
    int stopping;            /* no more starts: a stop, a hook's failure or no trainer left */
    int asked_stop;          /* the stop hook asked */
    nf_status hook_status, first;
    int64_t images_done, images_total;
} batch;

static void stop_all(batch *b)
{
    if (b->stopping) return;
    b->stopping = 1;
    for (int r = 1; r < world.size; r++) {
        slot *s = &b->pool->slots[r];
        if (s->job >= 0 && !world.gone[r]) MPI_Send(&s->task, 1, MPI_INT64_T, r, TAG_STOP, MPI_COMM_WORLD);
    }
}

static int idle_trainer(const batch *b)
{
    for (int r = 1; r < world.size; r++)
        if (b->pool->slots[r].job < 0 && !world.gone[r]) return r;
    return -1;
}

static void start(batch *b, int r)
{
    int j = b->todo[--b->n_todo];
    nf_job *job = &b->jobs[j];
    slot *s = &b->pool->slots[r];
    size_t len;
    nf_status st = nf_wire_task_pack(job->c, &job->p, &s->sent, &len);
    if (!st && len > (size_t)0x7fffffff) {
        free(s->sent);
        st = nf_fail(NF_ERR_LIMIT, "candidate %lld is %zu bytes: more than one MPI message holds", (long long)job->c->id, len);
    }
    if (st) {
        job->status = st;
        if (!b->first) b->first = st;
        return;
    }
    MPI_Isend(s->sent, (int)len, MPI_BYTE, r, TAG_TASK, MPI_COMM_WORLD, &s->req);
    s->job = j;
    s->task++;
    s->heard = nf_clock();
    s->silence = b->pool->silence + 2 * job->cost;
    s->images = 0;
    b->running++;
}

static void report_progress(batch *b)
{
    if (!b->h->progress) return;
    int64_t done = b->images_done;
    for (int r = 1; r < world.size; r++)
        if (b->pool->slots[r].job >= 0) done += b->pool->slots[r].images;
    b->h->progress(b->h->user, done, b->images_total);
}

static void finished(batch *b, int r, const MPI_Status *probed)
{
    slot *s = &b->pool->slots[r];
    int len;
    unsigned char *buf = receive(probed, &len);
    MPI_Wait(&s->req, MPI_STATUS_IGNORE);
    free(s->sent);
    s->sent = NULL;
    nf_job *job = &b->jobs[s->job];
    s->job = -1;
    b->running--;
    char msg[512];
    nf_status got = nf_wire_result_unpack(buf, (size_t)len, job->c, &job->status, &job->out, msg, sizeof msg);
    free(buf);
    job->worker = r;
    if (got) job->status = got, snprintf(msg, sizeof msg, "%s", nf_last_error());
    if (job->status && job->status != NF_ERR_INTERRUPTED && !b->first)
        b->first = nf_fail(job->status, "candidate %lld on rank %d: %s", (long long)job->c->id, r, msg);
    if (job->status == NF_ERR_INTERRUPTED && !b->first) b->first = job->status;
    if (job->status) return;
    b->images_done += job->p.images;
    if (!b->hook_status && b->h->done) b->hook_status = b->h->done(b->h->user, job);
    if (b->hook_status) stop_all(b);
}

/* A busy trainer silent past its task's deadline is taken for dead: its
 * task goes back to the front of the queue, for another trainer. */
static void check_deadlines(batch *b)
{
    double now = nf_clock();
    int alive = 0;
    for (int r = 1; r < world.size; r++) {
        slot *s = &b->pool->slots[r];
        if (!world.gone[r] && s->job >= 0 && now - s->heard > s->silence) {
            fprintf(stderr, "nasfit: trainer rank %d silent for %.0f s: taken for dead; candidate %lld goes to another\n",
                    r, now - s->heard, (long long)b->jobs[s->job].c->id);
            world.gone[r] = 1;
            b->todo[b->n_todo++] = s->job;
            s->job = -1;
            b->running--;
        }
        alive += !world.gone[r];
    }
    if (!alive && !b->stopping) {
        if (!b->first) b->first = nf_fail(NF_ERR_IO, "every trainer rank was lost; the run file keeps what was committed");
        stop_all(b);
    }
}

/* One message, or a nap when none came. */
static void poll_once(batch *b)
{
    int flag;
    MPI_Status ps;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ps);
    if (!flag) {
        nap();
        return;
    }
    int r = ps.MPI_SOURCE;
    slot *s = &b->pool->slots[r];
    if (world.gone[r] || s->job < 0 || (ps.MPI_TAG != TAG_RESULT && ps.MPI_TAG != TAG_PROGRESS)) {
        discard(&ps);
        return;
    }
    s->heard = nf_clock();
    if (ps.MPI_TAG == TAG_RESULT) {
        finished(b, r, &ps);
        report_progress(b);
        return;
    }
    int64_t msg[2];
    MPI_Recv(msg, 2, MPI_INT64_T, r, TAG_PROGRESS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (msg[0] == s->task) s->images = msg[1];
    report_progress(b);
}

static nf_status mpi_run(nf_trainer *t, const nf_data *d, nf_job *jobs, int n, const nf_trainer_hooks *h)
{
    mpi_pool *p = (mpi_pool *)t;
    static const nf_trainer_hooks none = {0};
    nf_status st = p->data_sent ? NF_OK : send_data(p, d);
    if (st) return st;
    batch b = {.pool = p, .h = h ? h : &none, .jobs = jobs, .n_todo = n};
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    b.todo = malloc((size_t)(n > 0 ? n : 1) * sizeof *b.todo);
    if (!order || !b.todo) {
        free(order);
        free(b.todo);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate the training order");
    }
    nf_trainer_order(jobs, n, order);
    for (int k = 0; k < n; k++) {
        b.todo[n - 1 - k] = order[k];
        b.images_total += jobs[k].p.images;
        jobs[k].status = NF_ERR_INTERRUPTED; /* until its result comes */
        jobs[k].worker = -1;
    }
    free(order);
    while (b.running > 0 || (!b.stopping && b.n_todo > 0)) {
        if (!b.stopping && b.h->stop && b.h->stop(b.h->user)) {
            b.asked_stop = 1;
            stop_all(&b);
        }
        for (int r; !b.stopping && b.n_todo > 0 && (r = idle_trainer(&b)) > 0;) start(&b, r);
        if (b.running > 0) poll_once(&b);
        check_deadlines(&b);
    }
    free(b.todo);
    if (b.hook_status) return b.hook_status;
    if (b.first) return b.first;
    return b.asked_stop ? NF_ERR_INTERRUPTED : NF_OK;
}

static void mpi_destroy(nf_trainer *t)
{
    mpi_pool *p = (mpi_pool *)t;
    free(p->slots);
    free(p);
}

static const nf_trainer_ops mpi_ops = {"mpi", mpi_run, mpi_destroy};

nf_status nf_mpi_pool_create(int threads, nf_trainer **out)
{
    *out = NULL;
    if (!world.started || world.rank != 0) return nf_fail(NF_ERR_ARG, "the MPI pool is rank 0's, under --mpi");
    mpi_pool *p = calloc(1, sizeof *p);
    if (p) p->slots = calloc((size_t)world.size, sizeof *p->slots);
    if (!p || !p->slots) {
        free(p);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate the MPI pool");
    }
    p->base = (nf_trainer){.ops = &mpi_ops, .workers = world.size - 1};
    p->threads = threads;
    const char *silence = getenv("NF_MPI_SILENCE");
    p->silence = silence && atof(silence) > 0 ? atof(silence) : SILENCE_SECONDS;
    for (int r = 0; r < world.size; r++) p->slots[r].job = -1;
    nf_status st = greet(p);
    if (st) {
        mpi_destroy(&p->base);
        return st;
    }
    *out = &p->base;
    return NF_OK;
}
