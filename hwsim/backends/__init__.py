"""Project generators: the registry, the project folder, the atomic writer; hls/ and hls4ml/."""
