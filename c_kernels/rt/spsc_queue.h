/* Lock-free single-producer/single-consumer ring of fixed-size records.
 *
 * The control thread writes (queue_push_nonrt), the audio thread reads (queue_peek_rt,
 * queue_pop_rt). Indices are free-running 32-bit counters published with release/acquire
 * atomics, so neither side ever waits. Capacity is a power of two fixed at creation.
 */
#ifndef MS20_RT_SPSC_QUEUE_H
#define MS20_RT_SPSC_QUEUE_H

#include <stdint.h>
#include <string.h>

typedef struct {
    unsigned char *records;
    uint32_t record_size;
    uint32_t mask;
    uint32_t write_index; /* written by the producer only */
    uint32_t read_index;  /* written by the consumer only */
} spsc_queue;

static inline int queue_push_nonrt(spsc_queue *q, const void *record)
{
    uint32_t w = q->write_index;
    uint32_t r = __atomic_load_n(&q->read_index, __ATOMIC_ACQUIRE);
    if (w - r > q->mask) return 0;
    memcpy(q->records + (size_t)(w & q->mask) * q->record_size, record, q->record_size);
    __atomic_store_n(&q->write_index, w + 1, __ATOMIC_RELEASE);
    return 1;
}

/* The oldest record, or NULL when empty. Valid until queue_pop_rt. */
static inline const void *queue_peek_rt(spsc_queue *q)
{
    uint32_t r = q->read_index;
    uint32_t w = __atomic_load_n(&q->write_index, __ATOMIC_ACQUIRE);
    if (r == w) return 0;
    return q->records + (size_t)(r & q->mask) * q->record_size;
}

static inline void queue_pop_rt(spsc_queue *q)
{
    __atomic_store_n(&q->read_index, q->read_index + 1, __ATOMIC_RELEASE);
}

#endif
