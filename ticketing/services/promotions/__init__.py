"""Promo codes: definitions (codes.py), the discount a code gives a basket (discounts.py) and
its redemptions, counted under the code's row lock (redemptions.py)."""
