"""Messages to customers (email), sent after the transaction that caused them commits."""
