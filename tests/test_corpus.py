"""A corpus of NumPy code as people write it, differentiated unmodified (issue 12, "Measure it").

Each function below is written the way numerical and ML code is written with
``import numpy as np`` (and scipy.special ufuncs): losses, layers, attention,
normalisation, physics, statistics, signal processing, optimisation objectives
and probabilistic models, with loops, writes into arrays (``out[i] = ...``)
and ``np.array([a, b])`` where that is the natural way to write them. None is
written to suit dfdx. Each is differentiated in reverse and forward mode and
checked against numeric differentiation (`dfdx.check_grad`, first order).

The ones that do not differentiate yet are strict xfails with their cause
(`XFAIL`), so the share is computed from this file: ``python
tests/test_corpus.py`` prints it and the failures grouped by cause, and
`test_readme_reports_this_share` keeps the README's figure current.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest
import scipy.special as sp

import dfdx


class Case(NamedTuple):
    fn: Callable
    args: tuple
    group: str


CORPUS: list = []
_GROUP = [""]


def group(name):
    _GROUP[0] = name


def case(*args):
    """Register the decorated function with the point `args` (each one differentiated)."""
    def deco(fn):
        CORPUS.append(Case(fn, args, _GROUP[0]))
        return fn
    return deco


rng = np.random.default_rng(2026)


def randn(*shape):
    return rng.standard_normal(shape)


def rand(*shape, lo=0.1, hi=0.9):
    return rng.uniform(lo, hi, shape)


def spd(n):
    a = randn(n, n)
    return a @ a.T + n * np.eye(n)


def probs(*shape):
    p = rng.uniform(0.2, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


LABELS = np.array([2, 0, 1, 1])
ONEHOT = np.eye(3)[LABELS]
SIGNS = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
MASK = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])


# ======================================================================================
group("losses")


@case(randn(8), randn(8))
def mse_loss(pred, target):
    return np.mean((pred - target) ** 2)


@case(randn(8), randn(8))
def mae_loss(pred, target):
    return np.mean(np.abs(pred - target))


@case(randn(8) * 2, randn(8))
def huber_loss(pred, target, delta=1.0):
    r = np.abs(pred - target)
    quad = 0.5 * r ** 2
    lin = delta * (r - 0.5 * delta)
    return np.mean(np.where(r <= delta, quad, lin))


@case(randn(8), randn(8))
def smooth_l1_loss(x, y, beta=0.5):
    diff = np.abs(x - y)
    loss = np.where(diff < beta, 0.5 * diff ** 2 / beta, diff - 0.5 * beta)
    return loss.sum()


@case(randn(8), randn(8))
def log_cosh_loss(y_pred, y_true):
    return np.sum(np.log(np.cosh(y_pred - y_true)))


@case(randn(6), rng.integers(0, 2, 6).astype(float))
def binary_cross_entropy(logits, y):
    p = 1.0 / (1.0 + np.exp(-logits))
    eps = 1e-12
    return -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))


@case(randn(6) * 3, rng.integers(0, 2, 6).astype(float))
def bce_with_logits(z, y):
    # the numerically stable form used by most frameworks
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


@case(randn(4, 3))
def softmax_cross_entropy(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(ONEHOT * log_probs, axis=1))


@case(randn(4, 3))
def nll_with_integer_labels(logits):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -logp[np.arange(len(LABELS)), LABELS].mean()


@case(randn(4, 3), randn(4, 3))
def kl_between_softmaxes(a, b):
    p = np.exp(a) / np.exp(a).sum(-1, keepdims=True)
    q = np.exp(b) / np.exp(b).sum(-1, keepdims=True)
    return np.sum(p * (np.log(p) - np.log(q)))


@case(probs(5), probs(5))
def js_divergence(p, q):
    m = 0.5 * (p + q)
    kl = lambda a, b: np.sum(a * np.log(a / b))
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@case(randn(6))
def focal_loss(logits, gamma=2.0, alpha=0.25):
    y = np.array([1, 0, 0, 1, 1, 0])
    p = sp.expit(logits)
    pt = np.where(y == 1, p, 1 - p)
    at = np.where(y == 1, alpha, 1 - alpha)
    return -np.sum(at * (1 - pt) ** gamma * np.log(pt))


@case(randn(5))
def hinge_loss(scores):
    return np.mean(np.maximum(0.0, 1.0 - SIGNS * scores))


@case(randn(5))
def squared_hinge(scores):
    margins = np.clip(1 - SIGNS * scores, 0, None)
    return np.sum(margins ** 2) / len(scores)


@case(randn(4, 3), randn(4, 3))
def contrastive_loss(x1, x2, margin=1.0):
    same = np.array([1.0, 0.0, 1.0, 0.0])
    d = np.sqrt(np.sum((x1 - x2) ** 2, axis=1))
    return np.mean(same * d ** 2 + (1 - same) * np.maximum(margin - d, 0) ** 2)


@case(randn(4, 3), randn(4, 3), randn(4, 3))
def triplet_loss(anchor, pos, neg, margin=0.2):
    dp = np.linalg.norm(anchor - pos, axis=1)
    dn = np.linalg.norm(anchor - neg, axis=1)
    return np.maximum(dp - dn + margin, 0).mean()


@case(randn(4, 3), randn(4, 3))
def cosine_embedding_loss(a, b):
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.mean(1 - cos)


@case(rand(4, 4), rng.integers(0, 2, (4, 4)).astype(float))
def dice_loss(pred, target, smooth=1.0):
    inter = (pred * target).sum()
    return 1 - (2.0 * inter + smooth) / (pred.sum() + target.sum() + smooth)


@case(rand(10), rand(10))
def tversky_loss(p, g, alpha=0.3, beta=0.7):
    tp = np.sum(p * g)
    fp = np.sum(p * (1 - g))
    fn = np.sum((1 - p) * g)
    return 1 - tp / (tp + alpha * fp + beta * fn)


@case(randn(7), randn(7))
def pinball_loss(pred, y):
    taus = np.array([0.1, 0.5, 0.9])
    err = y[:, None] - pred[:, None]
    return np.mean(np.maximum(taus * err, (taus - 1) * err))


@case(randn(6), rng.poisson(2.0, 6).astype(float))
def poisson_nll(log_rate, counts):
    return np.sum(np.exp(log_rate) - counts * log_rate)


@case(randn(6), randn(6), randn(6))
def gaussian_nll(mu, log_var, y):
    return 0.5 * np.sum(log_var + (y - mu) ** 2 / np.exp(log_var) + np.log(2 * np.pi))


@case(randn(4, 3))
def label_smoothing_ce(logits, eps=0.1):
    n_classes = logits.shape[1]
    target = ONEHOT * (1 - eps) + eps / n_classes
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -(target * logp).sum(axis=1).mean()


@case(randn(5))
def logistic_loss_pm1(margin):
    return np.sum(np.log1p(np.exp(-SIGNS * margin)))


@case(randn(6))
def elastic_net_penalty(w, l1=0.1, l2=0.01):
    return l1 * np.sum(np.abs(w)) + l2 * np.dot(w, w)


@case(randn(8), randn(8))
def wasserstein_1d(u, v):
    return np.mean(np.abs(np.sort(u) - np.sort(v)))


@case(randn(3, 4), randn(3, 4))
def mean_squared_log_error(a, b):
    p, t = np.exp(a), np.exp(b)
    return np.mean((np.log1p(p) - np.log1p(t)) ** 2)


@case(randn(5, 2))
def center_loss(features):
    centers = np.zeros((2, 2))
    centers[0] = [0.5, -0.5]
    centers[1] = [-1.0, 1.0]
    assign = np.array([0, 1, 1, 0, 1])
    return 0.5 * np.sum((features - centers[assign]) ** 2)


# ======================================================================================
group("activations and layers")


@case(randn(6))
def sigmoid(x):
    return np.sum(1 / (1 + np.exp(-x)))


@case(randn(6))
def gelu_tanh(x):
    return np.sum(0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))


@case(randn(6))
def gelu_erf(x):
    return np.sum(x * 0.5 * (1.0 + sp.erf(x / np.sqrt(2.0))))


@case(randn(6))
def swish(x, beta=1.0):
    return np.sum(x * sp.expit(beta * x))


@case(randn(6))
def mish(x):
    return np.sum(x * np.tanh(np.log1p(np.exp(x))))


@case(randn(6))
def softplus(x):
    return np.sum(np.logaddexp(0, x))


@case(randn(6))
def elu(x, alpha=1.0):
    return np.sum(np.where(x > 0, x, alpha * (np.exp(x) - 1)))


@case(randn(6))
def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return np.sum(scale * np.where(x > 0.0, x, alpha * np.expm1(x)))


@case(randn(6))
def leaky_relu(x, slope=0.01):
    return np.sum(np.maximum(x, slope * x))


@case(randn(6) * 4)
def hard_sigmoid(x):
    return np.sum(np.clip(0.2 * x + 0.5, 0.0, 1.0))


@case(randn(6))
def softsign(x):
    return np.sum(x / (1 + np.abs(x)))


@case(randn(3, 4), randn(3), randn(4))
def dense(W, b, x):
    return np.sum(np.tanh(W @ x + b))


@case({"W1": randn(5, 3) * 0.5, "b1": randn(5), "W2": randn(2, 5) * 0.5, "b2": randn(2)}, randn(4, 3))
def mlp_forward(params, X):
    h = np.tanh(X @ params["W1"].T + params["b1"])
    out = h @ params["W2"].T + params["b2"]
    return np.mean(out ** 2)


@case([(randn(4, 4) * 0.3, randn(4)), (randn(4, 4) * 0.3, randn(4))], randn(4))
def mlp_list_of_layers(layers, x):
    for W, b in layers:
        x = np.maximum(0, W @ x + b) + 0.1 * x
    return x.sum()


@case(randn(4, 4) * 0.3, randn(4, 4) * 0.3, randn(2, 4))
def residual_block(W1, W2, x):
    h = np.maximum(x @ W1, 0)
    return np.sum((x + h @ W2) ** 2)


@case(randn(3, 5), randn(5), randn(5))
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return np.sum((gamma * (x - mu) / np.sqrt(var + eps) + beta) ** 2)


@case(randn(6, 3), randn(3), randn(3))
def batch_norm_train(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=0)
    var = np.mean((x - mean) ** 2, axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return np.sum(np.sin(gamma * x_hat + beta))


@case(randn(3, 6), randn(6))
def rms_norm(x, weight, eps=1e-6):
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return np.sum(np.cos(x / rms * weight))


@case(randn(2, 4, 3))
def group_norm(x, groups=2, eps=1e-5):
    N, C, L = x.shape
    xg = x.reshape(N, groups, C // groups, L)
    mean = xg.mean(axis=(2, 3), keepdims=True)
    var = xg.var(axis=(2, 3), keepdims=True)
    xg = (xg - mean) / np.sqrt(var + eps)
    return np.sum(np.tanh(xg.reshape(N, C, L)))


@case(randn(6))
def dropout_fixed_mask(x, p=0.5):
    return np.sum(np.exp(x * MASK / (1 - p)))


@case(randn(10), randn(3))
def conv1d_loop(x, w):
    k = len(w)
    out = np.zeros(len(x) - k + 1)
    for i in range(len(out)):
        out[i] = np.sum(x[i:i + k] * w)
    return np.sum(out ** 2)


@case(randn(10), randn(3))
def conv1d_np_convolve(x, w):
    return np.sum(np.tanh(np.convolve(x, w[::-1], mode="valid")))


@case(randn(5, 5), randn(3, 3))
def conv2d_naive(img, kernel):
    kh, kw = kernel.shape
    H, W = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * kernel)
    return np.sum(out ** 2)


@case(randn(4, 4))
def max_pool_2x2(x):
    h, w = x.shape
    pooled = x.reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))
    return np.sum(pooled ** 2)


@case(randn(6, 4))
def avg_pool_1d(x, size=2):
    return np.sum(np.tanh(x.reshape(-1, size, x.shape[1]).mean(axis=1)))


@case(randn(5, 3))
def embedding_lookup(E):
    tokens = np.array([0, 3, 3, 1])
    v = E[tokens]
    return np.sum(v.mean(axis=0) ** 2)


@case(randn(3, 3) * 0.5, randn(3, 2) * 0.5, randn(4, 2))
def rnn_unrolled(Wh, Wx, xs):
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h)


@case(randn(8, 3) * 0.5, randn(8, 2) * 0.5, randn(8), randn(3, 2))
def lstm_steps(Wh, Wx, b, xs):
    h, c = np.zeros(2), np.zeros(2)
    for x in xs:
        z = Wh[:, :2] @ h + Wx[:, :2] @ x[:2] + b
        i, f, o, g = np.split(z, 4)
        c = sp.expit(f) * c + sp.expit(i) * np.tanh(g)
        h = sp.expit(o) * np.tanh(c)
    return np.sum(h ** 2)


@case(randn(3, 2) * 0.5, randn(3, 2) * 0.5, randn(2, 2) * 0.5, randn(2))
def gru_cell(Wz, Wr, Wh, x):
    h = np.array([0.1, -0.2])
    hx = np.concatenate([h, x])
    z = sp.expit(Wz[:2] @ x + 0.5 * h)
    r = sp.expit(Wr[:2] @ x - 0.5 * h)
    h_new = np.tanh(Wh @ (r * h) + x)
    return np.sum((1 - z) * h + z * h_new) + 0 * hx.sum()


@case(randn(4, 4) * 0.5, randn(4, 4) * 0.5, randn(4))
def highway_layer(Wh, Wt, x):
    t = sp.expit(Wt @ x - 1.0)
    return np.sum(t * np.tanh(Wh @ x) + (1 - t) * x)


@case(randn(6, 4), randn(4))
def maxout(W, x, pieces=3):
    z = (W @ x).reshape(-1, pieces)
    return np.sum(z.max(axis=1))


@case(randn(4, 6))
def glu(x):
    a, b = np.split(x, 2, axis=-1)
    return np.sum(a * sp.expit(b))


@case(randn(5), 1.5)
def softmax_temperature(logits, T):
    z = logits / T
    e = np.exp(z - z.max())
    return np.sum(e / e.sum() * np.arange(5))


@case(randn(3, 4), randn(4, 5), randn(3, 5))
def bilinear(x1, W, x2):
    return np.einsum("bi,ij,bj->", x1, W, x2)


@case(randn(6, 4))
def sinusoidal_positions(x):
    n, d = x.shape
    pos = np.arange(n)[:, None]
    i = np.arange(d)[None, :]
    angle = pos / np.power(10000, (2 * (i // 2)) / d)
    pe = np.where(i % 2 == 0, np.sin(angle), np.cos(angle))
    return np.sum((x + pe) ** 2)


# ======================================================================================
group("attention")


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@case(randn(4, 3), randn(5, 3), randn(5, 2))
def scaled_dot_product_attention(Q, K, V):
    scores = Q @ K.T / np.sqrt(Q.shape[-1])
    return np.sum(_softmax(scores) @ V)


@case(randn(4, 3), randn(4, 3), randn(4, 3))
def causal_attention(q, k, v):
    T = q.shape[0]
    att = q @ k.T / np.sqrt(k.shape[1])
    mask = np.triu(np.ones((T, T)), k=1).astype(bool)
    att = np.where(mask, -np.inf, att)
    att = np.exp(att - att.max(axis=-1, keepdims=True))
    att = att / att.sum(axis=-1, keepdims=True)
    return np.sum((att @ v) ** 2)


@case(randn(5, 8), randn(8, 8) * 0.3, randn(8, 8) * 0.3, randn(8, 8) * 0.3, randn(8, 8) * 0.3)
def multi_head_attention(x, Wq, Wk, Wv, Wo, n_heads=2):
    T, d = x.shape
    hd = d // n_heads
    def split(t):
        return t.reshape(T, n_heads, hd).transpose(1, 0, 2)
    q, k, v = split(x @ Wq), split(x @ Wk), split(x @ Wv)
    att = _softmax(q @ k.transpose(0, 2, 1) / np.sqrt(hd))
    out = (att @ v).transpose(1, 0, 2).reshape(T, d)
    return np.sum(np.tanh(out @ Wo))


@case(randn(4), randn(6, 4), randn(4, 4) * 0.5, randn(4, 4) * 0.5, randn(4))
def additive_attention(query, keys, W1, W2, v):
    e = np.tanh(keys @ W1.T + query @ W2.T) @ v
    a = np.exp(e) / np.exp(e).sum()
    context = (a[:, None] * keys).sum(axis=0)
    return np.dot(context, context)


@case(randn(3, 4), randn(6, 4))
def cross_attention_pooling(queries, memory):
    w = _softmax(queries @ memory.T, axis=1)
    return np.linalg.norm(w @ memory)


@case(randn(4, 3), randn(4, 3), randn(4, 3), randn(7))
def attention_relative_bias(q, k, v, rel):
    T = q.shape[0]
    idx = np.arange(T)[:, None] - np.arange(T)[None, :] + T - 1
    scores = q @ k.T + rel[idx]
    return np.sum(_softmax(scores) @ v)


@case(randn(5, 3), randn(5, 3), randn(5, 2))
def linear_attention(q, k, v):
    phi_q = np.where(q > 0, q + 1, np.exp(q))     # elu(x) + 1
    phi_k = np.where(k > 0, k + 1, np.exp(k))
    kv = phi_k.T @ v
    z = phi_q @ phi_k.sum(axis=0)
    return np.sum((phi_q @ kv) / z[:, None])


@case(randn(4, 6), randn(6, 12) * 0.3, randn(12, 6) * 0.3)
def transformer_ffn_prenorm(x, W1, W2):
    h = (x - x.mean(-1, keepdims=True)) / (x.std(-1, keepdims=True) + 1e-6)
    h = h @ W1
    h = 0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h ** 3)))
    return np.sum((x + h @ W2) ** 2)


@case(randn(4, 3), randn(5, 3), randn(5, 3), 10.0)
def cosine_attention(q, k, v, tau):
    qn = q / np.linalg.norm(q, axis=-1, keepdims=True)
    kn = k / np.linalg.norm(k, axis=-1, keepdims=True)
    return np.sum(_softmax(tau * qn @ kn.T) @ v)


@case(randn(6, 4), randn(4))
def attention_pooling(H, w):
    scores = H @ w
    alpha = np.exp(scores - scores.max())
    alpha /= alpha.sum()
    return np.sum(alpha @ H)


@case(randn(6, 4))
def rotary_embedding(x):
    T, d = x.shape
    inv_freq = 1.0 / (10000 ** (np.arange(0, d, 2) / d))
    t = np.arange(T)[:, None] * inv_freq[None, :]
    cos, sin = np.cos(t), np.sin(t)
    x1, x2 = x[:, 0::2], x[:, 1::2]
    rotated = np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
    return np.sum(rotated @ rotated.T)


@case(randn(2, 3, 4), randn(2, 3, 4))
def batched_attention_einsum(q, k):
    s = np.einsum("bqd,bkd->bqk", q, k) / 2.0
    p = _softmax(s)
    return np.einsum("bqk,bkd->", p, k)


# ======================================================================================
group("normalisation and statistics")


@case(randn(10))
def zscore_energy(x):
    z = (x - x.mean()) / x.std()
    return np.sum(z ** 3)


@case(randn(6))
def logsumexp_manual(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


@case(randn(6))
def entropy_of_softmax(logits):
    p = np.exp(logits) / np.sum(np.exp(logits))
    return -np.sum(p * np.log(p))


@case(probs(6))
def shannon_entropy_bits(p):
    return -np.sum(p * np.log2(p))


@case(randn(5), rand(5))
def weighted_mean_var(x, w):
    mean = np.average(x, weights=w)
    var = np.average((x - mean) ** 2, weights=w)
    return mean + var


@case(randn(8), randn(8))
def pearson_correlation(x, y):
    xm, ym = x - x.mean(), y - y.mean()
    return np.sum(xm * ym) / np.sqrt(np.sum(xm ** 2) * np.sum(ym ** 2))


@case(randn(10, 3))
def covariance_trace(X):
    C = np.cov(X, rowvar=False)
    return np.trace(C) + np.sum(C ** 2)


@case(randn(3), randn(3), spd(3))
def mahalanobis(x, mu, S):
    d = x - mu
    return np.sqrt(d @ np.linalg.solve(S, d))


@case(randn(7), 0.3, 1.4)
def normal_loglik(x, mu, sigma):
    return np.sum(-0.5 * np.log(2 * np.pi * sigma ** 2) - (x - mu) ** 2 / (2 * sigma ** 2))


@case(randn(3), spd(3), randn(5, 3))
def mvn_loglik_cholesky(mu, cov, X):
    L = np.linalg.cholesky(cov)
    diff = X - mu
    z = np.linalg.solve(L, diff.T)
    logdet = 2 * np.sum(np.log(np.diag(L)))
    n, d = X.shape
    return -0.5 * (np.sum(z ** 2) + n * logdet + n * d * np.log(2 * np.pi))


@case(randn(6), 4.5)
def student_t_loglik(x, nu):
    return np.sum(sp.gammaln((nu + 1) / 2) - sp.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
                  - (nu + 1) / 2 * np.log1p(x ** 2 / nu))


@case(1.7)
def poisson_loglik(lam):
    k = np.array([0, 2, 1, 4, 3])
    return np.sum(k * np.log(lam) - lam - sp.gammaln(k + 1))


@case(2.0, 3.0)
def beta_loglik(a, b):
    x = np.array([0.2, 0.5, 0.7, 0.9])
    return np.sum((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sp.betaln(a, b))


@case(np.array([1.5, 2.0, 0.7]))
def dirichlet_logpdf(alpha):
    x = np.array([0.2, 0.5, 0.3])
    return (sp.gammaln(alpha.sum()) - sp.gammaln(alpha).sum()
            + np.sum((alpha - 1) * np.log(x)))


@case(2.5, 1.2)
def gamma_loglik(shape, rate):
    x = np.array([0.5, 1.2, 3.3, 2.0])
    return np.sum(shape * np.log(rate) - sp.gammaln(shape) + (shape - 1) * np.log(x) - rate * x)


@case(0.3, 0.8)
def lognormal_loglik(mu, sigma):
    x = np.array([0.5, 1.2, 3.3, 2.0])
    return np.sum(-np.log(x * sigma * np.sqrt(2 * np.pi)) - (np.log(x) - mu) ** 2 / (2 * sigma ** 2))


@case(0.4, 2.0)
def von_mises_loglik(mu, kappa):
    theta = np.array([0.1, 0.5, -0.3, 1.0])
    return np.sum(kappa * np.cos(theta - mu) - np.log(2 * np.pi * sp.i0(kappa)))


@case(probs(3), randn(3), rand(3, lo=0.5, hi=1.5), randn(8))
def gmm_loglik(weights, means, sds, x):
    comp = (np.log(weights) - np.log(sds) - 0.5 * np.log(2 * np.pi)
            - 0.5 * ((x[:, None] - means) / sds) ** 2)
    m = comp.max(axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.exp(comp - m).sum(axis=1)))


@case(randn(6), 0.4)
def kde_density(data, h):
    grid = np.linspace(-2, 2, 5)
    k = np.exp(-0.5 * ((grid[:, None] - data[None, :]) / h) ** 2) / np.sqrt(2 * np.pi)
    return np.sum(k.mean(axis=1) / h)


@case(randn(12))
def sample_skewness(x):
    m = x.mean()
    m2 = ((x - m) ** 2).mean()
    m3 = ((x - m) ** 3).mean()
    return m3 / m2 ** 1.5


@case(randn(12))
def excess_kurtosis(x):
    d = x - np.mean(x)
    return np.mean(d ** 4) / np.mean(d ** 2) ** 2 - 3


@case(randn(9))
def median_absolute_deviation(x):
    med = np.median(x)
    return np.median(np.abs(x - med))


@case(randn(20))
def interquartile_range(x):
    q75, q25 = np.percentile(x, [75, 25])
    return q75 - q25


@case(randn(8))
def standardize_minmax(x):
    return np.sum(((x - x.min()) / (x.max() - x.min())) ** 2)


@case(randn(5, 4))
def whitening_loss(X):
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / (len(X) - 1) + 0.1 * np.eye(4)
    w, V = np.linalg.eigh(C)
    W = V @ np.diag(1 / np.sqrt(w)) @ V.T
    return np.sum((Xc @ W) ** 4)


# ======================================================================================
group("physics")


@case(randn(3), randn(3), 2.0, 0.5)
def harmonic_oscillator_energy(q, p, k, m):
    return np.sum(p ** 2 / (2 * m) + 0.5 * k * q ** 2)


@case(0.7, 1.3)
def pendulum_energy(theta, omega, g=9.81, L=1.0):
    return 0.5 * L ** 2 * omega ** 2 - g * L * np.cos(theta)


@case(rng.uniform(0, 3, (5, 3)))
def lennard_jones_loops(pos, eps=1.0, sigma=0.5):
    n = len(pos)
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            sr6 = (sigma / r) ** 6
            energy += 4 * eps * (sr6 ** 2 - sr6)
    return energy


@case(rng.uniform(0, 3, (6, 2)))
def lennard_jones_vectorized(pos):
    diff = pos[:, None, :] - pos[None, :, :]
    r2 = np.sum(diff ** 2, axis=-1)
    i, j = np.triu_indices(len(pos), k=1)
    inv6 = (0.25 / r2[i, j]) ** 3
    return np.sum(4 * (inv6 ** 2 - inv6))


@case(rng.uniform(0, 3, (4, 3)), np.array([1.0, -1.0, 2.0, -0.5]))
def coulomb_energy(pos, q):
    E = 0.0
    for i in range(len(q)):
        for j in range(i):
            E = E + q[i] * q[j] / np.sqrt(np.sum((pos[i] - pos[j]) ** 2))
    return E


@case(rng.uniform(-2, 2, (4, 3)), rand(4, lo=1, hi=2))
def gravitational_potential(x, m, G=1.0):
    d = np.linalg.norm(x[:, None] - x[None, :] + np.eye(len(m))[..., None], axis=-1)
    pair = G * m[:, None] * m[None, :] / d
    return -0.5 * np.sum(pair * (1 - np.eye(len(m))))


@case(np.cumsum(rand(6, lo=0.5, hi=1.5)))
def spring_chain_energy(x, k=3.0, rest=1.0):
    return 0.5 * k * np.sum((np.diff(x) - rest) ** 2)


@case(rand(5, lo=0.8, hi=2.0))
def morse_potential(r, D=1.0, a=1.5, r0=1.0):
    return np.sum(D * (1 - np.exp(-a * (r - r0))) ** 2)


@case(randn(4, 3), rand(4, lo=1, hi=2))
def kinetic_energy(v, m):
    return 0.5 * np.sum(m[:, None] * v ** 2)


@case(np.array([1.0, 1.0, 1.0]), 10.0, 28.0)
def lorenz_rhs(state, sigma, rho, beta=8 / 3):
    x, y, z = state
    return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


@case(np.array([0.5, -0.3]), 1.5)
def van_der_pol_rhs(y, mu):
    return np.array([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])


@case(np.array([0.3, 0.0]), 0.05)
def pendulum_euler_trajectory(y0, dt, steps=20):
    theta, omega = y0[0], y0[1]
    for _ in range(steps):
        theta, omega = theta + dt * omega, omega - dt * 9.81 * np.sin(theta)
    return theta ** 2 + omega ** 2


@case(np.array([1.0, 0.0]), 0.1)
def rk4_oscillator(y, h):
    def f(y):
        return np.array([y[1], -y[0]])
    for _ in range(5):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(y ** 2)


@case(np.sin(np.linspace(0, np.pi, 8)), 0.2)
def heat_equation_explicit(u, alpha, steps=5):
    u = u.copy()
    for _ in range(steps):
        u[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@case(np.sin(np.linspace(0, np.pi, 8)), 0.2)
def heat_equation_functional(u, r, steps=5):
    for _ in range(steps):
        lap = np.concatenate([[0.0], u[2:] - 2 * u[1:-1] + u[:-2], [0.0]])
        u = u + r * lap
    return np.sum(u ** 2)


@case(randn(10), randn(10), 0.1)
def wave_energy(u, ut, dx, c=1.0):
    ux = np.gradient(u, dx)
    return 0.5 * np.sum(ut ** 2 + c ** 2 * ux ** 2) * dx


@case(randn(4, 4))
def xy_model_energy(theta, J=1.0):
    right = np.roll(theta, -1, axis=1)
    down = np.roll(theta, -1, axis=0)
    return -J * np.sum(np.cos(theta - right) + np.cos(theta - down))


@case(np.array([0.4, 0.2, 0.3, -0.5]))
def double_pendulum_lagrangian(state, m1=1.0, m2=1.0, l1=1.0, l2=1.0, g=9.81):
    t1, t2, w1, w2 = state
    T = 0.5 * (m1 + m2) * l1 ** 2 * w1 ** 2 + 0.5 * m2 * l2 ** 2 * w2 ** 2 \
        + m2 * l1 * l2 * w1 * w2 * np.cos(t1 - t2)
    V = -(m1 + m2) * g * l1 * np.cos(t1) - m2 * g * l2 * np.cos(t2)
    return T - V


@case(20.0, 0.6)
def projectile_range_with_drag(v0, angle, k=0.05, dt=0.02):
    x, y = 0.0, 0.0
    vx, vy = v0 * np.cos(angle), v0 * np.sin(angle)
    for _ in range(40):
        speed = np.sqrt(vx ** 2 + vy ** 2)
        vx, vy = vx - k * speed * vx * dt, vy - (9.81 + k * speed * vy) * dt
        x, y = x + vx * dt, y + vy * dt
    return x


@case(np.array([5000.0]), np.linspace(2e-7, 2e-6, 6))
def planck_spectrum(T, lam):
    h, c, kB = 6.626e-34, 3.0e8, 1.381e-23
    return np.sum(2 * h * c ** 2 / lam ** 5 / np.expm1(h * c / (lam * kB * T))) * 1e-13


@case(5.0e4, np.array([300.0, 350.0, 400.0]))
def arrhenius_rates(Ea, T, A=1e7, R=8.314):
    return np.sum(np.log(A * np.exp(-Ea / (R * T))))


@case(rng.uniform(-1, 1, (3, 2)), np.array([1.0, -2.0, 1.5]), np.array([0.3, 0.4]))
def electric_field_at_point(charges_pos, q, r):
    E = np.zeros(2)
    for i in range(len(q)):
        d = r - charges_pos[i]
        E += q[i] * d / np.linalg.norm(d) ** 3
    return np.linalg.norm(E)


@case(randn(5, 3), rand(5, lo=1, hi=2))
def inertia_tensor_eigs(x, m):
    x = x - np.average(x, axis=0, weights=m)
    I = np.zeros((3, 3))
    for k in range(len(m)):
        I += m[k] * (np.dot(x[k], x[k]) * np.eye(3) - np.outer(x[k], x[k]))
    return np.sum(np.linalg.eigvalsh(I))


@case(0.7, randn(2))
def rotate_2d(theta, v):
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]])
    return np.sum((R @ v) * np.array([1.0, 2.0]))


@case(0.4, 1.2)
def kepler_eccentric_anomaly(e, M):
    E = M
    for _ in range(20):
        E = E - (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
    return E


@case(randn(8) * 0.1)
def schrodinger_energy_fd(psi_raw, dx=0.1):
    n = len(psi_raw)
    psi = psi_raw + np.exp(-np.linspace(-2, 2, n) ** 2)
    H = (np.diag(np.full(n, 2.0)) - np.diag(np.ones(n - 1), 1) - np.diag(np.ones(n - 1), -1)) \
        / (2 * dx ** 2) + np.diag(0.5 * np.linspace(-2, 2, n) ** 2)
    return psi @ H @ psi / (psi @ psi)


@case(rand(6, lo=0.5, hi=2.0), 0.1)
def ising_mean_field_free_energy(h, beta):
    m = np.tanh(beta * h)
    return -np.sum(np.log(2 * np.cosh(beta * h))) / beta + 0 * m.sum()


# ======================================================================================
group("signal processing")


@case(randn(12))
def moving_average(x, w=3):
    return np.sum(np.convolve(x, np.ones(w) / w, mode="valid") ** 2)


@case(randn(16))
def power_spectrum(x):
    X = np.fft.rfft(x)
    return np.sum(np.abs(X) ** 2) / len(x)


@case(randn(16))
def spectral_centroid(x, sr=100.0):
    mag = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), d=1 / sr)
    return np.sum(freqs * mag) / np.sum(mag)


@case(randn(10))
def autocorrelation_lag1(x):
    xc = x - x.mean()
    ac = np.correlate(xc, xc, mode="full")
    return ac[len(x)] / ac[len(x) - 1]


@case(randn(16))
def hann_windowed_energy(x):
    return np.sum((np.hanning(len(x)) * x) ** 2)


@case(randn(10), randn(3))
def fir_filter_loop(x, b):
    y = np.zeros_like(x)
    for n in range(len(x)):
        for k in range(len(b)):
            if n - k >= 0:
                y[n] += b[k] * x[n - k]
    return np.sum(y ** 2)


@case(randn(10), 0.8)
def iir_first_order(x, a):
    y = []
    prev = 0.0
    for xn in x:
        prev = a * prev + (1 - a) * xn
        y.append(prev)
    return np.sum(np.array(y) ** 2)


@case(randn(10), 0.6)
def exponential_smoothing_writes(x, alpha):
    s = np.empty_like(x)
    s[0] = x[0]
    for t in range(1, len(x)):
        s[t] = alpha * x[t] + (1 - alpha) * s[t - 1]
    return np.sum((x - s) ** 2)


@case(randn(12))
def total_variation_smooth(x, eps=1e-3):
    return np.sum(np.sqrt(np.diff(x) ** 2 + eps))


@case(randn(10))
def gradient_energy(f):
    return np.sum(np.gradient(f) ** 2)


@case(randn(8), 0.5)
def soft_threshold(x, lam):
    return np.sum(np.sign(x) * np.maximum(np.abs(x) - lam, 0) * x)


@case(randn(16), randn(16))
def snr_db(signal_, noise):
    return 10 * np.log10(np.sum(signal_ ** 2) / np.sum(noise ** 2))


@case(randn(10))
def zero_padded_fft_magnitude(x):
    X = np.fft.fft(x, n=16)
    return np.sum(np.abs(X))


@case(randn(16))
def real_cepstrum(x):
    spectrum = np.abs(np.fft.fft(x)) + 1e-3
    return np.sum(np.fft.ifft(np.log(spectrum)).real ** 2)


@case(2.0, 0.5)
def chirp_energy(f0, k):
    t = np.linspace(0, 1, 50)
    s = np.sin(2 * np.pi * (f0 * t + 0.5 * k * t ** 2))
    return np.sum(s * np.exp(-t))


@case(np.sort(rand(6, lo=0, hi=1)), randn(6))
def linear_interpolation(xp, fp):
    x = np.linspace(0.15, 0.8, 7)
    return np.sum(np.interp(x, xp, fp) ** 2)


@case(randn(20))
def cumulative_trapezoid_energy(v, dt=0.1):
    pos = np.concatenate([[0.0], np.cumsum((v[1:] + v[:-1]) / 2 * dt)])
    return np.sum(pos ** 2)


@case(randn(16))
def trapezoid_of_square(y):
    return np.trapezoid(y ** 2, dx=0.1)


@case(randn(4, 4), randn(3, 3))
def image_filter_2d_fft(img, k):
    K = np.fft.fft2(k, s=img.shape)
    return np.sum(np.real(np.fft.ifft2(np.fft.fft2(img) * K)) ** 2)


# ======================================================================================
group("optimisation objectives")


@case(randn(5) * 0.5)
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


@case(randn(4))
def rastrigin(x, A=10):
    return A * len(x) + np.sum(x ** 2 - A * np.cos(2 * np.pi * x))


@case(randn(3))
def ackley(x):
    n = len(x)
    return (-20 * np.exp(-0.2 * np.sqrt(np.sum(x ** 2) / n))
            - np.exp(np.sum(np.cos(2 * np.pi * x)) / n) + 20 + np.e)


@case(randn(2))
def beale(p):
    x, y = p
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


@case(randn(2))
def himmelblau(v):
    x, y = v[0], v[1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


@case(randn(4))
def styblinski_tang(x):
    return 0.5 * np.sum(x ** 4 - 16 * x ** 2 + 5 * x)


@case(randn(4), spd(4), randn(4))
def quadratic_form(x, A, b):
    return 0.5 * x @ A @ x - b @ x


@case(randn(3), randn(6, 3), randn(6))
def least_squares(w, A, b):
    r = A @ w - b
    return r.dot(r)


@case(randn(3), randn(6, 3), randn(6), 0.1)
def ridge_objective(w, X, y, lam):
    return np.linalg.norm(X @ w - y) ** 2 + lam * np.linalg.norm(w) ** 2


@case(randn(3), randn(6, 3), randn(6))
def smooth_lasso(w, X, y, lam=0.1, eps=1e-4):
    return 0.5 * np.mean((X @ w - y) ** 2) + lam * np.sum(np.sqrt(w ** 2 + eps))


@case(randn(3), randn(8, 3))
def logistic_regression_l2(w, X):
    y = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    z = X @ w
    return np.sum(np.logaddexp(0, z) - y * z) + 0.5 * 0.1 * w @ w


@case(randn(4))
def powell_singular(x):
    return ((x[0] + 10 * x[1]) ** 2 + 5 * (x[2] - x[3]) ** 2 + (x[1] - 2 * x[2]) ** 4
            + 10 * (x[0] - x[3]) ** 4)


@case(randn(3) * 2)
def griewank(x):
    i = np.arange(1, len(x) + 1)
    return 1 + np.sum(x ** 2) / 4000 - np.prod(np.cos(x / np.sqrt(i)))


@case(randn(5, 2), randn(4, 2), randn(5, 4))
def matrix_factorization(U, V, R):
    observed = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1], [1, 0, 0, 1], [0, 1, 1, 1]])
    err = (R - U @ V.T) * observed
    return np.sum(err ** 2) + 0.01 * (np.sum(U ** 2) + np.sum(V ** 2))


@case(randn(2) * 0.1)
def log_barrier(x, t=10.0):
    A = np.array([[1.0, 2.0], [-1.0, 1.0], [0.5, -1.0]])
    b = np.array([3.0, 2.0, 2.0])
    c = np.array([1.0, -1.0])
    return t * c @ x - np.sum(np.log(b - A @ x))


@case(randn(4, 3))
def sinkhorn_cost(C, eps=0.5, n_iter=20):
    a = np.ones(4) / 4
    b = np.ones(3) / 3
    K = np.exp(-C / eps)
    u = np.ones(4)
    for _ in range(n_iter):
        v = b / (K.T @ u)
        u = a / (K @ v)
    P = u[:, None] * K * v[None, :]
    return np.sum(P * C)


@case(randn(3), randn(3), spd(3), 0.5)
def trust_region_model(p, g, B, delta):
    m = g @ p + 0.5 * p @ B @ p
    return m + 10 * np.maximum(0, p @ p - delta ** 2) ** 2


@case(randn(2))
def booth(xy):
    x, y = xy
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


@case(randn(3), randn(6, 3))
def svm_smooth_hinge(w, X):
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0])
    m = y * (X @ w)
    loss = np.where(m >= 1, 0.0, np.where(m <= 0, 0.5 - m, 0.5 * (1 - m) ** 2))
    return loss.mean() + 0.5 * np.dot(w, w)


# ======================================================================================
group("probabilistic models")

_X = randn(8, 2)
_Y = _X @ np.array([1.0, -0.5]) + 0.3 * randn(8)


@case(randn(2), -0.3)
def bayes_linreg_log_posterior(w, log_sigma):
    sigma = np.exp(log_sigma)
    resid = _Y - _X @ w
    loglik = -0.5 * np.sum(resid ** 2) / sigma ** 2 - len(_Y) * np.log(sigma)
    logprior = -0.5 * np.sum(w ** 2) - 0.5 * log_sigma ** 2
    return loglik + logprior


@case(0.2, 0.1, randn(4))
def hierarchical_normal_log_joint(mu, log_tau, theta):
    y = np.array([28.0, 8.0, -3.0, 7.0]) / 10
    s = np.array([15.0, 10.0, 16.0, 11.0]) / 10
    tau = np.exp(log_tau)
    lp = -0.5 * mu ** 2 / 25 - 0.5 * log_tau ** 2
    lp += np.sum(-np.log(tau) - 0.5 * ((theta - mu) / tau) ** 2)
    lp += np.sum(-0.5 * ((y - theta) / s) ** 2)
    return lp


@case(randn(2))
def logistic_regression_log_posterior(beta):
    y = (_Y > 0).astype(float)
    eta = _X @ beta
    return np.sum(y * eta - np.log1p(np.exp(eta))) - 0.5 * beta @ beta


@case(np.array([0.1, -0.2, 0.05]))
def gp_marginal_likelihood(log_params):
    ell, sf, sn = np.exp(log_params)
    x = np.linspace(0, 1, 6)
    y = np.sin(6 * x)
    K = sf ** 2 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell ** 2) + (sn ** 2 + 1e-6) * np.eye(6)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(L))) - 3 * np.log(2 * np.pi)


_EPS = randn(16, 2)


@case(randn(2), randn(2) * 0.1)
def elbo_gaussian(mu, log_sd):
    z = mu + np.exp(log_sd) * _EPS        # reparameterised samples
    log_joint = -0.5 * np.sum((z - 1.0) ** 2, axis=1) - 0.5 * np.sum(z ** 2, axis=1) / 4
    entropy = np.sum(log_sd) + z.shape[1] * 0.5 * (1 + np.log(2 * np.pi))
    return np.mean(log_joint) + entropy


@case(randn(2, 2), randn(2, 3), randn(2))
def hmm_forward_loglik(A_logits, B_logits, pi_logits):
    obs = [0, 2, 1, 1, 0]
    logA = A_logits - np.log(np.exp(A_logits).sum(axis=1, keepdims=True))
    logB = B_logits - np.log(np.exp(B_logits).sum(axis=1, keepdims=True))
    alpha = pi_logits - np.log(np.exp(pi_logits).sum()) + logB[:, obs[0]]
    for o in obs[1:]:
        m = alpha.max()
        alpha = m + np.log(np.exp(alpha - m) @ np.exp(logA)) + logB[:, o]
    m = alpha.max()
    return m + np.log(np.sum(np.exp(alpha - m)))


@case(0.9, np.array([-0.5, -0.5]))
def kalman_filter_loglik(phi, log_vars):
    q, r = np.exp(log_vars)
    ys = np.array([0.3, 0.1, -0.4, 0.2, 0.5])
    m, P, ll = 0.0, 1.0, 0.0
    for y in ys:
        m, P = phi * m, phi ** 2 * P + q
        S = P + r
        ll += -0.5 * (np.log(2 * np.pi * S) + (y - m) ** 2 / S)
        K = P / S
        m, P = m + K * (y - m), (1 - K) * P
    return ll


@case(randn(2), randn(10))
def em_responsibilities(means, x):
    log_p = -0.5 * (x[:, None] - means[None, :]) ** 2
    log_p -= log_p.max(axis=1, keepdims=True)
    resp = np.exp(log_p)
    resp /= resp.sum(axis=1, keepdims=True)
    return np.sum(resp[:, 0] * x)


@case(randn(2))
def probit_loglik(beta):
    y = (_Y > 0).astype(float)
    eta = _X @ beta
    return np.sum(y * sp.log_ndtr(eta) + (1 - y) * sp.log_ndtr(-eta))


@case(randn(2), np.array([-0.5, 0.5]))
def ordinal_logit_loglik(beta, cuts):
    y = np.array([0, 1, 2, 1, 0, 2, 1, 1])
    eta = _X @ beta
    c = np.concatenate([[-np.inf], np.sort(cuts), [np.inf]])
    p = sp.expit(c[y + 1] - eta) - sp.expit(c[y] - eta)
    return np.sum(np.log(p))


@case(randn(2) * 0.3)
def poisson_glm_loglik(beta):
    counts = np.array([1, 0, 3, 2, 1, 4, 0, 2])
    eta = _X @ beta
    return np.sum(counts * eta - np.exp(eta) - sp.gammaln(counts + 1))


@case(2.0, 3.0)
def beta_binomial_loglik(a, b):
    k = np.array([3, 5, 2, 7])
    n = 10
    return np.sum(sp.gammaln(n + 1) - sp.gammaln(k + 1) - sp.gammaln(n - k + 1)
                  + sp.betaln(k + a, n - k + b) - sp.betaln(a, b))


@case(np.array([1.0, 2.0, 0.5]))
def dirichlet_multinomial_loglik(alpha):
    counts = np.array([[3, 1, 0], [2, 2, 2], [0, 1, 4]])
    A = alpha.sum()
    n = counts.sum(axis=1)
    return np.sum(sp.gammaln(A) - sp.gammaln(n + A)
                  + np.sum(sp.gammaln(counts + alpha) - sp.gammaln(alpha), axis=1))


@case(randn(6) * 0.3, 0.9, -1.0)
def stochastic_volatility_log_joint(h, phi, log_sigma):
    r = np.array([0.01, -0.02, 0.015, 0.03, -0.01, 0.0]) * 10
    sigma = np.exp(log_sigma)
    lp = -0.5 * h[0] ** 2 * (1 - phi ** 2) / sigma ** 2
    lp += np.sum(-0.5 * (h[1:] - phi * h[:-1]) ** 2 / sigma ** 2) - len(h) * log_sigma
    lp += np.sum(-0.5 * h - 0.5 * r ** 2 * np.exp(-h))
    return lp


@case(0.5, 0.0, randn(10))
def ar1_loglik(phi, c, x, sigma=1.0):
    resid = x[1:] - c - phi * x[:-1]
    n = len(resid)
    return -0.5 * n * np.log(2 * np.pi * sigma ** 2) - np.sum(resid ** 2) / (2 * sigma ** 2)


@case(randn(3), 4.0, randn(12))
def soft_changepoint_loglik(params, tau, y):
    mu1, mu2, log_s = params
    t = np.arange(len(y))
    w = sp.expit(3.0 * (t - tau))
    mu = (1 - w) * mu1 + w * mu2
    return np.sum(sp.xlogy(1.0, np.exp(-log_s)) - 0.5 * ((y - mu) * np.exp(-log_s)) ** 2)


@case({"W": randn(3, 2) * 0.5, "v": randn(3) * 0.5})
def bnn_log_joint(p):
    h = np.tanh(_X @ p["W"].T)
    f = h @ p["v"]
    loglik = -0.5 * np.sum((_Y - f) ** 2) / 0.25
    logprior = -0.5 * (np.sum(p["W"] ** 2) + np.sum(p["v"] ** 2))
    return loglik + logprior


@case(randn(3), randn(6))
def gaussian_process_predictive_mean(log_params, y):
    ell, sf, sn = np.exp(log_params)
    x = np.linspace(0, 1, 6)
    xs = np.array([0.25, 0.75])
    k = lambda a, b: sf ** 2 * np.exp(-0.5 * np.subtract.outer(a, b) ** 2 / ell ** 2)
    K = k(x, x) + sn ** 2 * np.eye(6)
    return np.sum(k(xs, x) @ np.linalg.solve(K, y))


# ======================================================================================
group("everyday NumPy idioms")

import math  # noqa: E402  (scalar code is written with math as often as with numpy)


@case(0.8, 1.5)
def pendulum_period_math(theta0, L):
    # large-amplitude correction, written for scalars
    return 2 * math.pi * math.sqrt(L / 9.81) * (1 + theta0 ** 2 / 16)


@case(0.3)
def damped_oscillation_math(t, zeta=0.1, w0=3.0):
    wd = w0 * math.sqrt(1 - zeta ** 2)
    return math.exp(-zeta * w0 * t) * math.cos(wd * t)


@case(randn(6))
def relu_by_masking(x):
    out = x.copy()
    out[out < 0] = 0
    return np.sum(out ** 2)


@case(randn(6))
def clip_in_place(x):
    y = np.array(x)
    np.clip(y, -0.5, 0.5, out=y)
    return np.sum(y * x)


@case(randn(6))
def logaddexp_reduce(x):
    return np.logaddexp.reduce(x)


@case(randn(10) * 0.1)
def max_drawdown_smooth(returns):
    wealth = np.cumprod(1 + returns)
    peak = np.maximum.accumulate(wealth)
    return np.sum((peak - wealth) / peak)


@case(randn(5))
def prepend_zero_r_(x):
    padded = np.r_[0.0, x, 0.0]
    return np.sum(np.abs(padded[1:] - padded[:-1]) ** 1.5)


@case(randn(5))
def hstack_with_scalars(x):
    y = np.hstack([1.0, x, -1.0])
    return np.sum(y[:-1] * y[1:])


@case(randn(3), randn(3), rand(3))
def torque_cross(r, F, w):
    tau = np.cross(r, F)
    return np.dot(tau, w)


@case(randn(4), np.linspace(-1, 1, 6))
def polyval_fit_residual(coeffs, x):
    y = np.sin(2 * x)
    return np.sum((np.polyval(coeffs, x) - y) ** 2)


@case(randn(6))
def vectorized_python_function(x):
    f = np.vectorize(lambda v: v ** 2 if v > 0 else -v)
    return np.sum(f(x))


@case(randn(8) * 2)
def piecewise_potential(x):
    return np.sum(np.piecewise(x, [x < -1, (x >= -1) & (x < 1), x >= 1],
                               [lambda x: -2 * x - 1, lambda x: x ** 2, lambda x: 2 * x - 1]))


@case(randn(8) * 2)
def select_regimes(x):
    return np.sum(np.select([x < -1, x > 1], [np.exp(x), np.log1p(x ** 2)], default=x ** 3))


@case(randn(6, 3), randn(6))
def lstsq_residual(A, b):
    x, *_ = np.linalg.lstsq(A, b, rcond=None)
    return np.sum((A @ x - b) ** 2) + np.sum(x ** 2)


@case(randn(4, 3))
def qr_orthogonality(A):
    Q, R = np.linalg.qr(A)
    return np.sum(np.abs(np.diag(R))) + np.sum(Q[:, 0])


@case(randn(3, 3))
def gram_schmidt(A):
    Q = np.zeros_like(A)
    for j in range(A.shape[1]):
        v = A[:, j]
        for i in range(j):
            v = v - np.dot(Q[:, i], A[:, j]) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return np.sum(Q * np.arange(9.0).reshape(3, 3))


@case(randn(2), 0.1)
def gradient_descent_with_logging(x0, lr):
    x, history = x0, []
    for _ in range(10):
        g = 2 * x + np.sin(x)
        x = x - lr * g
        history.append(float(np.sum(x ** 2)))
    return np.sum(x ** 2)


@case(randn(2), 0.1)
def newton_with_early_stop(x0, a):
    x = x0
    for _ in range(20):
        step = (x ** 3 - a - 1) / (3 * x ** 2 + 1)
        x = x - step
        if np.max(np.abs(step)) < 1e-12:
            break
    return np.sum(x)


@case(randn(8))
def nan_aware_mean(x):
    y = np.where(np.arange(8) % 3 == 0, np.nan, x)
    return np.nanmean(y ** 2) + np.nansum(y)


@case(randn(7))
def peak_to_peak(x):
    return np.ptp(x) + np.ptp(x ** 2)


@case(randn(3, 4))
def top_k_scores(scores, k=2):
    idx = np.argsort(scores, axis=1)[:, -k:]
    return np.sum(np.take_along_axis(scores, idx, axis=1))


@case(randn(9))
def trimmed_mean(x, k=2):
    s = np.partition(x, [k, len(x) - k - 1])
    return np.mean(s[k:len(x) - k])


@case(randn(3))
def atleast_2d_layer(x):
    X = np.atleast_2d(x)
    return np.sum(X @ X.T)


@case(2.0, 1.5)
def meshgrid_potential(kx, ky):
    x = np.linspace(-1, 1, 5)
    X, Y = np.meshgrid(x, x)
    return np.sum(np.exp(-(kx * X ** 2 + ky * Y ** 2)))


@case(1.5)
def linspace_traced_endpoint(T):
    t = np.linspace(0, T, 20)
    return np.trapezoid(np.sin(t) ** 2, t)


@case(randn(6))
def sinc_interpolation(samples):
    t = np.linspace(0, 5, 11)
    n = np.arange(6)
    return np.sum((samples[None, :] * np.sinc(t[:, None] - n[None, :])).sum(axis=1) ** 2)


@case(1.3, randn(5))
def plane_wave_intensity(k, x):
    psi = np.exp(1j * k * x) + 0.5 * np.exp(-1j * k * x)
    return np.sum(np.abs(psi) ** 2)


@case(randn(8))
def fft_lowpass(x):
    X = np.fft.fft(x)
    X[3:-2] = 0
    return np.sum(np.real(np.fft.ifft(X)) ** 2)


@case({"w": randn(3), "b": 0.1}, randn(6, 3))
def maml_inner_loop(params, X):
    y = np.array([1.0, -1.0, 0.5, 0.0, 2.0, -0.5])
    p = dict(params)
    for _ in range(3):
        err = X @ p["w"] + p["b"] - y
        p["w"] = p["w"] - 0.1 * X.T @ err / len(y)
        p["b"] = p["b"] - 0.1 * err.mean()
    return np.mean((X @ p["w"] + p["b"] - y) ** 2)


@case(randn(6), rand(6))
def segment_sum_add_at(values, w):
    seg = np.array([0, 1, 0, 2, 1, 2])
    out = np.zeros(3)
    np.add.at(out, seg, values * w)
    return np.sum(out ** 2)


@case(randn(6), rand(6))
def weighted_bincount(values, w):
    seg = np.array([0, 1, 0, 2, 1, 2])
    sums = np.bincount(seg, weights=values * w, minlength=3)
    return np.sum(sums ** 2)


@case(randn(5))
def builtin_sum_over_generator(x):
    return sum(np.exp(-xi ** 2) * (i + 1) for i, xi in enumerate(x))


@case(randn(4, 3))
def einsum_ellipsis_trace(A):
    M = np.einsum("...i,...j->...ij", A, A)
    return np.sum(np.einsum("...ii->...", M))


@case(randn(6))
def append_in_loop(x):
    traj = np.array([])
    s = 0.0
    for xi in x:
        s = 0.9 * s + xi
        traj = np.append(traj, s)
    return np.sum(traj ** 2)


@case(randn(5))
def stack_list_of_steps(x):
    states = [x]
    for _ in range(3):
        states.append(np.tanh(states[-1] * 1.5))
    return np.sum(np.stack(states) ** 2)


@case(randn(3, 3))
def apply_along_axis_norms(A):
    return np.sum(np.apply_along_axis(lambda r: np.sqrt(np.sum(r ** 2)), 1, A))


@case(randn(4))
def insert_and_delete(x):
    y = np.insert(x, 2, 0.5)
    z = np.delete(y, 0)
    return np.sum(z * np.arange(len(z)))


# ======================================================================================
WRITE = ("writes a traced value into a plain array made by np.zeros(n) (out[i] = ..., E += ...): "
         "TracerConversionError naming np.zeros_like(x) / np.zeros(n, like=x), which trace")
LITERAL = ("np.array(...) of traced values (np.array([a, b]), np.array(list), np.array(x) as a "
           "copy, np.r_[...]): NumPy's protocols cannot dispatch it (TracerConversionError)")
CONVERT = ("a traced value made a Python float (math.sqrt / math.exp on a scalar, float(loss) "
           "for logging): TracerConversionError naming the NumPy function")
VECTORIZE = "np.vectorize of a Python function converts its input (TracerConversionError)"
UFUNC_METHOD = "np.add.at on a plain array: an unbuffered write of traced values"


#: what does not differentiate yet, and why (each a strict xfail: a fix makes it fail)
XFAIL: dict = {
    **dict.fromkeys(["conv1d_loop", "conv2d_naive", "electric_field_at_point",
                     "inertia_tensor_eigs"], WRITE),
    **dict.fromkeys(["lorenz_rhs", "van_der_pol_rhs", "rk4_oscillator", "rotate_2d",
                     "iir_first_order", "clip_in_place", "prepend_zero_r_"], LITERAL),
    **dict.fromkeys(["pendulum_period_math", "damped_oscillation_math",
                     "gradient_descent_with_logging"], CONVERT),
    "vectorized_python_function": VECTORIZE,
    "segment_sum_add_at": UFUNC_METHOD,
}


def _params():
    return [pytest.param(c, id=f"{c.group}/{c.fn.__name__}",
                         marks=[pytest.mark.xfail(strict=True, reason=XFAIL[c.fn.__name__])]
                         if c.fn.__name__ in XFAIL else [])
            for c in CORPUS]


@pytest.mark.parametrize("c", _params())
def test_corpus_function_differentiates_unmodified(c):
    dfdx.check_grad(c.fn, *c.args)


def share():
    """(differentiating, total, {cause: [names]}) over the corpus."""
    causes: dict = {}
    for c in CORPUS:
        if c.fn.__name__ in XFAIL:
            causes.setdefault(XFAIL[c.fn.__name__], []).append(c.fn.__name__)
    return len(CORPUS) - sum(map(len, causes.values())), len(CORPUS), causes


def report():
    ok, total, causes = share()
    lines = [f"corpus: {ok} of {total} functions differentiate unmodified ({100 * ok / total:.0f}%)"]
    for cause, names in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(names):3d}  {cause}: {', '.join(names)}")
    return "\n".join(lines)


def test_corpus_is_large_and_names_are_unique():
    names = Counter(c.fn.__name__ for c in CORPUS)
    assert len(CORPUS) >= 150
    assert not [n for n, k in names.items() if k > 1]
    assert set(XFAIL) <= set(names), set(XFAIL) - set(names)
    assert len({c.group for c in CORPUS}) >= 8


def test_readme_reports_this_share():
    ok, total, _ = share()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    figure = f"{ok} of {total}"
    assert figure in readme, (f"README.md should report the corpus share '{figure}' "
                              f"(python tests/test_corpus.py prints it):\n{report()}")


if __name__ == "__main__":
    print(report())
    sys.exit(0)
