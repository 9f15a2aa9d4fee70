"""The world the mechanisms act on: members' arrays, ties, codes, clock, the Mesa model."""
