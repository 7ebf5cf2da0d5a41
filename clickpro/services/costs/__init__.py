"""What messages cost: rate cards, the per-message ledger, estimates and reports."""
