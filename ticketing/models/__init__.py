"""SQLModel tables only. Importing this package registers every table on SQLModel.metadata."""

from ticketing.models.accounts import Membership, Organization, Role, User

__all__ = ["Membership", "Organization", "Role", "User"]
