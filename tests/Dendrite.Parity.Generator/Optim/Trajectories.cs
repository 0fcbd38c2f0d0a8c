using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Optim;

/// <summary>
/// One optimiser trajectory: the fixed problem of <see cref="TrajectoryRunner"/> trained for 20 full-batch
/// steps by one optimiser. A row of <see cref="Trajectories"/>; written to tests/reference/optim/&lt;name&gt;.json.
/// </summary>
/// <param name="Name">File name without extension; also the seed. Unique across every family.</param>
/// <param name="Optimizer">torch's class name: SGD, Adam, LBFGS...</param>
/// <param name="Description">The construction in torch notation and anything special about the loop.</param>
/// <param name="Attributes">Every hyper-parameter, torch's argument names and values (defaults written out too).</param>
/// <param name="Make">Builds the optimiser over the parameters and returns one training step: given the
/// closure (zero_grad, forward, loss, backward; returns the loss), it does one optimiser step and returns the loss before it.</param>
sealed record TrajectoryCase(string Name, string Optimizer, string Description, (string, object?)[] Attributes, Func<Parameter[], Func<Func<Tensor>, Tensor>> Make)
{
    /// <summary>Gradient clipping between backward and step, or null; written as "grad_clipping".</summary>
    public (string, object?)[]? GradClipping { get; init; }
}

/// <summary>The optimiser cases. Optimisers are TorchSharp's (C# ports of torch's Python ones, LBFGS is libtorch's C++), except LBFGS with strong_wolfe, which TorchSharp lacks (<see cref="PythonLbfgs"/>).</summary>
static class Trajectories
{
    const string Loop = "each step: zero_grad, loss = mse(net(X), Y), backward, optimizer.step()";

    public static TrajectoryCase[] Cases =>
    [
        Sgd("sgd", lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false),
        Sgd("sgd_momentum", lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false),
        Sgd("sgd_momentum_dampening", lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0, nesterov: false),
        Sgd("sgd_nesterov", lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true),
        Sgd("sgd_weight_decay", lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false),
        Sgd("sgd_clip_grad_norm", lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false,
            clip: [("function", "clip_grad_norm_"), ("max_norm", 0.5), ("norm_type", 2.0)],
            note: "; before each step clip_grad_norm_(parameters, max_norm = 0.5, norm_type = 2): every gradient is multiplied by min(1, 0.5 / (total_norm + 1e-6)), total_norm = the 2-norm of all gradients together"),
        Sgd("sgd_clip_grad_value", lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false,
            clip: [("function", "clip_grad_value_"), ("clip_value", 0.1)],
            note: "; before each step clip_grad_value_(parameters, clip_value = 0.1): every gradient element is clamped to [-0.1, 0.1]"),

        Standard("adagrad", "Adagrad", "Adagrad(lr = 0.1, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10)",
            [("lr", 0.1), ("lr_decay", 0.0), ("weight_decay", 0.0), ("initial_accumulator_value", 0.0), ("eps", 1e-10)],
            p => optim.Adagrad(p, lr: 0.1, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10)),
        Standard("adagrad_lr_decay", "Adagrad", "Adagrad(lr = 0.1, lr_decay = 0.01, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10): step k uses lr / (1 + (k - 1) * lr_decay)",
            [("lr", 0.1), ("lr_decay", 0.01), ("weight_decay", 0.0), ("initial_accumulator_value", 0.0), ("eps", 1e-10)],
            p => optim.Adagrad(p, lr: 0.1, lr_decay: 0.01, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10)),

        Standard("rmsprop", "RMSprop", "RMSprop(lr = 0.01, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = False)",
            RmspropAttributes(momentum: 0, centered: false), p => optim.RMSProp(p, lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false)),
        Standard("rmsprop_centered", "RMSprop", "RMSprop(lr = 0.01, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = True)",
            RmspropAttributes(momentum: 0, centered: true), p => optim.RMSProp(p, lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: true)),
        Standard("rmsprop_momentum", "RMSprop", "RMSprop(lr = 0.01, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0.9, centered = False)",
            RmspropAttributes(momentum: 0.9, centered: false), p => optim.RMSProp(p, lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0.9, centered: false)),

        Standard("adadelta", "Adadelta", "Adadelta(lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0)",
            [("lr", 1.0), ("rho", 0.9), ("eps", 1e-6), ("weight_decay", 0.0)],
            p => optim.Adadelta(p, lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0)),

        Adam("adam", "Adam", lr: 0.01, weightDecay: 0, amsgrad: false),
        Adam("adam_amsgrad", "Adam", lr: 0.01, weightDecay: 0, amsgrad: true),
        Adam("adam_weight_decay", "Adam", lr: 0.01, weightDecay: 0.01, amsgrad: false, note: " (L2: weight_decay * param is added to the gradient)"),
        Adam("adamw", "AdamW", lr: 0.01, weightDecay: 0.1, amsgrad: false, note: " (decoupled: param *= 1 - lr * weight_decay before the Adam update)"),
        Standard("nadam", "NAdam", "NAdam(lr = 0.002, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0, momentum_decay = 0.004, decoupled_weight_decay = False)",
            [("lr", 0.002), ("betas", new[] { 0.9, 0.999 }), ("eps", 1e-8), ("weight_decay", 0.0), ("momentum_decay", 0.004), ("decoupled_weight_decay", false)],
            p => optim.NAdam(p, lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, momentum_decay: 0.004)),

        Standard("rprop", "Rprop", "Rprop(lr = 0.01, etas = (0.5, 1.2), step_sizes = (1e-6, 50))",
            [("lr", 0.01), ("etas", new[] { 0.5, 1.2 }), ("step_sizes", new[] { 1e-6, 50 })],
            p => optim.Rprop(p, lr: 0.01, etaminus: 0.5, etaplus: 1.2, min_step: 1e-6, max_step: 50)),

        Lbfgs("lbfgs", maxIter: 20, lineSearch: null),
        Lbfgs("lbfgs_strong_wolfe", maxIter: 20, lineSearch: "strong_wolfe"),
        Lbfgs("lbfgs_max_iter2", maxIter: 2, lineSearch: null),
        Lbfgs("lbfgs_strong_wolfe_max_iter2", maxIter: 2, lineSearch: "strong_wolfe"),
    ];

    static TrajectoryCase Sgd(string name, double lr, double momentum, double dampening, double weightDecay, bool nesterov,
        (string, object?)[]? clip = null, string note = "") =>
        new(name, "SGD",
            $"SGD(lr = {N(lr)}, momentum = {N(momentum)}, dampening = {N(dampening)}, weight_decay = {N(weightDecay)}, nesterov = {(nesterov ? "True" : "False")}); {Loop}{note}",
            [("lr", lr), ("momentum", momentum), ("dampening", dampening), ("weight_decay", weightDecay), ("nesterov", nesterov), ("maximize", false)],
            p => Stepper(optim.SGD(p, lr, momentum, dampening, weightDecay, nesterov), p, clip))
        { GradClipping = clip };

    static TrajectoryCase Adam(string name, string optimizer, double lr, double weightDecay, bool amsgrad, string note = "") =>
        new(name, optimizer,
            $"{optimizer}(lr = {N(lr)}, betas = (0.9, 0.999), eps = 1e-8, weight_decay = {N(weightDecay)}, amsgrad = {(amsgrad ? "True" : "False")}){note}; {Loop}",
            [("lr", lr), ("betas", new[] { 0.9, 0.999 }), ("eps", 1e-8), ("weight_decay", weightDecay), ("amsgrad", amsgrad), ("maximize", false)],
            p => Stepper(optimizer == "AdamW"
                ? optim.AdamW(p, lr, 0.9, 0.999, 1e-8, weightDecay, amsgrad)
                : optim.Adam(p, lr, 0.9, 0.999, 1e-8, weightDecay, amsgrad), p, null));

    static TrajectoryCase Standard(string name, string optimizer, string construction, (string, object?)[] attributes, Func<Parameter[], optim.Optimizer> make) =>
        new(name, optimizer, $"{construction}; {Loop}", attributes, p => Stepper(make(p), p, null));

    static (string, object?)[] RmspropAttributes(double momentum, bool centered) =>
        [("lr", 0.01), ("alpha", 0.99), ("eps", 1e-8), ("weight_decay", 0.0), ("momentum", momentum), ("centered", centered)];

    /// <summary>
    /// LBFGS(lr = 1, max_iter, max_eval = max_iter * 5 / 4, tolerance_grad = 1e-7, tolerance_change = 1e-9, history_size = 10).
    /// Without a line search it is TorchSharp's (libtorch's C++ LBFGS); with strong_wolfe the transcription of
    /// torch's Python, which follows libtorch's path bit for bit when both run without a line search.
    /// </summary>
    static TrajectoryCase Lbfgs(string name, int maxIter, string? lineSearch)
    {
        int maxEval = maxIter * 5 / 4;
        string note = maxIter == 2
            ? " With max_iter = 2, max_eval = 2: each step does one iteration (its evaluation makes current_evals reach max_eval); the history carries over from step to step."
            : " Over 20 iterations per step the path is chaotic on this problem: float32 and float64 runs agree to ~1e-5 after step 1, ~1e-3 after step 2, and not after that (see the README).";
        return new(name, "LBFGS",
            $"LBFGS(lr = 1, max_iter = {maxIter}, max_eval = {maxEval}, tolerance_grad = 1e-7, tolerance_change = 1e-9, history_size = 10, line_search_fn = {(lineSearch is null ? "None" : $"'{lineSearch}'")}); "
            + "each step is one optimizer.step(closure), closure = zero_grad, loss, backward, return loss; the recorded loss is what step returns (the closure's first value in that step)."
            + (lineSearch is null ? "" : " Run by a C# transcription of torch/optim/lbfgs.py (TorchSharp's LBFGS has no line search).") + note,
            [("lr", 1.0), ("max_iter", maxIter), ("max_eval", maxEval), ("tolerance_grad", 1e-7), ("tolerance_change", 1e-9), ("history_size", 10), ("line_search_fn", lineSearch)],
            p =>
            {
                if (lineSearch is null)
                {
                    var native = optim.LBFGS(p, lr: 1, max_iter: maxIter, max_eval: maxEval, tolerange_grad: 1e-7, tolerance_change: 1e-9, history_size: 10);
                    return closure => native.step(closure);
                }
                var port = new PythonLbfgs(p, lr: 1, maxIter: maxIter, maxEval: maxEval, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 10, lineSearchFn: lineSearch);
                return port.Step;
            });
    }

    /// <summary>One step of a first-order optimiser: closure (zero_grad, loss, backward), optional clipping, step.</summary>
    static Func<Func<Tensor>, Tensor> Stepper(optim.Optimizer optimizer, Parameter[] parameters, (string Key, object? Value)[]? clip) => closure =>
    {
        Tensor loss = closure();
        if (clip is not null)
        {
            var args = clip.ToDictionary(a => a.Key, a => a.Value);
            if ((string)args["function"]! == "clip_grad_norm_")
                nn.utils.clip_grad_norm_(parameters, (double)args["max_norm"]!, (double)args["norm_type"]!);
            else
                nn.utils.clip_grad_value_(parameters, (double)args["clip_value"]!);
        }
        optimizer.step();
        return loss;
    };

    static string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
