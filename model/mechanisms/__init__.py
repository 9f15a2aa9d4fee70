"""The mechanisms of the seeds, one module each: vectorised monthly rules over the arrays."""
