"""Teams (departments): membership, manual assignment with history, automatic routing."""
