"""The ground floor: settings, the clock and package-data locations. Imports nothing of ours;
every other package may import it."""
