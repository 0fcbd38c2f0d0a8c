Console.WriteLine("generator placeholder");
