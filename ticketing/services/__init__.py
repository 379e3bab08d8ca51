"""Business rules: one module per capability, no Reflex imports."""
