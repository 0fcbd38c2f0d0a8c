# Independent spot checks of the layers/ reference files in pure Python (double precision), no torch:
# Linear, BatchNorm (running stats with the unbiased variance), LayerNorm, Embedding, losses, Conv2d
# (incl. 'same' with an even kernel), pooling, GRU, LSTM, MultiheadAttention with a key padding mask.
# usage: python3 check_layers.py tests/reference/layers   (exit status 1 if a value disagrees by 1e-5 or more)
import json, math, sys, os
FAILED = []
D = sys.argv[1]
def load(n): return json.load(open(os.path.join(D, n + '.json')))
def reshape(data, shape):
    if not shape: return data[0]
    if len(shape) == 1: return list(data)
    step = len(data) // shape[0]
    return [reshape(data[i*step:(i+1)*step], shape[1:]) for i in range(shape[0])]
def T(t): return reshape(t['data'], t['shape'])
def flat(x): return [a for b in x for a in flat(b)] if isinstance(x, list) else [x]
def cmp(name, got, want):
    g = flat(got); w = flat(want['data'] if isinstance(want, dict) else want)
    assert len(g) == len(w), (name, len(g), len(w))
    e = max(abs(a - b) for a, b in zip(g, w))
    print('%-55s max abs diff %.2e %s' % (name, e, 'OK' if e < 1e-5 else '<-- CHECK'))
    if not e < 1e-5: FAILED.append(name)
def sig(x): return 1/(1+math.exp(-x))
def matvec(W, x): return [sum(a*b for a, b in zip(r, x)) for r in W]

# Linear: y = x W^T + b; grads dx = g W, dW = g^T x, db = sum g
d = load('linear_bias'); W = T(d['parameters']['weight']); b = T(d['parameters']['bias']); X = T(d['inputs'][0]); G = T(d['grad_outputs'][0])
cmp('linear_bias output', [[v + bb for v, bb in zip(matvec(W, x), b)] for x in X], d['outputs'][0])
cmp('linear_bias grad input', [[sum(g[o]*W[o][i] for o in range(3)) for i in range(5)] for g in G], d['grads'][0])
cmp('linear_bias grad weight', [[sum(G[n][o]*X[n][i] for n in range(4)) for i in range(5)] for o in range(3)], d['parameter_grads']['weight'])
cmp('linear_bias grad bias', [sum(G[n][o] for n in range(4)) for o in range(3)], d['parameter_grads']['bias'])

# BatchNorm1d training: batch mean, biased var for normalising, unbiased var for running_var
for name in ['batchnorm1d_train', 'batchnorm1d_eval']:
    d = load(name); X = T(d['inputs'][0]); w = T(d['parameters']['weight']); b = T(d['parameters']['bias'])
    rm = T(d['buffers_before']['running_mean']); rv = T(d['buffers_before']['running_var']); N = len(X)
    train = d['attributes']['training']
    out = [[0]*4 for _ in X]; nrm = []; nrv = []
    for c in range(4):
        col = [x[c] for x in X]; m = sum(col)/N; vb = sum((v-m)**2 for v in col)/N; vu = vb*N/(N-1)
        mean, var = (m, vb) if train else (rm[c], rv[c])
        for n in range(N): out[n][c] = (X[n][c]-mean)/math.sqrt(var+1e-5)*w[c] + b[c]
        nrm.append(0.9*rm[c] + 0.1*m if train else rm[c]); nrv.append(0.9*rv[c] + 0.1*vu if train else rv[c])
    cmp(name + ' output', out, d['outputs'][0])
    cmp(name + ' running_mean after', nrm, d['buffers_after']['running_mean'])
    cmp(name + ' running_var after (unbiased)', nrv, d['buffers_after']['running_var'])
    print('   num_batches_tracked', d['buffers_before']['num_batches_tracked']['data'], '->', d['buffers_after']['num_batches_tracked']['data'])
    if not train:
        G = T(d['grad_outputs'][0])
        cmp(name + ' grad input', [[G[n][c]*w[c]/math.sqrt(rv[c]+1e-5) for c in range(4)] for n in range(N)], d['grads'][0])

# BatchNorm2d training running var over N*H*W
d = load('batchnorm2d_train'); X = T(d['inputs'][0]); rv = T(d['buffers_before']['running_var'])
nrv = []
for c in range(3):
    vals = [X[n][c][h][w_] for n in range(4) for h in range(5) for w_ in range(5)]; m = sum(vals)/len(vals)
    nrv.append(0.9*rv[c] + 0.1*sum((v-m)**2 for v in vals)/(len(vals)-1))
cmp('batchnorm2d_train running_var after', nrv, d['buffers_after']['running_var'])

# LayerNorm over last two dims
d = load('layernorm_last2'); X = T(d['inputs'][0]); w = T(d['parameters']['weight']); b = T(d['parameters']['bias'])
out = []
for x in X:
    v = flat(x); m = sum(v)/len(v); var = sum((a-m)**2 for a in v)/len(v)
    out.append([[(x[i][j]-m)/math.sqrt(var+1e-5)*w[i][j] + b[i][j] for j in range(4)] for i in range(3)])
cmp('layernorm_last2 output', out, d['outputs'][0])

# Embedding: weight grad accumulates over repeated indices
d = load('embedding_repeats'); idx = [int(v) for v in d['inputs'][0]['data']]; G = reshape(d['grad_outputs'][0]['data'], [15, 4])
gw = [[0.0]*4 for _ in range(10)]
for i, g in zip(idx, G):
    for j in range(4): gw[i][j] += g[j]
cmp('embedding_repeats weight grad', gw, d['parameter_grads']['weight'])
print('   grads', d['grads'])

# CrossEntropy with weight and label smoothing
for name in ['crossentropyloss_weight', 'crossentropyloss_weight_label_smoothing', 'crossentropyloss_label_smoothing', 'crossentropyloss_weight_label_smoothing_none']:
    d = load(name); X = T(d['inputs'][0]); t = [int(v) for v in d['inputs'][1]['data']]
    a = d['attributes']; w = a['weight'] or [1.0]*5; eps = a['label_smoothing']; C = 5
    nll = []; smooth = []
    for x, y in zip(X, t):
        lse = math.log(sum(math.exp(v) for v in x)); lp = [v - lse for v in x]
        nll.append(-w[y]*lp[y]); smooth.append(-sum(w[c]*lp[c] for c in range(C)))
    if a['reduction'] == 'mean':
        den = sum(w[y] for y in t)
        val = (1-eps)*sum(nll)/den + eps/C*sum(smooth)/den
        cmp(name + ' value', [val], d['outputs'][0])
    else:
        cmp(name + ' values', [(1-eps)*n + eps/C*s for n, s in zip(nll, smooth)], d['outputs'][0])

# Huber / SmoothL1
for name, kind, k in [('huberloss_delta0p5', 'huber', 0.5), ('huberloss_delta1', 'huber', 1.0), ('smoothl1loss_beta1', 'sl1', 1.0)]:
    d = load(name); a = flat(T(d['inputs'][0])); b = flat(T(d['inputs'][1])); tot = 0
    for x, y in zip(a, b):
        r = abs(x - y)
        if kind == 'huber': tot += 0.5*r*r if r < k else k*(r - 0.5*k)
        else: tot += 0.5*r*r/k if r < k else r - 0.5*k
    cmp(name + ' value', [tot/len(a)], d['outputs'][0])

# Conv2d same k4: zero padding 1 before, 2 after
def conv2d(X, W, B, stride, pad, dil=(1, 1), groups=1):
    N = len(X); Cin = len(X[0]); H = len(X[0][0]); Wd = len(X[0][0][0]); Cout = len(W); kh = len(W[0][0]); kw = len(W[0][0][0])
    (pt, pb), (pl, pr) = pad
    OH = (H + pt + pb - dil[0]*(kh-1) - 1)//stride[0] + 1; OW = (Wd + pl + pr - dil[1]*(kw-1) - 1)//stride[1] + 1
    cpg = Cin // groups; opg = Cout // groups
    out = [[[[0.0]*OW for _ in range(OH)] for _ in range(Cout)] for _ in range(N)]
    for n in range(N):
        for o in range(Cout):
            g = o // opg
            for oh in range(OH):
                for ow in range(OW):
                    s = B[o] if B else 0.0
                    for ci in range(cpg):
                        c = g*cpg + ci
                        for i in range(kh):
                            for j in range(kw):
                                h = oh*stride[0] - pt + i*dil[0]; w_ = ow*stride[1] - pl + j*dil[1]
                                if 0 <= h < H and 0 <= w_ < Wd: s += W[o][ci][i][j]*X[n][c][h][w_]
                    out[n][o][oh][ow] = s
    return out
for name, st, pad, dil, gr in [('conv2d_same_k4', (1, 1), ((1, 2), (1, 2)), (1, 1), 1), ('conv2d_same_k3', (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
                               ('conv2d_stride2_pad1', (2, 2), ((1, 1), (1, 1)), (1, 1), 1), ('conv2d_dilation2', (1, 1), ((2, 2), (2, 2)), (2, 2), 1),
                               ('conv2d_depthwise', (1, 1), ((1, 1), (1, 1)), (1, 1), 3), ('conv2d_rect_k2x3_stride2x1', (2, 1), ((0, 0), (0, 0)), (1, 1), 1)]:
    d = load(name); p = d['parameters']
    cmp(name + ' output', conv2d(T(d['inputs'][0]), T(p['weight']), T(p['bias']) if 'bias' in p else None, st, pad, dil, gr), d['outputs'][0])

# Pools
def pool(X, k, s, p, fn):
    out = []
    for ch in X:
        H = len(ch); W = len(ch[0]); OH = (H + 2*p - k)//s + 1; OW = (W + 2*p - k)//s + 1
        out.append([[fn([ch[h][w] for h in range(oh*s-p, oh*s-p+k) for w in range(ow*s-p, ow*s-p+k) if 0 <= h < H and 0 <= w < W], k*k) for ow in range(OW)] for oh in range(OH)])
    return out
d = load('maxpool2d_k3_s2_p1'); cmp('maxpool2d_k3_s2_p1 output', [pool(x, 3, 2, 1, lambda v, n: max(v)) for x in T(d['inputs'][0])], d['outputs'][0])
d = load('avgpool2d_k3_s2_p1_exclude_pad'); cmp('avgpool2d exclude_pad output', [pool(x, 3, 2, 1, lambda v, n: sum(v)/len(v)) for x in T(d['inputs'][0])], d['outputs'][0])
d = load('avgpool2d_k3_s2_p1_include_pad'); cmp('avgpool2d include_pad output', [pool(x, 3, 2, 1, lambda v, n: sum(v)/n) for x in T(d['inputs'][0])], d['outputs'][0])

# GRU: r, z, n gate order; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h
def gru_dir(xs, h, P, sfx):
    Wi = T(P['weight_ih_l0' + sfx]); Wh = T(P['weight_hh_l0' + sfx]); bi = T(P['bias_ih_l0' + sfx]); bh = T(P['bias_hh_l0' + sfx]); H = len(h); outs = []
    for x in xs:
        gi = [a + b for a, b in zip(matvec(Wi, x), bi)]; gh = [a + b for a, b in zip(matvec(Wh, h), bh)]
        r = [sig(gi[j] + gh[j]) for j in range(H)]; z = [sig(gi[H+j] + gh[H+j]) for j in range(H)]
        n = [math.tanh(gi[2*H+j] + r[j]*gh[2*H+j]) for j in range(H)]
        h = [(1-z[j])*n[j] + z[j]*h[j] for j in range(H)]; outs.append(h)
    return outs, h
for name in ['gru_h0', 'gru_bidirectional']:
    d = load(name); X = T(d['inputs'][0]); P = d['parameters']; bi = d['attributes']['bidirectional']
    h0 = T(d['inputs'][1]) if len(d['inputs']) > 1 else [[[0.0]*4 for _ in range(2)] for _ in range(2 if bi else 1)]
    out = []; hn = [[], []]
    for b in range(2):
        f, hf = gru_dir(X[b], h0[0][b], P, '')
        if bi:
            r, hr = gru_dir(X[b][::-1], h0[1][b], P, '_reverse'); r = r[::-1]
            out.append([a + c for a, c in zip(f, r)]); hn[1].append(hr)
        else: out.append(f)
        hn[0].append(hf)
    cmp(name + ' output', out, d['outputs'][0]); cmp(name + ' h_n', hn[:2 if bi else 1], d['outputs'][1])

# LSTM: i, f, g, o gate order
def lstm_layer(xs, h, c, P, sfx):
    Wi = T(P['weight_ih' + sfx]); Wh = T(P['weight_hh' + sfx]); bi = T(P['bias_ih' + sfx]); bh = T(P['bias_hh' + sfx]); H = len(h); outs = []
    for x in xs:
        g = [a + b + cc + dd for a, b, cc, dd in zip(matvec(Wi, x), bi, matvec(Wh, h), bh)]
        i = [sig(v) for v in g[:H]]; f = [sig(v) for v in g[H:2*H]]; gg = [math.tanh(v) for v in g[2*H:3*H]]; o = [sig(v) for v in g[3*H:]]
        c = [f[j]*c[j] + i[j]*gg[j] for j in range(H)]; h = [o[j]*math.tanh(c[j]) for j in range(H)]; outs.append(h)
    return outs, h, c
d = load('lstm_2layer'); X = T(d['inputs'][0]); h0 = T(d['inputs'][1]); c0 = T(d['inputs'][2]); P = d['parameters']
out = []; hn = [[], []]; cn = [[], []]
for b in range(2):
    o1, h1, c1 = lstm_layer(X[b], h0[0][b], c0[0][b], P, '_l0'); o2, h2, c2 = lstm_layer(o1, h0[1][b], c0[1][b], P, '_l1')
    out.append(o2); hn[0].append(h1); hn[1].append(h2); cn[0].append(c1); cn[1].append(c2)
cmp('lstm_2layer output', out, d['outputs'][0]); cmp('lstm_2layer h_n', hn, d['outputs'][1]); cmp('lstm_2layer c_n', cn, d['outputs'][2])

# MHA with key padding mask, from the file
d = load('mha_self_key_padding'); P = d['parameters']; q, k, v = [T(t) for t in d['inputs'][:3]]; kpm = T(d['inputs'][3])
Wi = T(P['in_proj_weight']); bi = T(P['in_proj_bias']); Wo = T(P['out_proj.weight']); bo = T(P['out_proj.bias'])
out = []; wavg = []
for b in range(2):
    Q = [[a + c for a, c in zip(matvec(Wi[0:8], x), bi[0:8])] for x in q[b]]
    K = [[a + c for a, c in zip(matvec(Wi[8:16], x), bi[8:16])] for x in k[b]]
    V = [[a + c for a, c in zip(matvec(Wi[16:24], x), bi[16:24])] for x in v[b]]
    ctx = [[0.0]*8 for _ in q[b]]; W = [[0.0]*len(k[b]) for _ in q[b]]
    for hd in range(2):
        sl = slice(4*hd, 4*hd + 4)
        for i, qi in enumerate(Q):
            sc = [sum(a*c for a, c in zip(qi[sl], kj[sl]))/2.0 if not kpm[b][j] else -1e300 for j, kj in enumerate(K)]
            m = max(sc); e = [math.exp(s - m) if s > -1e299 else 0.0 for s in sc]; z = sum(e); p = [x/z for x in e]
            for j in range(len(K)): W[i][j] += p[j]/2
            for t_ in range(4): ctx[i][4*hd + t_] = sum(p[j]*V[j][4*hd + t_] for j in range(len(K)))
    out.append([[a + c for a, c in zip(matvec(Wo, x), bo)] for x in ctx]); wavg.append(W)
cmp('mha_self_key_padding attn_output', out, d['outputs'][0]); cmp('mha_self_key_padding weights (mean over heads)', wavg, d['outputs'][1])

sys.exit(1 if FAILED else 0)
