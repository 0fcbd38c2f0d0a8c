using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Optim;

/// <summary>
/// The update kernels' 8-wide vector loop against the plain scalar formula written out here (the
/// twin): same operations in the same order, so the results are identical bit for bit, for every
/// length 0..40 (full vectors, tails, both).
/// </summary>
public class KernelTests
{
    private static float[] Random(int n, long seed, float low = -1f, float high = 1f)
    {
        var values = new float[n];
        new RandomGenerator(seed).FillUniform(values, low, high);
        return values;
    }

    private static float Flush(float x) => MathF.Abs(x) < Denormals.MinNormal ? 0f : x;

    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (int n = 0; n <= 40; n++) data.Add(n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamMatchesItsScalarTwin(int n)
    {
        float[] w = Random(n, 1), g = Random(n, 2), m = Random(n, 3), v = Random(n, 4, 0f, 1f), vMax = Random(n, 5, 0f, 1f);
        float[] w2 = (float[])w.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone(), vMax2 = (float[])vMax.Clone();
        Adam.Update(w, g, m, v, vMax, 0.01f, 0.9f, 0.999f, 1e-8f, 0.3f);
        for (int i = 0; i < n; i++)
        {
            m2[i] = Flush(m2[i] + (1f - 0.9f) * (g[i] - m2[i]));
            v2[i] = Flush(v2[i] * 0.999f + (1f - 0.999f) * g[i] * g[i]);
            vMax2[i] = MathF.Max(vMax2[i], v2[i]);
            w2[i] = w2[i] + -0.01f * (m2[i] / (MathF.Sqrt(vMax2[i]) / 0.3f + 1e-8f));
        }
        Assert.Equal(w2, w);
        Assert.Equal(m2, m);
        Assert.Equal(v2, v);
        Assert.Equal(vMax2, vMax);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdMatchesItsScalarTwin(int n)
    {
        foreach (bool nesterov in new[] { false, true })
        {
            float[] w = Random(n, 1), g = Random(n, 2), b = Random(n, 3);
            float[] w2 = (float[])w.Clone(), b2 = (float[])b.Clone();
            Sgd.Update(w, g, b, 0.1f, 0.9f, 0.75f, nesterov, accumulate: true);
            for (int i = 0; i < n; i++)
            {
                b2[i] = Flush(0.9f * b2[i] + 0.75f * g[i]);
                w2[i] = w2[i] + -0.1f * (nesterov ? g[i] + 0.9f * b2[i] : b2[i]);
            }
            Assert.Equal(w2, w);
            Assert.Equal(b2, b);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropMatchesItsScalarTwin(int n)
    {
        float[] w = Random(n, 1), g = Random(n, 2), v = Random(n, 3, 0.5f, 1f), m = Random(n, 4, -0.5f, 0.5f), b = Random(n, 5);
        float[] w2 = (float[])w.Clone(), v2 = (float[])v.Clone(), m2 = (float[])m.Clone(), b2 = (float[])b.Clone();
        RmsProp.Update(w, g, v, m, b, 0.01f, 0.99f, 1e-8f, 0.9f);
        for (int i = 0; i < n; i++)
        {
            v2[i] = Flush(v2[i] * 0.99f + (1f - 0.99f) * g[i] * g[i]);
            m2[i] = Flush(m2[i] + (1f - 0.99f) * (g[i] - m2[i]));
            float d = MathF.Sqrt(MathF.Max(v2[i] - m2[i] * m2[i], 0f)) + 1e-8f;
            b2[i] = Flush(b2[i] * 0.9f + g[i] / d);
            w2[i] = w2[i] + -0.01f * b2[i];
        }
        Assert.Equal(w2, w);
        Assert.Equal(v2, v);
        Assert.Equal(m2, m);
        Assert.Equal(b2, b);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdaGradAdaDeltaAndNAdamMatchTheirScalarTwins(int n)
    {
        float[] w = Random(n, 1), g = Random(n, 2), s = Random(n, 3, 0f, 1f);
        float[] w2 = (float[])w.Clone(), s2 = (float[])s.Clone();
        AdaGrad.Update(w, g, s, 0.1f, 1e-10f);
        for (int i = 0; i < n; i++)
        {
            s2[i] = Flush(s2[i] + g[i] * g[i]);
            w2[i] = w2[i] + -0.1f * (g[i] / (MathF.Sqrt(s2[i]) + 1e-10f));
        }
        Assert.Equal(w2, w);
        Assert.Equal(s2, s);

        float[] v = Random(n, 4, 0f, 1f), u = Random(n, 5, 0f, 1f);
        float[] w3 = (float[])w.Clone(), v3 = (float[])v.Clone(), u3 = (float[])u.Clone();
        AdaDelta.Update(w, g, v, u, 1f, 0.9f, 1e-6f);
        for (int i = 0; i < n; i++)
        {
            v3[i] = Flush(v3[i] * 0.9f + (1f - 0.9f) * g[i] * g[i]);
            float delta = MathF.Sqrt(u3[i] + 1e-6f) / MathF.Sqrt(v3[i] + 1e-6f) * g[i];
            u3[i] = Flush(u3[i] * 0.9f + (1f - 0.9f) * delta * delta);
            w3[i] = w3[i] + -1f * delta;
        }
        Assert.Equal(w3, w);
        Assert.Equal(v3, v);
        Assert.Equal(u3, u);

        float[] m = Random(n, 6), v4 = Random(n, 7, 0f, 1f);
        float[] w4 = (float[])w.Clone(), m4 = (float[])m.Clone(), v5 = (float[])v4.Clone();
        NAdam.Update(w, g, m, v4, 0.9f, 0.999f, 1e-8f, 0.2f, -0.01f, -0.02f);
        for (int i = 0; i < n; i++)
        {
            m4[i] = Flush(m4[i] + (1f - 0.9f) * (g[i] - m4[i]));
            v5[i] = Flush(v5[i] * 0.999f + (1f - 0.999f) * g[i] * g[i]);
            float d = MathF.Sqrt(v5[i]) / 0.2f + 1e-8f;
            w4[i] = w4[i] + -0.01f * (g[i] / d) + -0.02f * (m4[i] / d);
        }
        Assert.Equal(w4, w);
        Assert.Equal(m4, m);
        Assert.Equal(v5, v4);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RpropAndDeltaBarDeltaMatchTheirScalarTwins(int n)
    {
        // Previous gradients with both signs and zeros, so every branch is taken.
        float[] w = Random(n, 1), g = Random(n, 2), previous = Random(n, 3).Select((v, i) => i % 5 == 0 ? 0f : v).ToArray(), step = Random(n, 4, 1e-3f, 0.1f);
        float[] w2 = (float[])w.Clone(), previous2 = (float[])previous.Clone(), step2 = (float[])step.Clone();
        Rprop.Update(w, g, previous, step, 0.5f, 1.2f, 1e-6f, 50f);
        for (int i = 0; i < n; i++)
        {
            float product = g[i] * previous2[i];
            float si = MathF.Min(MathF.Max(step2[i] * (product > 0 ? 1.2f : product < 0 ? 0.5f : 1f), 1e-6f), 50f);
            float gi = product < 0 ? 0f : g[i];
            w2[i] = w2[i] - MathF.Sign(gi) * si;
            step2[i] = si;
            previous2[i] = gi;
        }
        Assert.Equal(w2, w);
        Assert.Equal(step2, step);
        Assert.Equal(previous2, previous);

        float[] rate = Random(n, 5, 0.01f, 0.1f), bar = Random(n, 6).Select((v, i) => i % 7 == 0 ? 0f : v).ToArray();
        float[] w3 = (float[])w.Clone(), rate3 = (float[])rate.Clone(), bar3 = (float[])bar.Clone();
        DeltaBarDelta.Update(w, g, rate, bar, 0.01f, 0.2f, 0.7f);
        for (int i = 0; i < n; i++)
        {
            float agreement = bar3[i] * g[i];
            rate3[i] = Flush(agreement > 0 ? rate3[i] + 0.01f : agreement < 0 ? rate3[i] * (1f - 0.2f) : rate3[i]);
            w3[i] = w3[i] - rate3[i] * g[i];
            bar3[i] = Flush((1f - 0.7f) * g[i] + 0.7f * bar3[i]);
        }
        Assert.Equal(w3, w);
        Assert.Equal(rate3, rate);
        Assert.Equal(bar3, bar);
    }
}
