"""Contact imports from uploaded spreadsheets: ``reader`` streams CSV/.xlsx rows."""
