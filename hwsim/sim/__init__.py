"""Bit-accurate simulation: the engine, its ops and fast paths, the weight cache, the float reference."""
