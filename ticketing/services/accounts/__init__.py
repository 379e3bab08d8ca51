"""Who people are: accounts and sign-in, organizations and roles, tokens, passwords."""
