"""Running the model: replicates, designs, sweeps, sensitivity analysis."""
