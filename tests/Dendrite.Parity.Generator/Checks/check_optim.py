# Independent check of the optim/ reference files: a double-precision MLP and each optimiser as written in
# torch's documentation (pseudo-code), no torch involved. LBFGS is skipped (see the README).
# usage: python3 check_optim.py tests/reference/optim   (exit status 1 if a parameter disagrees by 1e-5 or more)
import json, math, sys, glob, os
FAILED = []
D = sys.argv[1]

def mat(t): 
    r, c = t['shape']; d = t['data']; return [d[i*c:(i+1)*c] for i in range(r)]

def forward_backward(P, X, Y):
    W1, b1, W2, b2 = P['0.weight'], P['0.bias'], P['2.weight'], P['2.bias']
    n = len(X); H = len(b1); O = len(b2)
    loss = 0.0
    gW1 = [[0.0]*len(W1[0]) for _ in W1]; gb1 = [0.0]*H; gW2 = [[0.0]*H for _ in W2]; gb2 = [0.0]*O
    for x, y in zip(X, Y):
        z = [sum(W1[j][i]*x[i] for i in range(len(x))) + b1[j] for j in range(H)]
        h = [math.tanh(v) for v in z]
        o = [sum(W2[k][j]*h[j] for j in range(H)) + b2[k] for k in range(O)]
        for k in range(O):
            r = o[k] - y[k]; loss += r*r
            go = 2*r/(n*O)
            gb2[k] += go
            for j in range(H): gW2[k][j] += go*h[j]
        gh = [sum(2*(o[k]-y[k])/(n*O)*W2[k][j] for k in range(O)) for j in range(H)]
        for j in range(H):
            gz = gh[j]*(1-h[j]*h[j]); gb1[j] += gz
            for i in range(len(x)): gW1[j][i] += gz*x[i]
    return loss/(n*O), {'0.weight': gW1, '0.bias': gb1, '2.weight': gW2, '2.bias': gb2}

def flat(v): return [a for r in v for a in r] if isinstance(v[0], list) else list(v)
def unflat(f, like):
    if isinstance(like[0], list):
        c = len(like[0]); return [f[i*c:(i+1)*c] for i in range(len(like))]
    return list(f)

def sign(v): return (v > 0) - (v < 0)

def run(d):
    a = d['attributes']; opt = d['optimizer']; clip = d['grad_clipping']
    X = mat(d['inputs']); Y = mat(d['targets'])
    names = list(d['initial_parameters'])
    P = {k: (mat(t) if len(t['shape']) == 2 else list(t['data'])) for k, t in d['initial_parameters'].items()}
    st = {k: {} for k in names}
    worst = 0.0; worst_loss = 0.0
    for step_i, rec in enumerate(d['steps'], 1):
        loss, G = forward_backward(P, X, Y)
        worst_loss = max(worst_loss, abs(loss - rec['loss']) / max(1e-12, abs(rec['loss'])))
        g = {k: flat(G[k]) for k in names}
        if clip:
            if clip['function'] == 'clip_grad_norm_':
                tot = math.sqrt(sum(v*v for k in names for v in g[k]))
                coef = min(1.0, clip['max_norm'] / (tot + 1e-6))
                g = {k: [v*coef for v in g[k]] for k in names}
            else:
                c = clip['clip_value']; g = {k: [max(-c, min(c, v)) for v in g[k]] for k in names}
        for k in names:
            p = flat(P[k]); gk = g[k]; s = st[k]; n = len(p)
            if opt == 'SGD':
                lr, mu, damp, wd, nest = a['lr'], a['momentum'], a['dampening'], a['weight_decay'], a['nesterov']
                gk = [gi + wd*pi for gi, pi in zip(gk, p)]
                if mu != 0:
                    if 'b' not in s: s['b'] = list(gk)
                    else: s['b'] = [mu*b + (1-damp)*gi for b, gi in zip(s['b'], gk)]
                    gk = [gi + mu*b for gi, b in zip(gk, s['b'])] if nest else s['b']
                p = [pi - lr*gi for pi, gi in zip(p, gk)]
            elif opt == 'Adagrad':
                s['t'] = s.get('t', 0) + 1; s.setdefault('sum', [a['initial_accumulator_value']]*n)
                clr = a['lr'] / (1 + (s['t']-1)*a['lr_decay'])
                gk = [gi + a['weight_decay']*pi for gi, pi in zip(gk, p)]
                s['sum'] = [q + gi*gi for q, gi in zip(s['sum'], gk)]
                p = [pi - clr*gi/(math.sqrt(q)+a['eps']) for pi, gi, q in zip(p, gk, s['sum'])]
            elif opt == 'RMSprop':
                al, eps, mu = a['alpha'], a['eps'], a['momentum']
                s.setdefault('v', [0.0]*n); s.setdefault('ga', [0.0]*n); s.setdefault('b', [0.0]*n)
                s['v'] = [al*v + (1-al)*gi*gi for v, gi in zip(s['v'], gk)]
                if a['centered']:
                    s['ga'] = [al*m + (1-al)*gi for m, gi in zip(s['ga'], gk)]
                    den = [math.sqrt(v - m*m) + eps for v, m in zip(s['v'], s['ga'])]
                else:
                    den = [math.sqrt(v) + eps for v in s['v']]
                if mu > 0:
                    s['b'] = [mu*b + gi/dd for b, gi, dd in zip(s['b'], gk, den)]
                    p = [pi - a['lr']*b for pi, b in zip(p, s['b'])]
                else:
                    p = [pi - a['lr']*gi/dd for pi, gi, dd in zip(p, gk, den)]
            elif opt == 'Adadelta':
                rho, eps = a['rho'], a['eps']
                s.setdefault('v', [0.0]*n); s.setdefault('u', [0.0]*n)
                s['v'] = [rho*v + (1-rho)*gi*gi for v, gi in zip(s['v'], gk)]
                dx = [math.sqrt(u+eps)/math.sqrt(v+eps)*gi for u, v, gi in zip(s['u'], s['v'], gk)]
                s['u'] = [rho*u + (1-rho)*x*x for u, x in zip(s['u'], dx)]
                p = [pi - a['lr']*x for pi, x in zip(p, dx)]
            elif opt in ('Adam', 'AdamW'):
                b1, b2 = a['betas']; lr, eps, wd = a['lr'], a['eps'], a['weight_decay']
                s['t'] = s.get('t', 0) + 1; t = s['t']
                s.setdefault('m', [0.0]*n); s.setdefault('v', [0.0]*n); s.setdefault('vmax', [0.0]*n)
                if opt == 'AdamW': p = [pi*(1 - lr*wd) for pi in p]
                else: gk = [gi + wd*pi for gi, pi in zip(gk, p)]
                s['m'] = [b1*m + (1-b1)*gi for m, gi in zip(s['m'], gk)]
                s['v'] = [b2*v + (1-b2)*gi*gi for v, gi in zip(s['v'], gk)]
                v = s['v']
                if a['amsgrad']:
                    s['vmax'] = [max(x, y) for x, y in zip(s['vmax'], s['v'])]; v = s['vmax']
                bc1 = 1 - b1**t; bc2 = 1 - b2**t
                p = [pi - lr/bc1 * m / (math.sqrt(vv)/math.sqrt(bc2) + eps) for pi, m, vv in zip(p, s['m'], v)]
            elif opt == 'NAdam':
                b1, b2 = a['betas']; lr, eps, md = a['lr'], a['eps'], a['momentum_decay']
                s['t'] = s.get('t', 0) + 1; t = s['t']
                s.setdefault('m', [0.0]*n); s.setdefault('v', [0.0]*n); s.setdefault('mu', 1.0)
                mu = b1*(1 - 0.5*0.96**(t*md)); mun = b1*(1 - 0.5*0.96**((t+1)*md))
                s['mu'] *= mu
                s['m'] = [b1*m + (1-b1)*gi for m, gi in zip(s['m'], gk)]
                s['v'] = [b2*v + (1-b2)*gi*gi for v, gi in zip(s['v'], gk)]
                den = [math.sqrt(v/(1-b2**t)) + eps for v in s['v']]
                p = [pi - lr*(1-mu)/(1-s['mu'])*gi/dd - lr*mun/(1-s['mu']*mun)*m/dd for pi, gi, m, dd in zip(p, gk, s['m'], den)]
            elif opt == 'Rprop':
                em, ep = a['etas']; smin, smax = a['step_sizes']
                s.setdefault('prev', [0.0]*n); s.setdefault('eta', [a['lr']]*n)
                newp = []; newprev = []; neweta = []
                for pi, gi, pr, et in zip(p, gk, s['prev'], s['eta']):
                    sg = sign(gi*pr)
                    f = ep if sg > 0 else (em if sg < 0 else 1.0)
                    et = min(max(et*f, smin), smax)
                    if sg < 0: gi = 0.0
                    newp.append(pi - sign(gi)*et); newprev.append(gi); neweta.append(et)
                p, s['prev'], s['eta'] = newp, newprev, neweta
            else:
                return None
            P[k] = unflat(p, P[k])
        for k in names:
            rp = rec['parameters'][k]['data']
            worst = max(worst, max(abs(x - y) for x, y in zip(flat(P[k]), rp)))
    return worst, worst_loss

for f in sorted(glob.glob(os.path.join(D, '*.json'))):
    d = json.load(open(f))
    r = run(d)
    print('%-30s %s' % (d['name'], 'skipped' if r is None else 'max |param diff| %.2e  max rel loss diff %.2e' % r))
    if r is not None and not (r[0] < 1e-5 and r[1] < 1e-5): FAILED.append(d['name'])
sys.exit(1 if FAILED else 0)
