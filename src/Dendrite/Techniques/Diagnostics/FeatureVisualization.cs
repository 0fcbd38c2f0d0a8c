using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Diagnostics;

/// <summary>Settings of <see cref="FeatureVisualization.MaximizeActivation"/>.</summary>
public sealed record ActivationMaximizationOptions
{
    /// <summary>Gradient-ascent steps.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Step size: each step moves a typical input element by about this much (the gradient is scaled to unit root mean square).</summary>
    public float StepSize { get; init; } = 0.05f;

    /// <summary>
    /// λ of the pull back to the start, λ·(x − x₀), added to the unit-RMS gradient at each step (a
    /// penalty λ/2·‖x − x₀‖² on a scale-free objective), which keeps the input from drifting into
    /// patterns no data has; larger values keep it closer to the start.
    /// </summary>
    public float L2 { get; init; } = 2f;

    /// <summary>Smallest allowed input value (0 for images scaled to [0, 1]); each step is clipped to [Minimum, Maximum].</summary>
    public float Minimum { get; init; }

    /// <summary>Largest allowed input value.</summary>
    public float Maximum { get; init; } = 1f;

    /// <summary>
    /// Blur the inputs with a 3×3 binomial kernel every this many steps (0: never), which favours
    /// smooth shapes over pixel noise (Yosinski et al. 2015, "Understanding neural networks through
    /// deep visualization"). Applies to image inputs: the last two axes of the sample shape, or a
    /// square image for a flat sample (784 = 28×28).
    /// </summary>
    public int BlurEvery { get; init; } = 4;

    /// <summary>One sample [...sample shape] to start from, e.g. the mean training image; null for the middle of [Minimum, Maximum].</summary>
    public Tensor? Start { get; init; }

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    internal void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), $"ActivationMaximizationOptions: Steps must be at least 1; got {Steps}.");
        if (!(StepSize > 0)) throw new ArgumentOutOfRangeException(nameof(StepSize), $"ActivationMaximizationOptions: StepSize must be positive; got {StepSize}.");
        if (!(L2 >= 0)) throw new ArgumentOutOfRangeException(nameof(L2), $"ActivationMaximizationOptions: L2 must be non-negative; got {L2}.");
        if (BlurEvery < 0) throw new ArgumentOutOfRangeException(nameof(BlurEvery), $"ActivationMaximizationOptions: BlurEvery must be non-negative; got {BlurEvery}.");
        if (!(Minimum < Maximum)) throw new ArgumentOutOfRangeException(nameof(Maximum), $"ActivationMaximizationOptions: Minimum ({Minimum}) must be below Maximum ({Maximum}).");
    }
}

/// <summary>
/// What a unit responds to: the input that excites it most. For a unit of the first layer this is
/// known in closed form: among inputs of unit norm, w·x is largest for x = w/‖w‖, so the picture
/// of the unit is its weight vector. For deeper units (hidden or output) it is found by gradient
/// ascent on the input, with the weights held fixed.
/// </summary>
public static class FeatureVisualization
{
    /// <summary>
    /// For each unit of a first layer, the unit-norm input that maximises its weighted input w·x: x* = w/‖w‖ (a zero row stays zero).
    /// </summary>
    /// <param name="weight">Shape [units, ...inputs]: a Dense weight [out, in] or a convolution kernel [out, in, kh, kw].</param>
    /// <returns>Shape [units, inputs]: one row per unit.</returns>
    public static Tensor FirstLayerInputs(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank < 2)
            throw new ShapeMismatchException($"FeatureVisualization.FirstLayerInputs needs a weight [units, ...inputs]; got {weight.Shape}.");
        int units = weight.Shape[0], inputs = weight.Count / units;
        float[] values = weight.Contiguous().ToArray();
        for (int u = 0; u < units; u++)
        {
            Span<float> row = values.AsSpan(u * inputs, inputs);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
        return Tensor.FromArray(values, [units, inputs]);
    }

    /// <summary>The same for a Dense layer's units: rows of x* = w/‖w‖, shape [out, in].</summary>
    public static Tensor FirstLayerInputs(Dense layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return FirstLayerInputs(layer.Weight);
    }

    /// <summary>
    /// For each unit in <paramref name="units"/>, an input that makes output unit u of
    /// <paramref name="model"/> large: gradient ascent on x, each step x ← clip(x + η·(g/rms(g) −
    /// λ(x − x₀))) with g = ∂a(x)_u/∂x, clipped to [Minimum, Maximum], and an occasional blur. All units are
    /// optimised together in one batch. The model runs in evaluation mode and its parameters get no
    /// gradients (their <see cref="Tensor.RequiresGrad"/> is restored afterwards).
    /// </summary>
    /// <param name="model">Maps a batch [n, ...sample] to [n, outputs]; for a hidden layer's units, pass the part of the network up to it (e.g. <c>new Sequential(mlp.Layers.Take(k))</c>).</param>
    /// <param name="units">Indices of the output units to visualise.</param>
    /// <param name="sampleShape">One input's shape, e.g. [784] or [1, 28, 28].</param>
    /// <param name="options">Steps, step size, penalty, range and start; defaults when null.</param>
    /// <returns>Shape [units.Count, ...sampleShape]: the inputs found, in the order of <paramref name="units"/>.</returns>
    public static Tensor MaximizeActivation(Module model, IReadOnlyList<int> units, Shape sampleShape, ActivationMaximizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(units);
        options ??= new ActivationMaximizationOptions();
        options.Validate();
        if (units.Count == 0) throw new ArgumentException("FeatureVisualization.MaximizeActivation: no units given.", nameof(units));
        int n = units.Count, size = sampleShape.ElementCount;
        float[] start = new float[size];
        if (options.Start is { } given)
        {
            if (given.Count != size)
                throw new ShapeMismatchException($"FeatureVisualization.MaximizeActivation: the start has shape {given.Shape} but a sample has shape {sampleShape}.");
            given.Contiguous().CopyTo(start);
        }
        else Array.Fill(start, (options.Minimum + options.Maximum) / 2);

        // x: [n, ...sample], one row per unit, all starting from x₀.
        float[] x = new float[n * size];
        for (int i = 0; i < n; i++) start.CopyTo(x.AsSpan(i * size));

        (int Height, int Width)? image = ImageOf(sampleShape);
        float[] scratch = new float[size];
        var trainable = model.Parameters().Select(p => (Parameter: p, p.RequiresGrad)).ToList();
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        try
        {
            foreach (var (parameter, _) in trainable) parameter.RequiresGrad = false;
            model.Eval();
            float[]? mask = null;
            for (int step = 0; step < options.Steps; step++)
            {
                var input = Tensor.FromArray(x, [n, .. sampleShape.ToArray()]);
                input.RequiresGrad = true;
                Tensor output = model.Forward(input);
                if (output.Rank != 2)
                    throw new ShapeMismatchException($"FeatureVisualization.MaximizeActivation: the model's output has shape {output.Shape}; expected [batch, outputs]. Flatten it or pass the part of the network whose output is [batch, units].");
                if (mask is null)
                {
                    int outputs = output.Shape[1];
                    mask = new float[n * outputs];
                    for (int i = 0; i < n; i++)
                    {
                        if (units[i] < 0 || units[i] >= outputs)
                            throw new ArgumentOutOfRangeException(nameof(units), $"FeatureVisualization.MaximizeActivation: unit {units[i]} does not exist; the model has {outputs} outputs.");
                        mask[i * outputs + units[i]] = 1f;
                    }
                }
                // Row i's objective depends only on x_i (evaluation mode has no batch coupling), so one
                // backward pass of the sum gives every row its own gradient.
                Tensor objective = (output * Tensor.FromArray(mask, output.Shape)).Sum();
                objective.Backward();
                float[] gradient = input.Grad!.ToArray();
                for (int i = 0; i < n; i++)
                {
                    Span<float> row = x.AsSpan(i * size, size), g = gradient.AsSpan(i * size, size);
                    // The activation's gradient is scaled to unit root mean square first, so that the
                    // penalty's strength does not depend on how large a network's gradients happen to be.
                    float rms = TensorPrimitives.Norm(g) / MathF.Sqrt(size);
                    if (!(rms > 0) || !float.IsFinite(rms)) continue;
                    for (int j = 0; j < size; j++)
                        row[j] = Math.Clamp(row[j] + options.StepSize * (g[j] / rms - options.L2 * (row[j] - start[j])), options.Minimum, options.Maximum);
                    if (image is var (height, width) && options.BlurEvery > 0 && (step + 1) % options.BlurEvery == 0 && step + 1 < options.Steps)
                        for (int plane = 0; plane < size / (height * width); plane++)
                            Blur(row.Slice(plane * height * width, height * width), height, width, scratch);
                }
            }
        }
        finally
        {
            foreach (var (parameter, requiresGrad) in trainable) parameter.RequiresGrad = requiresGrad;
            foreach (var (module, training) in modes) module.Train(training);
        }
        return Tensor.FromArray(x, [n, .. sampleShape.ToArray()]);
    }

    /// <summary>The image planes of a sample: its last two axes, or a square for a flat sample whose size is a square; null otherwise.</summary>
    private static (int Height, int Width)? ImageOf(Shape sampleShape)
    {
        if (sampleShape.Rank >= 2) return (sampleShape[sampleShape.Rank - 2], sampleShape[sampleShape.Rank - 1]);
        int side = (int)Math.Round(Math.Sqrt(sampleShape.ElementCount));
        return side >= 3 && side * side == sampleShape.ElementCount ? (side, side) : null;
    }

    /// <summary>Blurs one image in place with the separable binomial kernel [1, 2, 1]/4 in each direction, edges clamped.</summary>
    private static void Blur(Span<float> image, int height, int width, float[] scratch)
    {
        Span<float> temporary = scratch.AsSpan(0, image.Length);
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
            {
                int row = r * width;
                temporary[row + c] = 0.25f * image[row + Math.Max(c - 1, 0)] + 0.5f * image[row + c] + 0.25f * image[row + Math.Min(c + 1, width - 1)];
            }
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
                image[r * width + c] = 0.25f * temporary[Math.Max(r - 1, 0) * width + c] + 0.5f * temporary[r * width + c] + 0.25f * temporary[Math.Min(r + 1, height - 1) * width + c];
    }

    /// <summary>The value of output unit u of <paramref name="model"/> for each row of <paramref name="inputs"/> (row i, unit units[i]), without gradients in evaluation mode.</summary>
    /// <param name="model">Maps [n, ...sample] to [n, outputs].</param>
    /// <param name="inputs">Shape [units.Count, ...sample].</param>
    /// <param name="units">The unit to read for each row.</param>
    public static float[] Activations(Module model, Tensor inputs, IReadOnlyList<int> units)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(units);
        if (inputs.Rank < 1 || inputs.Shape[0] != units.Count)
            throw new ShapeMismatchException($"FeatureVisualization.Activations: inputs {inputs.Shape} must have one row per unit ({units.Count}).");
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        try
        {
            model.Eval();
            using var _ = new NoGrad();
            Tensor output = model.Forward(inputs).Contiguous();
            int outputs = output.Shape[output.Rank - 1];
            float[] values = output.ToArray();
            return units.Select((u, i) => values[i * outputs + u]).ToArray();
        }
        finally
        {
            foreach (var (module, training) in modes) module.Train(training);
        }
    }
}
