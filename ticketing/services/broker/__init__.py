"""Broker mode (seed 002): suppliers, purchase orders that make seats and places owned
inventory, returns, supplier payments, retail pricing on cost, what each ticket sold cost and
earned, and the profit analytics."""
