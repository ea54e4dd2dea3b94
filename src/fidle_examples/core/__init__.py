"""What runs an example anywhere: registry, configs, runtime, data, results, runner."""
