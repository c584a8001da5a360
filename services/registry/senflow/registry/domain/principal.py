"""Who is calling: the platform admin, or a customer through one of its API keys."""

from dataclasses import dataclass

from senflow.registry.errors import Forbidden

Scope = str  # "read" | "write"


@dataclass(frozen=True)
class Principal:
    customer_id: str | None  # None for the admin
    scopes: frozenset[Scope]

    @property
    def is_admin(self) -> bool:
        return self.customer_id is None

    def require(self, scope: Scope) -> None:
        if not self.is_admin and scope not in self.scopes:
            raise Forbidden(f"this API key lacks the '{scope}' scope")

    def require_customer(self) -> str:
        """The caller's customer id; the admin manages customers, not their objects."""
        if self.customer_id is None:
            raise Forbidden("use a customer API key for customer resources")
        return self.customer_id


ADMIN = Principal(customer_id=None, scopes=frozenset({"read", "write"}))
