"""Repository tooling (not installed with the package): regenerating the shipped instances and their data."""
