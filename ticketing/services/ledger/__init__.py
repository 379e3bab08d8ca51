"""The money ledger: balanced, append-only journal entries posted with their cause, reports (trial balance, event P&L, entries, CSV) and the comparison with Stripe's balance transactions."""
