"""Data-parallel training on Dask: `fit`'s minibatch steps with the gradients computed where
the data's chunks live.

The data are Dask arrays chunked by rows (other axes whole), persisted once on the
workers. Each step takes the same batch as `fit` (the same generator, the same
order); the rows of the batch that lie in one chunk form a part, and one task per
part, on the worker holding that chunk, returns the part's loss and gradient,
weighted by its share of the batch. The client adds the parts up in chunk order
(so the sum is the same every run), steps the optimizer and sends the new
parameters with the next step. What travels is parameters and gradients, never rows.

The batch's loss is the weighted mean of its parts' losses: exact for a loss that is
a mean over the batch's examples, as the losses of `dfdx.nn` are.
"""

from __future__ import annotations

import numpy as np

import dfdx
from dfdx.nn._train import check_data, run_epochs

__all__ = ["fit_distributed"]


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise ImportError('nn.fit on Dask arrays needs Dask. Install the extra with: '
                          'pip install "dfdx[dask]"') from None
    return dask, da


def _part(loss_fn, has_aux, batch_metrics, params, local, share, *blocks):
    """One part of a batch, on the worker that holds its chunk: weighted loss, grads, metrics."""
    batch = tuple(b[local] for b in blocks)
    value, grads = dfdx.value_and_grad(loss_fn, has_aux=has_aux)(params, *batch)
    aux = None
    if has_aux:
        value, aux = value
    metrics = {}
    if batch_metrics is not None:
        metrics = {k: float(v) * share for k, v in batch_metrics(aux, *batch).items()}
    return float(value) * share, dfdx.tree_map(lambda g: g * share, grads), metrics


def _add(a, b):
    return dfdx.tree_map(lambda x, y: x + y, a, b)


def fit_distributed(loss_fn, params, optimizer, data, *, client=None, epochs=10, batch_size=64,
                    rng=None, has_aux=False, batch_metrics=None, evaluate=None, progress=True,
                    on_epoch=None, stream=None):
    """`dfdx.nn.fit` on Dask arrays: the same steps, gradients computed next to the chunks.

    Called by `dfdx.nn.fit` when it is given ``client=`` or Dask arrays; the arguments
    are fit's. `client` is a ``dask.distributed.Client`` (None: Dask's current
    scheduler). Returns ``(params, history)`` as `fit` does; with the same generator
    the batches are fit's, and the parameters agree with fit's on the same data in
    memory to rounding.

    Raises:
        ImportError: Dask is missing (``pip install "dfdx[dask]"``).
        ValueError: the data arrays do not share their first axis.
    """
    dask, da = _dask()
    data = tuple(d if hasattr(d, "__dask_graph__") else da.from_array(np.asarray(d)) for d in data)
    n = check_data(data, batch_size)
    rows = data[0].chunks[0]
    # why: a part is the batch's rows in one chunk of every array: the same row chunks,
    # and whole along every other axis
    data = tuple(d.rechunk({0: rows, **{i: -1 for i in range(1, d.ndim)}}) for d in data)
    data = client.persist(data) if client is not None else dask.persist(*data)
    blocks = [d.to_delayed().reshape(-1) for d in data]
    bounds = np.concatenate([[0], np.cumsum(rows)])
    part = dask.delayed(_part, pure=True)

    def step(params, idx):
        p = client.scatter([params], hash=False)[0] if client is not None else params
        which = np.searchsorted(bounds, idx, side="right") - 1
        parts = []
        for b in np.unique(which):      # in chunk order: the same sum every run
            here = which == b
            parts.append(part(loss_fn, has_aux, batch_metrics, p, idx[here] - bounds[b],
                              here.sum() / len(idx), *[blk[b] for blk in blocks]))
        done = client.gather(client.compute(parts)) if client is not None \
            else dask.compute(*parts)
        value, grads, metrics = done[0]
        for v, g, m in done[1:]:
            value, grads = value + v, _add(grads, g)
            metrics = {k: metrics[k] + m[k] for k in metrics}
        return float(value), grads, metrics

    return run_epochs(step, params, optimizer, n, epochs=epochs, batch_size=batch_size, rng=rng,
                      evaluate=evaluate, progress=progress, on_epoch=on_epoch, stream=stream)
