# Independent checks of the attention layer files in pure Python (double precision), no torch:
# MultiheadAttention (masks True = not attended, weights averaged over heads), SDPA causal, Transformer layers.
# usage: python3 check_attention.py tests/reference/layers
import json, math, sys
FAILED = []
MARGINS = {'transformer_decoder_causal': [], 'transformer_encoder_post_norm': [], 'transformer_encoder_pre_norm': []}
D = sys.argv[1]
def load(n): return json.load(open('%s/%s.json' % (D, n)))
def T(t):
    s = t['shape']; x = t['data']
    if len(s) == 1: return list(x)
    n = 1
    for v in s[1:]: n *= v
    if len(s) == 2: return [x[i*s[1]:(i+1)*s[1]] for i in range(s[0])]
    return [T({'shape': s[1:], 'data': x[i*n:(i+1)*n]}) for i in range(s[0])]
def flat(x): return [a for b in x for a in flat(b)] if isinstance(x, list) else [x]
def cmp(name, got, want):
    e = max(abs(a - b) for a, b in zip(flat(got), want['data'])); assert len(flat(got)) == len(want['data'])
    print('%-50s max abs diff %.2e %s' % (name, e, 'OK' if e < 1e-5 else '<-- CHECK'))
    if not e < 1e-5: FAILED.append(name)
def lin(x, W, b): return [sum(a*c for a, c in zip(r, x)) + bb for r, bb in zip(W, b)]
def ln(x, w, b):
    m = sum(x)/len(x); v = sum((a-m)**2 for a in x)/len(x); return [(a-m)/math.sqrt(v+1e-5)*ww + bb for a, ww, bb in zip(x, w, b)]
def attend(Q, K, V, masked):  # one head; masked(i, j) -> bool
    d = len(Q[0]); out = []; Ws = []
    for i, q in enumerate(Q):
        sc = [sum(a*c for a, c in zip(q, k))/math.sqrt(d) for k in K]
        e = [0.0 if masked(i, j) else math.exp(s - max(sc)) for j, s in enumerate(sc)]; z = sum(e); p = [v/z for v in e]
        Ws.append(p); out.append([sum(p[j]*V[j][t] for j in range(len(V))) for t in range(len(V[0]))])
    return out, Ws
def mha(P, pre, q, k, v, masked, E=8, H=2):
    W = P[pre + 'in_proj_weight']; B = P[pre + 'in_proj_bias']; hd = E // H
    Q = [lin(x, W[0:E], B[0:E]) for x in q]; K = [lin(x, W[E:2*E], B[E:2*E]) for x in k]; V = [lin(x, W[2*E:], B[2*E:]) for x in v]
    ctx = [[0.0]*E for _ in q]; avg = [[0.0]*len(k) for _ in q]
    for h in range(H):
        s = slice(h*hd, (h+1)*hd)
        o, Ws = attend([x[s] for x in Q], [x[s] for x in K], [x[s] for x in V], masked)
        for i in range(len(q)):
            ctx[i][s] = o[i]
            for j in range(len(k)): avg[i][j] += Ws[i][j]/H
    return [lin(c, P[pre + 'out_proj.weight'], P[pre + 'out_proj.bias']) for c in ctx], avg
for name in ['mha_self', 'mha_self_causal', 'mha_cross', 'mha_self_key_padding']:
    d = load(name); P = {k: T(v) for k, v in d['parameters'].items()}; ins = {i['name']: i for i in d['inputs']}
    q, k, v = T(ins['query']), T(ins['key']), T(ins['value']); outs = []; ws = []
    for b in range(2):
        if 'attn_mask' in ins: m = T(ins['attn_mask']); masked = lambda i, j: m[i][j] == 1
        elif 'key_padding_mask' in ins: m = T(ins['key_padding_mask']); masked = lambda i, j, b=b: m[b][j] == 1
        else: masked = lambda i, j: False
        o, w = mha(P, '', q[b], k[b], v[b], masked); outs.append(o); ws.append(w)
    cmp(name + ' attn_output', outs, d['outputs'][0]); cmp(name + ' attn_output_weights', ws, d['outputs'][1])
d = load('sdpa_causal'); q, k, v = [T(i) for i in d['inputs']]
cmp('sdpa_causal output', [[attend(q[b][h], k[b][h], v[b][h], lambda i, j: j > i)[0] for h in range(2)] for b in range(2)], d['outputs'][0])
d = load('transformer_decoder_causal'); P = {k: T(v) for k, v in d['parameters'].items()}; tgt, mem, m = [T(i) for i in d['inputs']]
out = []
for b in range(2):
    x = tgt[b]
    a, _ = mha(P, 'self_attn.', x, x, x, lambda i, j: m[i][j] == 1); x = [ln([p+q for p, q in zip(r, s)], P['norm1.weight'], P['norm1.bias']) for r, s in zip(x, a)]
    a, _ = mha(P, 'multihead_attn.', x, mem[b], mem[b], lambda i, j: False); x = [ln([p+q for p, q in zip(r, s)], P['norm2.weight'], P['norm2.bias']) for r, s in zip(x, a)]
    MARGINS['transformer_decoder_causal'].append(min(abs(t) for r in x for t in lin(r, P['linear1.weight'], P['linear1.bias'])))
    f = [lin([max(0.0, t) for t in lin(r, P['linear1.weight'], P['linear1.bias'])], P['linear2.weight'], P['linear2.bias']) for r in x]
    out.append([ln([p+q for p, q in zip(r, s)], P['norm3.weight'], P['norm3.bias']) for r, s in zip(x, f)])
cmp('transformer_decoder_causal output', out, d['outputs'][0])
d = load('transformer_encoder_post_norm'); P = {k: T(v) for k, v in d['parameters'].items()}; src = T(d['inputs'][0]); out = []
for x in src:
    a, _ = mha(P, 'self_attn.', x, x, x, lambda i, j: False); x = [ln([p+q for p, q in zip(r, s)], P['norm1.weight'], P['norm1.bias']) for r, s in zip(x, a)]
    MARGINS['transformer_encoder_post_norm'].append(min(abs(t) for r in x for t in lin(r, P['linear1.weight'], P['linear1.bias'])))
    f = [lin([max(0.0, t) for t in lin(r, P['linear1.weight'], P['linear1.bias'])], P['linear2.weight'], P['linear2.bias']) for r in x]
    out.append([ln([p+q for p, q in zip(r, s)], P['norm2.weight'], P['norm2.bias']) for r, s in zip(x, f)])
cmp('transformer_encoder_post_norm output', out, d['outputs'][0])

d = load('transformer_encoder_pre_norm'); P = {k: T(v) for k, v in d['parameters'].items()}; src = T(d['inputs'][0]); out = []
for x in src:
    n1 = [ln(r, P['norm1.weight'], P['norm1.bias']) for r in x]; a, _ = mha(P, 'self_attn.', n1, n1, n1, lambda i, j: False)
    x = [[p+q for p, q in zip(r, s)] for r, s in zip(x, a)]
    n2 = [ln(r, P['norm2.weight'], P['norm2.bias']) for r in x]
    MARGINS['transformer_encoder_pre_norm'].append(min(abs(t) for r in n2 for t in lin(r, P['linear1.weight'], P['linear1.bias'])))
    f = [lin([max(0.0, t) for t in lin(r, P['linear1.weight'], P['linear1.bias'])], P['linear2.weight'], P['linear2.bias']) for r in n2]
    out.append([[p+q for p, q in zip(r, s)] for r, s in zip(x, f)])
cmp('transformer_encoder_pre_norm output', out, d['outputs'][0])
for k, v in MARGINS.items(): print('%-50s min |relu input| %.2e' % (k, min(v)))
sys.exit(1 if FAILED else 0)
