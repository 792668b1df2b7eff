"""What the benchmarks read about the processes they measure."""
