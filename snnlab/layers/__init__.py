"""Spiking layers that own their connectivity: dense, convolution, pooling.

    dense.py   DenseLayer and forward_events, the batched event loop a student reads (Eqs. 1-3, WTA)
    sparse.py  forward_sparse: an event touches only the neurons it reaches, with a lazy leak
    conv.py    Conv2d (k x k kernels, weight sharing, optional WTA across maps at one position)
    pool.py    SumPool (spiking neurons with weights 1 and V_th 0.8, not trained)
    base.py    LayerOutput, input checks, traces (Eq. 4)

The compiled forward passes of the same layers are in :mod:`snnlab.kernels`.
"""
from .base import (READOUTS, LayerOutput, SpikingLayer, check_batch, input_traces, output_traces,
                   synaptic_ops, traces)
from .conv import Conv2d, init_conv
from .dense import BACKENDS, DenseLayer, forward_events
from .pool import SumPool
from .sparse import forward_sparse

__all__ = ["READOUTS", "BACKENDS", "LayerOutput", "SpikingLayer", "DenseLayer", "Conv2d", "SumPool",
           "init_conv", "forward_events", "forward_sparse", "check_batch", "input_traces", "output_traces",
           "traces", "synaptic_ops"]
