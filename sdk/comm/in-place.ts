/**
 * MPI's `MPI_IN_PLACE`: passed instead of a buffer, it says "the data is already where the result
 * goes". Valid as `sendbuf` of `Allreduce`, of `Reduce` and `Gather`/`Gatherv` at the root, of
 * `Allgather`/`Allgatherv`, `Reduce_scatter_block`/`Reduce_scatter`, `Scan`, `Exscan` and
 * `Alltoall`, and as `recvbuf` of `Scatter`/`Scatterv` at the root; anywhere else it is
 * `ERR_ARG`. A registered symbol, so two copies of this module (an ESM and a CommonJS job, say)
 * still agree on it.
 *
 * @example
 * const v = new Float64Array([comm.rank, 1]);
 * await comm.Allreduce(IN_PLACE, v, SUM); // v now holds the sums
 */
export const IN_PLACE: unique symbol = Symbol.for('tsmpi-cloud.IN_PLACE');

/** The type of `IN_PLACE`. */
export type InPlace = typeof IN_PLACE;
