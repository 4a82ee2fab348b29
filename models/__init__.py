"""Face model definitions and weight loading. Weights come only from installed packages, never from the network."""
