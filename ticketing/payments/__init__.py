"""Every Stripe call and webhook handling lives here."""
