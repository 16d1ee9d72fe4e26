Console.WriteLine("host");
