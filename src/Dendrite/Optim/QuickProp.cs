using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// QuickProp (Fahlman 1988, "An empirical study of learning speed in back-propagation networks"):
/// each weight is treated as if the error were a parabola in that weight alone, fitted through the
/// current and the previous slope, and the step jumps to the parabola's minimum, limited to
/// <see cref="MaxGrowthFactor"/> times the previous step. A full-batch method (epoch learning), like
/// Rprop: mini-batch noise in the slopes makes the parabola meaningless.
/// </summary>
/// <remarks>
/// <para>With S = ∂E/∂w now, S_prev and Δw_prev from the previous step, ε the learning rate and μ the
/// maximum growth factor (Fahlman's code, <c>quickprop_update</c>, with "shrink" = μ/(1 + μ)):</para>
/// <list type="bullet">
/// <item>Δw_prev = 0 (the first step, or a weight that stopped): Δw = −ε·S, plain gradient descent.</item>
/// <item>Δw_prev ≠ 0: the gradient term −ε·S only while S still points the way of the last step
/// (S &gt; 0 after a negative step, S &lt; 0 after a positive one), plus the quadratic term
/// Δw_prev·S/(S_prev − S), the jump to the parabola's minimum; but μ·Δw_prev instead when that jump
/// would be longer than μ times the last step or the slope did not shrink (S ≥ shrink·S_prev after a
/// negative step, S ≤ shrink·S_prev after a positive one), and −ε·S alone when S = S_prev (a flat
/// parabola, where Fahlman's code divides by zero).</item>
/// <item>w ← w + Δw; S_prev ← S; Δw_prev ← Δw.</item>
/// </list>
/// <para>The parabola's minimum follows from the slope's secant: S(w + Δ) ≈ S + (S − S_prev)/Δw_prev·Δ = 0
/// gives Δ = Δw_prev·S/(S_prev − S). Fahlman's weight decay (S ← S + λ·w) is the base class's coupled
/// weight decay. State per parameter: <c>prev_grad</c> (S_prev) and <c>prev_step</c> (Δw_prev).
/// Typical settings: ε between 0.01 and 4 depending on the loss's scale (Fahlman used ε = 0.55 to 4 on
/// sums of squared errors), μ = 1.75.</para>
/// </remarks>
public sealed class QuickProp : FirstOrderOptimizer
{
    private const string PreviousGradient = "prev_grad";
    private const string PreviousStep = "prev_step";
    private static readonly string[] Buffers = [PreviousGradient, PreviousStep];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">ε (≥ 0), the rate of the gradient-descent term.</param>
    /// <param name="maxGrowthFactor">μ &gt; 0 (Fahlman's 1.75): no step is more than μ times the previous one.</param>
    /// <param name="weightDecay">λ (≥ 0), added to the slope as λ·w (Fahlman used 10⁻⁴).</param>
    public QuickProp(IEnumerable<Parameter> parameters, float learningRate = 0.1f, float maxGrowthFactor = 1.75f, float weightDecay = 0f)
        : base(parameters, learningRate, weightDecay)
    {
        MaxGrowthFactor = CheckPositive(maxGrowthFactor, nameof(maxGrowthFactor));
    }

    /// <summary>μ, the maximum growth factor.</summary>
    public float MaxGrowthFactor { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: max_growth_factor";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        if (name == "max_growth_factor") CheckPositive(value, name);
        else base.ValidateHyperParameter(name, value);
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate) =>
        Update(parameter.Data, gradient, state.Buffer(PreviousGradient), state.Buffer(PreviousStep), learningRate, group.Get("max_growth_factor", MaxGrowthFactor));

    /// <summary>The rule in one pass over the weights (a scalar loop: QuickProp trains small networks full-batch).</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> previousGradient, Span<float> previousStep, float epsilon, float mu)
    {
        float shrink = mu / (1f + mu);
        for (int i = 0; i < w.Length; i++)
        {
            float s = g[i], p = previousGradient[i], d = previousStep[i];
            float step = 0f;
            if (d < 0f)
            {
                if (s > 0f) step -= epsilon * s;                  // still going downhill: add the gradient term
                if (s >= shrink * p) step += mu * d;              // the parabola's jump would be too long: take μ·Δw_prev
                else if (p != s) step += d * s / (p - s);         // jump to the parabola's minimum
                else step = -epsilon * s;                         // flat parabola: gradient descent alone
            }
            else if (d > 0f)
            {
                if (s < 0f) step -= epsilon * s;
                if (s <= shrink * p) step += mu * d;
                else if (p != s) step += d * s / (p - s);
                else step = -epsilon * s;
            }
            else
            {
                step = -epsilon * s;
            }
            step = Denormals.Flush(step);
            w[i] += step;
            previousGradient[i] = s;
            previousStep[i] = step;
        }
    }
}
