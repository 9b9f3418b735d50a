"""hwsim: on-chip memory budgets, bit-exact HLS generation and fixed-point accuracy for compact CNNs."""
__version__ = "0.1.0"
