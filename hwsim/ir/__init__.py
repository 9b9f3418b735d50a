"""The network: frozen layers and Graph, the zoo, weight files."""
