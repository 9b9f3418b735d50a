"""Plumbing with no knowledge of networks: toolchain, threads, files, errors, supervision."""
