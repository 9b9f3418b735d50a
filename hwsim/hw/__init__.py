"""The hardware model: memories mapped onto blocks, compute, the budget estimate."""
