"""What the user asks for: the typed precision and hardware config, devices, size units."""
