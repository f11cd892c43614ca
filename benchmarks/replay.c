/* Replays a recorded benchmark session without Python, so the kernel can be cross-compiled
 * and its instructions counted under qemu for an ISA this machine cannot run natively.
 *
 *     replay EVENTS_FILE SAMPLES [--compare-skipping]
 *
 * EVENTS_FILE (written by benchmarks/qemu_count.py, in the host's byte order):
 *   "MS20EVT1" | u32 record size | u32 event count | f32 sample rate | u32 block length
 *   | f32 line_in[block length] | ms20_event[event count]
 * The engine is created, every event pushed, then SAMPLES are rendered in blocks of the
 * block length, each fed the same line_in block (as benchmarks/run.py does).
 * --compare-skipping renders a second engine with module skipping off (engine.probe.h) and
 * reports how many blocks differ in any bit: the check that skipping keeps the audio
 * bit-identical on this ISA (floating-point contraction differs between ISAs).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine.probe.h"

static void fail(const char *what)
{
    fprintf(stderr, "replay: %s\n", what);
    exit(1);
}

static void read_exact(FILE *f, void *dst, size_t size)
{
    if (size && fread(dst, size, 1, f) != 1) fail("events file is truncated");
}

int main(int argc, char **argv)
{
    int compare = argc == 4 && strcmp(argv[3], "--compare-skipping") == 0;
    if (argc != 3 && !compare) fail("usage: replay EVENTS_FILE SAMPLES [--compare-skipping]");
    long samples = strtol(argv[2], NULL, 10);
    FILE *f = fopen(argv[1], "rb");
    if (!f) fail("cannot open the events file");

    char magic[8];
    uint32_t record_size, count, block;
    float rate;
    read_exact(f, magic, sizeof magic);
    read_exact(f, &record_size, sizeof record_size);
    read_exact(f, &count, sizeof count);
    read_exact(f, &rate, sizeof rate);
    read_exact(f, &block, sizeof block);
    if (memcmp(magic, "MS20EVT1", 8) != 0) fail("not an MS-20 events file");
    /* The file holds the host's struct bytes: valid only if this ISA lays it out alike. */
    if (record_size != sizeof(ms20_event)) fail("ms20_event size differs from the recording");
    if (block == 0 || block > 4096) fail("bad block length");

    float *line_in = malloc(block * sizeof *line_in);
    float *out = calloc(block, sizeof *out); /* zeros: printed even if nothing renders */
    float *ref_out = calloc(block, sizeof *ref_out);
    ms20_engine *engine = ms20_create(rate);
    ms20_engine *ref = compare ? ms20_create(rate) : NULL; /* every module running */
    if (!line_in || !out || !ref_out || !engine || (compare && !ref)) fail("out of memory or bad sample rate");
    if (ref) ms20_probe_set_skipping(ref, 0);
    read_exact(f, line_in, block * sizeof *line_in);
    for (uint32_t i = 0; i < count; ++i) {
        ms20_event ev;
        read_exact(f, &ev, sizeof ev);
        if (!ms20_push_nonrt(engine, &ev) || (ref && !ms20_push_nonrt(ref, &ev))) fail("event queue full");
    }
    fclose(f);

    long done = 0, differing = 0;
    for (; done + (long)block <= samples; done += block) {
        ms20_render_rt(engine, line_in, out, NULL, (int)block);
        if (!ref) continue;
        ms20_render_rt(ref, line_in, ref_out, NULL, (int)block);
        differing += memcmp(out, ref_out, block * sizeof *out) != 0;
    }
    if (ref) {
        printf("skipped modules %u, blocks differing from every module running: %ld\n", ms20_probe_skipped(engine),
               differing);
        ms20_destroy(ref);
    }

    /* Print a sample so the compiler cannot drop the rendering. stderr, as the counter reads
     * qemu's log from stdout. */
    fprintf(stderr, "replay: rendered %ld samples, last %g\n", done, (double)out[block - 1]);
    ms20_destroy(engine);
    free(line_in);
    free(out);
    free(ref_out);
    return 0;
}
