// Forecasting the yearly sunspot number one year ahead (SIDC, 1700-2008): an LSTM reading the last
// 20 years against two baselines, persistence (next year = this year) and a linear autoregressive
// model AR(p) fitted by least squares (the seeds' AR model; p chosen on the validation years).
// Windows are split in time order: the models train on the years 1720-1921, choose their settings
// (AR order, LSTM early stopping) on 1922-1964 and are tested on 1965-2008, a period none has seen.
//
//   dotnet run -c Release --project examples/Sunspots
using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const int Window = 20;
var (years, values) = ReadSeries(Path.Combine(AppContext.BaseDirectory, "data", "sunspots.csv"));
Console.WriteLine($"{values.Length} yearly sunspot numbers, {years[0]}-{years[^1]}; mean {values.Average():F1}, largest {values.Max():F1}");

// Windows of 20 years -> the next year, split in time order 70 / 15 / 15.
Dataset raw = Sequences.Windows(values, Window, name: "sunspots");
var (trainRaw, validationRaw, testRaw) = Sequences.SplitInTimeOrder(raw, 0.7, 0.15);
int firstTarget = Window;   // index in the series of the first window's target
int validationStart = firstTarget + trainRaw.Count, testStart = validationStart + validationRaw.Count;
Console.WriteLine($"windows of {Window} years: train targets {years[firstTarget]}-{years[validationStart - 1]} ({trainRaw.Count}), "
    + $"validation {years[validationStart]}-{years[testStart - 1]} ({validationRaw.Count}), test {years[testStart]}-{years[^1]} ({testRaw.Count})");

// Standardise with the statistics of the training years only.
float[] trainPeriod = values[..validationStart];
float mean = trainPeriod.Average(), scale = MathF.Sqrt(trainPeriod.Select(v => (v - mean) * (v - mean)).Average());
float[] scaled = values.Select(v => (v - mean) / scale).ToArray();
Dataset all = Sequences.Windows(scaled, Window, name: "sunspots (standardised)");
var (train, validation, test) = Sequences.SplitInTimeOrder(all, 0.7, 0.15);
float[] testActual = testRaw.Targets.ToArray();

// ---- Persistence: next year's number is this year's ----
float[] persistence = testRaw.Features.ToArray().Chunk(Window).Select(w => w[^1]).ToArray();
double persistenceRmse = Rmse(persistence, testActual);

// ---- Linear AR(p): ŷ = c + Σ a_i·x_{t−i}, least squares on the training windows, p chosen on validation ----
(int P, double[] Coefficients, double Rmse) ar = (0, [], double.MaxValue);
for (int p = 1; p <= Window; p++)
{
    double[] coefficients = FitAutoregression(train, p);
    double rmse = Rmse(PredictAutoregression(validation, coefficients, p, mean, scale), validationRaw.Targets.ToArray());
    if (rmse < ar.Rmse) ar = (p, coefficients, rmse);
}
float[] arTest = PredictAutoregression(test, ar.Coefficients, ar.P, mean, scale);
double arRmse = Rmse(arTest, testActual);
Console.WriteLine($"AR(p): p = {ar.P} has the lowest validation RMSE ({ar.Rmse:F2})");

// ---- LSTM: 20 steps of one feature -> 32 units -> the final state -> one number ----
var lstmRmse = new List<double>();
float[] lstmTest = [];
foreach (long seed in new long[] { 1, 2, 3 })
{
    var generator = new RandomGenerator(seed);
    var model = new Sequential(new Lstm(1, 32, returnSequences: false, generator: generator), new Dense(32, 1, generator: generator));
    var trainer = new Trainer(model, new Adam(model.Parameters(), learningRate: 3e-3f) { ClipNorm = 1f }, new MeanSquaredError());
    var stopping = new EarlyStopping(patience: 60, restoreBestWeights: true);
    History history = trainer.Fit(train, epochs: 600, batchSize: 16, validation: validation, callbacks: [stopping], seed: seed);
    float[] prediction = trainer.Predict(test.Features).ToArray().Select(v => v * scale + mean).ToArray();
    double rmse = Rmse(prediction, testActual);
    lstmRmse.Add(rmse);
    if (seed == 1) lstmTest = prediction;
    Console.WriteLine($"LSTM seed {seed}: best validation loss {stopping.Best:F4} (standardised MSE) at epoch {stopping.BestEpoch + 1} of {history.Epochs}; test RMSE {rmse:F2}");
}

Console.WriteLine();
Console.WriteLine($"test RMSE, {years[testStart]}-{years[^1]} (sunspot number; lower is better):");
Console.WriteLine($"  persistence (next = this year)      {persistenceRmse,7:F2}");
Console.WriteLine($"  linear AR({ar.P}), least squares        {arRmse,7:F2}");
Console.WriteLine($"  LSTM(32), 3 seeds                   {lstmRmse.Average(),7:F2}  (seeds: {string.Join(", ", lstmRmse.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})");
Console.WriteLine($"  LSTM vs persistence: {100 * (1 - lstmRmse.Average() / persistenceRmse):F0} % lower RMSE");

Console.WriteLine();
Console.WriteLine("the last 12 test years:   actual  persistence      AR    LSTM (seed 1)");
for (int i = testActual.Length - 12; i < testActual.Length; i++)
    Console.WriteLine($"  {years[testStart + i]}               {testActual[i],6:F1}  {persistence[i],11:F1}  {arTest[i],6:F1}  {lstmTest[i],6:F1}");
return 0;

static (int[] Years, float[] Values) ReadSeries(string path)
{
    var years = new List<int>();
    var values = new List<float>();
    foreach (string line in File.ReadLines(path).Skip(1))
    {
        if (line.Length == 0) continue;
        string[] fields = line.Split(',');
        years.Add((int)double.Parse(fields[0], CultureInfo.InvariantCulture));
        values.Add(float.Parse(fields[1], CultureInfo.InvariantCulture));
    }
    return ([.. years], [.. values]);
}

static double Rmse(float[] predicted, float[] actual) => Math.Sqrt(predicted.Zip(actual, (p, a) => (double)(p - a) * (p - a)).Average());

// Least squares for [1, x_{t−1}, ..., x_{t−p}] → x_t on the (standardised) training windows, by the normal equations.
static double[] FitAutoregression(Dataset data, int p)
{
    float[] x = data.Features.ToArray(), y = data.Targets.ToArray();
    int n = data.Count, window = x.Length / n;
    var normal = new double[p + 1, p + 1];
    var right = new double[p + 1];
    var row = new double[p + 1];
    for (int s = 0; s < n; s++)
    {
        row[0] = 1;
        for (int i = 1; i <= p; i++) row[i] = x[s * window + window - i];
        for (int i = 0; i <= p; i++)
        {
            right[i] += row[i] * y[s];
            for (int j = 0; j <= p; j++) normal[i, j] += row[i] * row[j];
        }
    }
    // Gaussian elimination with partial pivoting.
    for (int c = 0; c <= p; c++)
    {
        int pivot = c;
        for (int r = c + 1; r <= p; r++) if (Math.Abs(normal[r, c]) > Math.Abs(normal[pivot, c])) pivot = r;
        for (int j = 0; j <= p; j++) (normal[c, j], normal[pivot, j]) = (normal[pivot, j], normal[c, j]);
        (right[c], right[pivot]) = (right[pivot], right[c]);
        for (int r = c + 1; r <= p; r++)
        {
            double f = normal[r, c] / normal[c, c];
            for (int j = c; j <= p; j++) normal[r, j] -= f * normal[c, j];
            right[r] -= f * right[c];
        }
    }
    var coefficients = new double[p + 1];
    for (int c = p; c >= 0; c--)
    {
        double sum = right[c];
        for (int j = c + 1; j <= p; j++) sum -= normal[c, j] * coefficients[j];
        coefficients[c] = sum / normal[c, c];
    }
    return coefficients;
}

static float[] PredictAutoregression(Dataset data, double[] coefficients, int p, float mean, float scale)
{
    float[] x = data.Features.ToArray();
    int n = data.Count, window = x.Length / n;
    var predictions = new float[n];
    for (int s = 0; s < n; s++)
    {
        double sum = coefficients[0];
        for (int i = 1; i <= p; i++) sum += coefficients[i] * x[s * window + window - i];
        predictions[s] = (float)(sum * scale + mean);
    }
    return predictions;
}
